"""A large, realistic district in a migrated PostgreSQL database, written by COPY (no ORM).

Eight years of sessions of both bodies, ~60 units, the per-year vocabularies, ~2,000 proposers
and N cases (≈ 2.5 assignments each) walked through the workflow up to ``NOW``: 签收 and 退回,
延期, contacts, 会办意见, replies with their result classes, disclosures, 征询意见 (with 重新办理 after
不满意), 办结, 回头看, and the event log the statistics read (交办 due dates, approved 延期). Every
row satisfies the schema's CHECK, FOREIGN KEY and UNIQUE constraints, which stay on during the
load. Seeded, so the same arguments give the same rows.

    python -m benchmarks.make_dataset --database-url URL [--cases 200000] [--seed 1]
"""
from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy.engine import make_url

from caseflow.deadlines import add_months
from caseflow.passwords import hash_password

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 20, 10, 0, tzinfo=SHANGHAI)
YEARS = 8
PASSWORD = "benchmark-only"  # every user's password
DISPATCHER, SUPERVISOR = 2, 3  # user ids after the admin's; unit i's handler and leader follow

COLUMNS = {  # in load order (foreign keys first)
    "sessions": "id, body, name, term, meeting, year",
    "units": "id, name, short_name, kind, active, version",
    "categories": "id, body, year, name, position",
    "result_classes": "id, body, year, code, label, adopted, position",
    "proposers": 'id, name, kind, type, organization, "group", phone, email, address, version',
    "users": "id, username, name, password_hash, role, unit_id, proposer_id, email, phone, active, created_at, version",
    "cases": "id, body, session_id, number, title, text, category_id, lead_proposer_id, consent, no_written_reply,"
             " key_case, state, merged_into_id, registered_at, version",
    "assignments": "id, case_id, unit_id, role, state, assigned_at, original_due_date, due_date,"
                   " answered_at, requested_due_date, request_reason, version",
    "replies": "id, case_id, assignment_id, ordinal, doc_number, signer_id, contact_name, contact_phone,"
               " result_class_id, text, cc, drafted_by_id, created_at, signed_at, replied_at, version",
    "co_opinions": "id, case_id, assignment_id, text, author_id, sent_at",
    "disclosures": "id, case_id, reply_id, state, scope, published_text, reason, decided_by_id, decided_at,"
                   " created_at, version",
    "feedback": "id, case_id, reply_id, ordinal, overall, attitude, result, comment, channel, proposer_id, given_at",
    "contacts": "id, case_id, assignment_id, kind, contacted_on, note, created_by_id, created_at",
    "follow_ups": "id, case_id, assignment_id, stage, original_result_class_id, current_result_class_id, note,"
                  " recorded_by_id, recorded_at",
    "events": "id, case_id, assignment_id, actor_id, at, transition, from_state, to_state, comment, payload",
}

DEPARTMENTS = [
    "区发展和改革委员会", "区经济委员会", "区商务委员会", "区科学技术委员会", "区教育局", "区民政局", "区司法局",
    "区财政局", "区人力资源和社会保障局", "区规划和自然资源局", "区生态环境局", "区建设和管理委员会", "区交通委员会",
    "区房屋管理局", "区绿化和市容管理局", "区水务局", "区农业农村委员会", "区文化和旅游局", "区卫生健康委员会",
    "区退役军人事务局", "区应急管理局", "区审计局", "区市场监督管理局", "区体育局", "区统计局", "区医疗保障局",
    "区城市管理行政执法局", "区地区工作办公室", "区政务服务办公室", "区国有资产监督管理委员会", "区金融工作办公室",
    "区民族和宗教事务委员会", "区信访办公室", "区机关事务管理局", "区大数据中心", "区投资促进办公室",
    "区公安分局", "区消防救援支队", "区税务局", "区残疾人联合会", "区妇女联合会", "团区委", "区总工会",
    "区住房保障中心", "区疾病预防控制中心",
]
STREETS = ["新华路街道", "江苏路街道", "华阳路街道", "周家桥街道", "天山路街道", "仙霞新村街道", "虹桥街道",
           "程家桥街道", "北新泾街道", "新泾镇", "城东街道", "城西街道", "北桥镇", "南桥镇", "西渡街道"]
CATEGORIES = ["城市建设", "社会治理", "民生保障", "教育", "卫生健康", "文化旅游", "经济发展", "生态环境"]
RESULT_CLASSES = {  # body: (code, label, adopted, weight of the class at a first reply)
    "npc_suggestion": [("A", "解决采纳", True, 55), ("B", "正在解决", False, 25), ("C", "计划解决", False, 12),
                       ("D", "留作参考", False, 8)],
    "cppcc_proposal": [("A", "解决或采纳", True, 60), ("B", "列入计划拟解决", False, 28), ("C", "留作参考", False, 12)],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严戴孔汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文博晨宇欣怡佳琪思远涵婷浩然俊海燕振东"
ACTIONS = ["进一步加强", "加快推进", "优化", "完善", "推动", "加大力度推进", "切实提升", "探索"]
TOPICS = ["社区养老服务", "老旧小区加装电梯", "停车难问题治理", "垃圾分类长效管理", "中小学课后服务", "社区卫生服务中心建设",
          "背街小巷环境整治", "非机动车停放管理", "15分钟社区生活圈建设", "营商环境", "民营中小企业纾困",
          "公共文化设施开放", "河道水环境治理", "口袋公园建设", "老年助餐服务", "托育服务供给", "架空线入地",
          "智慧社区建设", "历史风貌保护", "夜间经济发展", "人才公寓建设", "残疾人无障碍设施", "校园周边交通安全",
          "公共充电桩布局", "物业服务管理", "旧区改造", "家庭医生签约服务", "社区食堂建设", "防汛排涝", "商圈更新"]
SENTENCES = ["近年来，我区在该领域开展了大量工作，取得了一定成效，但仍存在一些短板。",
             "群众反映较为集中，相关诉求亟待回应。", "现有政策覆盖面不足，部门之间协同机制有待完善。",
             "建议由相关部门牵头，开展专项调研，摸清底数。", "建议加大财政投入，统筹各方资源，形成工作合力。",
             "建议完善考核评价机制，将落实情况纳入年度工作目标。", "建议借鉴兄弟区县的经验做法，试点先行、逐步推广。",
             "建议加强宣传引导，畅通居民参与渠道。", "建议建立常态化沟通机制，及时协调解决实际问题。",
             "部分设施老化，使用效率不高，管理维护责任不清。"]
REPLY_SENTENCES = ["您提出的建议收悉，我们高度重视，经认真研究，现答复如下。", "我单位已会同相关部门进行了专题研究。",
                   "下一步，我们将继续加大工作力度，确保各项措施落到实处。", "相关工作已列入今年区政府实事项目。",
                   "受资金和规划条件限制，部分内容需分步实施。", "感谢您对我区工作的关心和支持，欢迎继续提出宝贵意见。"]
WITHHELD_REASONS = ["涉及个人隐私", "涉及商业秘密", "涉及正在研究的内部事项", "答复内容不宜公开"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def _text(rng: random.Random, pool: list[str], n: tuple[int, int]) -> str:
    return "".join(rng.sample(pool, rng.randint(*n)))


@dataclass(slots=True)
class _Assignment:
    """One unit's part as it is walked through the workflow; written as a row when the case is done."""

    id: int
    unit_id: int
    role: str
    assigned_at: datetime
    due: date
    original_due: date
    state: str = "pending"
    accepted_at: datetime | None = None
    answered_at: datetime | None = None
    requested_due: date | None = None
    request_reason: str | None = None
    version: int = 1
    returned_at: datetime | None = None
    ready_at: datetime | None = None  # 会办: when the opinion is (or will be) in
    sent: list[tuple[int, datetime, int]] = field(default_factory=list)  # (reply id, replied_at, class id)

    @property
    def lead(self) -> bool:
        return self.role != "co"


@dataclass(slots=True)
class _Case:
    id: int
    body: str
    session_id: int
    year: int
    number: int
    proposer_id: int
    consent: str
    key_case: bool
    state: str = "registered"
    version: int = 1
    merged_into: int | None = None
    assignments: list[_Assignment] = field(default_factory=list)

    @property
    def leads(self) -> list[_Assignment]:
        return [a for a in self.assignments if a.lead and a.state != "returned"]


@dataclass
class Dataset:
    """What was written: rows per table, the years, the year and unit with most assignments."""

    counts: dict[str, int]
    years: list[int]
    busy_year: int
    busy_unit_id: int
    seconds: float
    dispatcher: str = "dispatcher"
    password: str = PASSWORD


class _Builder:
    """Generates the rows year by year and copies them in, each table after those it refers to."""

    def __init__(self, conn: psycopg.Connection, now: datetime, seed: int):
        self.conn, self.now, self.rng = conn, now, random.Random(seed)
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.next_id: dict[str, int] = defaultdict(lambda: 1)
        self.counts: dict[str, int] = defaultdict(int)
        self.events: list[tuple] = []
        self.years = list(range(now.year - YEARS + 1, now.year + 1))
        self.per_year_unit: dict[tuple[int, int], int] = defaultdict(int)

    # -- rows ------------------------------------------------------------------------------------
    def new_id(self, table: str) -> int:
        row_id = self.next_id[table]
        self.next_id[table] += 1
        return row_id

    def add(self, table: str, *values) -> int:
        row_id = self.new_id(table)
        self.rows[table].append((row_id, *values))
        return row_id

    def event(self, at: datetime, case: _Case, transition: str, actor: int | None, a: _Assignment | None = None,
              before: str | None = None, after: str | None = None, comment: str = "", **payload) -> None:
        self.events.append((at, case.id, a.id if a else None, actor, transition, before, after, comment,
                            json.dumps(payload, ensure_ascii=False) if payload else "{}"))

    def flush(self) -> None:
        """COPY what is waiting; events in time order, numbered as they are appended in real life."""
        self.events.sort(key=lambda e: e[0])
        for e in self.events:
            self.add("events", e[1], e[2], e[3], e[0], *e[4:])
        self.events.clear()
        with self.conn.cursor() as cur:
            for table, columns in COLUMNS.items():
                rows = self.rows.pop(table, [])
                if rows:
                    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    self.counts[table] += len(rows)

    # -- time ------------------------------------------------------------------------------------
    def after(self, t: datetime, low_days: float, high_days: float) -> datetime:
        return t + timedelta(days=self.rng.uniform(low_days, high_days))

    def office_hours(self, day: date) -> datetime:
        """A moment of a working morning or afternoon (weekends moved to Monday)."""
        day += timedelta(days=7 - day.weekday() if day.weekday() >= 5 else 0)
        return datetime.combine(day, clock_time(9 + self.rng.randrange(8), self.rng.randrange(60)), SHANGHAI)

    def past(self, t: datetime) -> bool:
        return t <= self.now

    # -- the district ------------------------------------------------------------------------------
    def district(self) -> None:
        rng = self.rng
        self.sessions: dict[tuple[str, int], int] = {}
        for body, first_term in (("npc_suggestion", 16), ("cppcc_proposal", 14)):
            for i, year in enumerate(self.years):
                term, meeting = first_term + i // 5, i % 5 + 1
                name = (f"第{term}届人民代表大会第{meeting}次会议" if body == "npc_suggestion"
                        else f"政协第{term}届委员会第{meeting}次会议")
                self.sessions[body, year] = self.add("sessions", body, name, term, meeting, year)
        units = [(n, n.removeprefix("区")[:8], "department") for n in DEPARTMENTS]
        units += [(n, n, "town" if n.endswith("镇") else "street") for n in STREETS]
        self.units = [self.add("units", name, short, kind, True, 1) for name, short, kind in units]
        # a few departments get most of the work, streets a little
        self.unit_weights = [1 / (rank + 1) ** 0.8 for rank in rng.sample(range(len(self.units)), len(self.units))]
        self.categories: dict[tuple[str, int], list[int]] = {}
        self.classes: dict[tuple[str, int], list[tuple[int, int]]] = {}  # (id, weight), best first
        for body in RESULT_CLASSES:
            for year in self.years:
                self.categories[body, year] = [self.add("categories", body, year, name, i)
                                               for i, name in enumerate(CATEGORIES, 1)]
                self.classes[body, year] = [(self.add("result_classes", body, year, code, label, adopted, i), w)
                                            for i, (code, label, adopted, w) in enumerate(RESULT_CLASSES[body], 1)]
        self.proposers = {"npc_suggestion": [], "cppcc_proposal": []}
        for body, kind, n in (("npc_suggestion", "deputy", 900), ("cppcc_proposal", "member", 1100)):
            for i in range(n):  # the first 60: joint proposals, and the 政协's parties, groups, committees
                ptype = "individual" if i >= 60 else "joint" if kind == "deputy" else rng.choice(
                    ["joint", "party", "group", "sector", "member_group", "committee"])
                self.proposers[body].append(self.add(
                    "proposers", _name(rng), kind, ptype, rng.choice(["区属学校", "社区卫生服务中心", "居民区党总支", "律师事务所",
                                                                     "科技有限公司", "街道社区", "区属医院"]),
                    f"第{rng.randint(1, 20)}代表组" if kind == "deputy" else rng.choice(["经济界", "教育界", "民盟", "民建"]),
                    f"139{rng.randrange(10 ** 8):08d}", None, None, 1))
        password = hash_password(PASSWORD)
        created = datetime(self.years[0], 1, 1, 9, tzinfo=SHANGHAI)
        for username, role in (("admin", "admin"), ("dispatcher", "dispatcher"), ("supervisor", "supervisor")):
            self.add("users", username, _name(rng), password, role, None, None, None, None, True, created, 1)
        for unit_id in self.units:
            for role in ("handler", "unit_leader"):
                self.add("users", f"u{unit_id}_{role}", _name(rng), password, role, unit_id, None, None, None, True,
                         created, 1)
        self.flush()

    @staticmethod
    def handler(unit_id: int) -> int:
        return SUPERVISOR + 2 * unit_id - 1

    @staticmethod
    def leader(unit_id: int) -> int:
        return SUPERVISOR + 2 * unit_id

    # -- a year ----------------------------------------------------------------------------------
    def year(self, year: int, n: int) -> None:
        """``n`` cases of both bodies, registered in the year's order: most at the session in
        January, the rest during the year (and none after ``now``)."""
        rng = self.rng
        opens = {body: datetime(year, 1, 8 + 4 * (body == "npc_suggestion"), 9, tzinfo=SHANGHAI)
                 for body in RESULT_CLASSES}
        year_end = min(datetime(year, 12, 20, tzinfo=SHANGHAI), self.now)
        registrations = []
        for _ in range(n):
            body = "cppcc_proposal" if rng.random() < 0.6 else "npc_suggestion"
            at = (self.after(opens[body], 0, 12) if rng.random() < 0.72 else
                  opens[body] + (year_end - opens[body]) * rng.uniform(0.05, 1))
            if self.past(at):
                registrations.append((at, body))
        registrations.sort()
        numbers: dict[str, int] = defaultdict(int)
        last: dict[str, int] = {}
        for at, body in registrations:
            numbers[body] += 1
            last[body] = self.case(body, year, numbers[body], at, last.get(body))
        self.flush()

    def units_for(self) -> list[tuple[int, str]]:
        """主办 (or 2–3 分办) and 0–4 会办 units, all different."""
        rng = self.rng
        leads = 1 if rng.random() < 0.88 else rng.choice((2, 2, 3))
        co = rng.choices(range(5), weights=(25, 35, 25, 10, 5))[0]
        chosen: list[int] = []
        while len(chosen) < leads + co:
            unit = rng.choices(self.units, weights=self.unit_weights)[0]
            if unit not in chosen:
                chosen.append(unit)
        role = "lead" if leads == 1 else "split"
        return [(u, role if i < leads else "co") for i, u in enumerate(chosen)]

    def other_unit(self, case: _Case) -> int:
        """A unit the case has not been given to yet."""
        taken = {a.unit_id for a in case.assignments}
        while (unit := self.rng.choices(self.units, weights=self.unit_weights)[0]) in taken:
            pass
        return unit

    def new_assignment(self, case: _Case, unit_id: int, role: str, at: datetime) -> _Assignment:
        months = 1 if role == "co" else 3
        due = add_months(at.date(), months)
        a = _Assignment(self.new_id("assignments"), unit_id, role, at, due, due)
        case.assignments.append(a)
        return a

    def case(self, body: str, year: int, number: int, registered_at: datetime, previous: int | None) -> int:
        rng = self.rng
        consent = rng.choices(("full", "title_only", "none"), weights=(80, 12, 8))[0]
        case = _Case(self.new_id("cases"), body, self.sessions[body, year], year, number,
                     rng.choice(self.proposers[body]), consent, rng.random() < 0.03)
        self.event(registered_at, case, "register", DISPATCHER, number=number, attachments=[])
        self.walk(case, registered_at, previous)
        self.write(case, registered_at)
        return case.id

    def walk(self, case: _Case, registered_at: datetime, previous: int | None) -> None:
        """Take the case as far as ``now`` allows."""
        rng = self.rng
        if rng.random() < 0.008:  # 撤案 or 并案 before 交办
            at = self.after(registered_at, 1, 10)
            if self.past(at):
                if previous is not None and rng.random() < 0.5:
                    case.merged_into = previous
                    self.change(case, at, "merge", "merged", DISPATCHER, comment="内容相近，并案办理",
                                into_case_id=previous)
                else:
                    self.change(case, at, "withdraw", "withdrawn", DISPATCHER, comment="提出人申请撤回")
            return
        at = self.office_hours(registered_at.date() + timedelta(days=rng.randint(3, 15)))
        if not self.past(at):
            return
        units = [self.new_assignment(case, u, role, at) for u, role in self.units_for()]
        self.assign(case, at, units)
        if case.key_case:
            self.event(at, case, "key_case", DISPATCHER, comment="列为重点督办件", key_case=True)
        for a in units:
            self.sign(case, a)
        lead = case.assignments[0]
        while lead.state == "returned":  # the only 主办 unit was returned: 交办 again to another
            self.change(case, lead.returned_at, "unassign", "registered", None, comment="主办单位已退回，待重新交办")
            at = self.office_hours(self.after(lead.returned_at, 1, 5).date())
            if not self.past(at):
                return
            lead = self.new_assignment(case, self.other_unit(case), "lead", at)
            self.assign(case, at, [lead])
            self.sign(case, lead)
        leads = case.leads
        if any(a.state != "accepted" for a in leads):
            return
        started = max(a.accepted_at for a in leads)
        self.change(case, started, "start", "in_progress", self.handler(leads[-1].unit_id))
        if rng.random() < 0.01:  # 追加交办 of another 会办 unit
            at = self.after(started, 10, 40)
            if self.past(at):
                added = self.new_assignment(case, self.other_unit(case), "co", at)
                self.event(at, case, "add_units", DISPATCHER, comment="追加交办", units=[
                    {"unit_id": added.unit_id, "role": "co", "due_date": added.due.isoformat()}])
                self.sign(case, added)
        for a in case.assignments:
            if a.role == "co" and a.state != "returned":
                self.co_opinion(case, a)
        ready = max((a.ready_at for a in case.assignments if a.ready_at), default=started)
        for a in leads:
            self.handle(case, a, ready)
        if all(a.sent for a in leads):
            self.replied(case, 1)

    def change(self, case: _Case, at: datetime, transition: str, state: str, actor: int | None, **kw) -> None:
        self.event(at, case, transition, actor, None, case.state, state, **kw)
        case.state = state
        case.version += 1

    def step(self, case: _Case, a: _Assignment, at: datetime, transition: str, state: str, actor: int | None,
             **kw) -> None:
        self.event(at, case, transition, actor, a, a.state, state, **kw)
        a.state = state
        a.version += 1

    def assign(self, case: _Case, at: datetime, units: list[_Assignment]) -> None:
        """交办 with the computed due dates; a 重点督办 case gets a month less, with the reason."""
        payload = []
        for a in units:
            entry = {"unit_id": a.unit_id, "role": a.role, "due_date": a.due.isoformat()}
            if a.lead and case.key_case:
                entry.update(computed_due=a.due.isoformat(), due_reason="重点督办件，缩短办理期限")
                a.due = a.original_due = add_months(at.date(), 2)
                entry["due_date"] = a.due.isoformat()
            payload.append(entry)
        self.change(case, at, "assign", "assigned", DISPATCHER, units=payload)

    def sign(self, case: _Case, a: _Assignment) -> None:
        """签收, after a 退回 request now and then (approved: the assignment is returned)."""
        rng = self.rng
        at = self.after(a.assigned_at, 0.1, 4)
        if rng.random() < (0.02 if a.role == "co" else 0.006 if a.role == "lead" else 0):
            asked = self.after(a.assigned_at, 0.2, 3)
            if not self.past(asked):
                return
            a.request_reason = "该事项不属于本单位职责范围"
            self.step(case, a, asked, "request_return", "return_requested", self.handler(a.unit_id),
                      comment=a.request_reason)
            decided = self.after(asked, 0.2, 3)
            if not self.past(decided):
                return
            a.request_reason = None
            if rng.random() < 0.8:
                self.step(case, a, decided, "approve_return", "returned", DISPATCHER)
                a.returned_at = decided
                return
            self.step(case, a, decided, "reject_return", "pending", DISPATCHER, comment="请按职责办理")
            at = self.after(decided, 0.1, 2)
        if self.past(at):
            self.step(case, a, at, "accept", "accepted", self.handler(a.unit_id))
            a.accepted_at = at

    def co_opinion(self, case: _Case, a: _Assignment) -> None:
        """会办意见, mostly before the co due date; when it will come is ``ready_at`` either way."""
        rng = self.rng
        if a.state != "accepted":
            a.ready_at = self.now + timedelta(days=30)
            return
        day = a.due - timedelta(days=rng.randint(0, 20)) if rng.random() < 0.88 else \
            a.due + timedelta(days=rng.randint(1, 30))
        a.ready_at = max(self.office_hours(day), self.after(a.accepted_at, 0.2, 2))
        if rng.random() < 0.15:
            self.contact(case, a, "phone", a.accepted_at, a.ready_at)
        if self.past(a.ready_at):
            self.add("co_opinions", case.id, a.id, "会办意见：" + _text(rng, SENTENCES, (1, 2)), self.handler(a.unit_id),
                     a.ready_at)
            self.step(case, a, a.ready_at, "send_opinion", "opinion_sent", self.handler(a.unit_id))

    def contact(self, case: _Case, a: _Assignment, kind: str, start: datetime, end: datetime) -> None:
        at = start + (min(end, self.now) - start) * self.rng.random()
        note = {"meeting": "上门当面沟通办理思路", "phone": "电话沟通办理进展", "online": "线上沟通"}[kind]
        self.add("contacts", case.id, a.id, kind, at.date(), note, self.handler(a.unit_id), at)
        self.event(at, case, "contact", self.handler(a.unit_id), a, kind=kind, on=at.date().isoformat())

    def handle(self, case: _Case, a: _Assignment, ready: datetime) -> None:
        """A lead unit's handling up to its first reply: 延期 now and then, contacts, the reply."""
        rng = self.rng
        earliest = max(self.after(ready, 0.1, 2), self.after(a.accepted_at, 7, 10))
        if rng.random() < 0.1:
            earliest = max(earliest, self.extension(case, a))
        late = rng.random()  # most on time, some late, a few very late
        days = -rng.randint(0, 50) if late < 0.78 else rng.randint(1, 40) if late < 0.95 else rng.randint(41, 150)
        day = a.due + timedelta(days=days)
        at = max(self.office_hours(day), earliest)
        for kind, p in (("meeting", 0.65), ("phone", 0.55), ("online", 0.2)):
            if rng.random() < p:
                self.contact(case, a, kind, a.accepted_at, at)
        self.reply(case, a, at, 1)

    def extension(self, case: _Case, a: _Assignment) -> datetime:
        """延期 request, mostly approved; the earliest the unit can reply after it."""
        rng = self.rng
        asked = self.after(a.accepted_at, 15, 60)
        if self.past(asked):
            a.requested_due = add_months(a.assigned_at.date(), rng.randint(4, 6))
            a.request_reason = "涉及多部门协调，需延长办理期限"
            self.step(case, a, asked, "request_extension", "extension_requested", self.handler(a.unit_id),
                      comment=a.request_reason, requested_due_date=a.requested_due.isoformat())
        decided = self.after(asked, 0.2, 5)
        if self.past(decided):
            if rng.random() < 0.8:
                self.step(case, a, decided, "approve_extension", "accepted", DISPATCHER,
                          old_due=a.due.isoformat(), new_due=a.requested_due.isoformat())
                a.due = a.requested_due
            else:
                self.step(case, a, decided, "reject_extension", "accepted", DISPATCHER, comment="理由不充分")
            a.requested_due = a.request_reason = None
        return self.after(decided, 1, 30)

    def reply(self, case: _Case, a: _Assignment, at: datetime, ordinal: int) -> None:
        """答复: drafted some days before, signed and sent at ``at`` (if that is past), with its disclosure."""
        rng = self.rng
        drafted = max(a.accepted_at, at - timedelta(days=rng.uniform(1, 10)))
        if not self.past(drafted):
            return
        classes = self.classes[case.body, case.year]
        class_id = rng.choices([c for c, _ in classes], weights=[w for _, w in classes])[0]
        text = _text(rng, REPLY_SENTENCES, (3, 5))
        sent = self.past(at)
        reply_id = self.add("replies", case.id, a.id, ordinal, f"长{a.unit_id}〔{case.year}〕{case.number}号",
                            self.leader(a.unit_id) if sent else None, _name(rng), f"021-{rng.randrange(10 ** 8):08d}",
                            class_id, text, "", self.handler(a.unit_id), drafted, at if sent else None,
                            at if sent else None, 2 if sent else 1)
        self.event(drafted, case, "draft_reply", self.handler(a.unit_id), a, reply_id=reply_id)
        if not sent:
            return
        self.step(case, a, at, "sign_reply", "answered", self.leader(a.unit_id), reply_id=reply_id)
        a.answered_at = at
        a.sent.append((reply_id, at, class_id))
        self.disclosure(case, reply_id, at, text)

    def disclosure(self, case: _Case, reply_id: int, replied_at: datetime, text: str) -> None:
        rng = self.rng
        decided = self.after(replied_at, 3, 27)
        state, scope, published, reason = "pending", None, None, ""
        if self.past(decided):
            if case.consent == "none" or rng.random() < 0.1:
                state, reason = "withheld", ("提出人不同意公开" if case.consent == "none" else rng.choice(WITHHELD_REASONS))
                self.event(decided, case, "withhold", DISPATCHER, None, "pending", state, comment=reason,
                           reply_id=reply_id)
            else:
                state, scope, published = "published", "full" if case.consent == "full" else "summary", text
                self.event(decided, case, "publish", DISPATCHER, None, "pending", state, reply_id=reply_id, scope=scope)
        done = state != "pending"
        self.add("disclosures", case.id, reply_id, state, scope, published, reason, DISPATCHER if done else None,
                 decided if done else None, replied_at, 2 if done else 1)

    def replied(self, case: _Case, ordinal: int) -> None:
        """Every lead unit has answered: the case is replied, evaluated (or 重新办理), closed, reviewed."""
        rng = self.rng
        leads = case.leads
        last_id, at, _ = max((a.sent[-1] for a in leads), key=lambda s: s[1])
        self.change(case, at, "reply", "replied", self.leader(leads[0].unit_id), reply_id=last_id)
        if rng.random() < 0.12:
            given = self.after(at, 29, 36)
            if not self.past(given):
                return
            self.change(case, given, "evaluation_lapsed", "evaluated", None)
            self.add("feedback", case.id, last_id, ordinal, "no_response", None, None, "", "timeout", None, given)
        else:
            given = self.after(at, 2, 26)
            if not self.past(given):
                return
            weights = (68, 25, 7) if ordinal == 1 else (40, 60, 0)
            overall = rng.choices(("satisfied", "basically_satisfied", "dissatisfied"), weights=weights)[0]
            result = overall if rng.random() < 0.8 else "basically_satisfied"
            by_link = rng.random() < 0.6
            actor = None if by_link else DISPATCHER
            extra = {"proposer_id": case.proposer_id} if by_link else {}
            comment = "落实不到位，希望重新办理" if overall == "dissatisfied" else ""
            self.add("feedback", case.id, last_id, ordinal, overall, "satisfied", result, comment,
                     "link" if by_link else "clerk", case.proposer_id if by_link else None, given)
            if overall == "dissatisfied":
                self.change(case, given, "give_feedback", "rehandling", actor, comment="不满意：" + comment,
                            overall=overall, **extra)
                due = add_months(given.date(), 1)
                for a in leads:
                    self.step(case, a, given, "reopen", "accepted", actor, due_date=due.isoformat(), **extra)
                    a.due = a.original_due = due
                for a in leads:
                    self.reply(case, a, self.after(given, 7, 35), ordinal + 1)
                if all(len(a.sent) > ordinal for a in leads):
                    self.replied(case, ordinal + 1)
                return
            self.change(case, given, "give_feedback", "evaluated", actor, comment=overall, overall=overall, **extra)
        closed = self.after(given, 3, 40)
        if self.past(closed):
            self.change(case, closed, "close", "closed", DISPATCHER)
        if ordinal == 1:
            self.follow_up(case, given)

    def follow_up(self, case: _Case, evaluated: datetime) -> None:
        """回头看 of some replied cases, raising the result class of about half the unresolved ones."""
        rng = self.rng
        at = self.after(evaluated, 30, 240)
        if rng.random() >= 0.15 or not self.past(at):
            return
        a = case.leads[0]
        first_class = min((s for l in case.leads for s in l.sent), key=lambda s: s[1])[2]
        classes = [c for c, _ in self.classes[case.body, case.year]]
        position = classes.index(first_class)
        current = classes[rng.randrange(position)] if position and rng.random() < 0.5 else first_class
        stage = rng.choices(("after", "during", "before"), weights=(70, 20, 10))[0]
        self.add("follow_ups", case.id, a.id, stage, first_class, current, "回头看：" + rng.choice(SENTENCES),
                 DISPATCHER, at)
        self.event(at, case, "follow_up", DISPATCHER, a, comment="回头看", stage=stage, original=first_class,
                   current=current)

    def write(self, case: _Case, registered_at: datetime) -> None:
        rng = self.rng
        title = f"关于{rng.choice(ACTIONS)}{rng.choice(TOPICS)}的{'建议' if case.body == 'npc_suggestion' else '提案'}"
        self.rows["cases"].append((
            case.id, case.body, case.session_id, case.number, title, _text(rng, SENTENCES, (3, 6)),
            rng.choice(self.categories[case.body, case.year]), case.proposer_id, case.consent, False, case.key_case,
            case.state, case.merged_into, registered_at, case.version))
        for a in sorted(case.assignments, key=lambda a: a.id):
            self.rows["assignments"].append((
                a.id, case.id, a.unit_id, a.role, a.state, a.assigned_at, a.original_due, a.due, a.answered_at,
                a.requested_due, a.request_reason, a.version))
            if a.state != "returned":
                self.per_year_unit[case.year, a.unit_id] += 1


def fill(url: str, cases: int = 200_000, *, now: datetime = NOW, seed: int = 1) -> Dataset:
    """Write the dataset into the migrated, empty database at ``url`` (a SQLAlchemy or libpq URL),
    then VACUUM ANALYZE it as autovacuum would have by then."""
    started = time.perf_counter()
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM units) OR EXISTS (SELECT 1 FROM users)").fetchone()[0]:
            raise SystemExit("the database has units or users already; make_dataset fills an empty one")
        b = _Builder(conn, now, seed)
        b.district()
        weights = [1.06 ** i for i in range(YEARS)]
        for year, w in zip(b.years, weights):
            b.year(year, round(cases * w / sum(weights)))
        for table in COLUMNS:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    busy_year = max(b.years, key=lambda y: sum(n for (year, _), n in b.per_year_unit.items() if year == y))
    busy_unit = max((n, u) for (year, u), n in b.per_year_unit.items() if year == busy_year)[1]
    return Dataset(dict(b.counts), b.years, busy_year, busy_unit, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a migrated, empty caseflow database")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    d = fill(args.database_url, args.cases, seed=args.seed)
    print(", ".join(f"{table} {n:,}" for table, n in d.counts.items()))
    print(f"years {d.years[0]}–{d.years[-1]}, busiest {d.busy_year}; written in {d.seconds:.1f} s")


if __name__ == "__main__":
    main()
