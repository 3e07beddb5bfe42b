"""The statistics of DESIGN §5 on a hand-built district: 30 cases walked through the real services on
frozen 2025 dates; every expected figure below is counted by hand from the scenario.

Units: 甲 (A) and 乙 (B) lead, 丙 (C) mostly co. 交办 on 3 March unless noted: lead due 3 June,
co due 3 April. ``as_of`` is 1 July (the traffic lights' yellow band runs to 16 July).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from caseflow.models import Case, Disclosure
from caseflow.services import assignments, cases, disclosure, feedback, handling
from caseflow.stats import (
    Average,
    ClassCount,
    Filter,
    Handled,
    Lights,
    Rate,
    adoption_rate,
    cases_behind,
    class_distribution,
    co_timely_rate,
    contact_rate,
    follow_up_conversions,
    handled,
    handling_days,
    meeting_rate,
    on_time_rate,
    overdue_count,
    reply_rate,
    satisfaction,
    summary,
    table as grouped_table,
    traffic_lights,
    unit_table,
)
from caseflow.stats import disclosure as disclosure_figures

MAR3 = date(2025, 3, 3)
AS_OF = date(2025, 7, 1)


def d(month: int, day: int) -> date:
    return date(2025, month, day)


class District:
    """Walks cases through the services, each step on its own frozen day."""

    def __init__(self, make, db, freeze):
        self.make, self.db, self.freeze = make, db, freeze
        self.sessions = {b: make.session(body=b, year=2025) for b in ("cppcc_proposal", "npc_suggestion")}
        self.classes = {b: make.result_classes(body=b, year=2025) for b in self.sessions}
        self.units = {k: make.unit(name) for k, name in (("A", "甲局"), ("B", "乙局"), ("C", "丙街道"))}
        self.handler = {k: make.user("handler", unit=u) for k, u in self.units.items()}
        self.leader = {k: make.user("unit_leader", unit=u) for k, u in self.units.items()}
        self.dispatcher = make.user("dispatcher")
        self.cases: dict[str, Case] = {}

    def part(self, key: str, unit: str):
        return next(a for a in self.cases[key].assignments if a.unit_id == self.units[unit].id and a.state != "returned")

    def case(self, key: str, lead: str | tuple[str, ...], co: str | None = None, on: date = MAR3,
             body: str = "cppcc_proposal", assign: bool = True) -> Case:
        self.freeze(on)
        case = self.make.case(session=self.sessions[body])
        self.cases[key] = case
        if assign:
            leads = (lead,) if isinstance(lead, str) else lead
            self.assign(key, [cases.UnitAssignment(self.units[u].id, "split" if len(leads) > 1 else "lead")
                              for u in leads] + ([cases.UnitAssignment(self.units[co].id, "co")] if co else []), on)
        return case

    def assign(self, key: str, units: list[cases.UnitAssignment], on: date) -> None:
        self.freeze(on)
        case = self.cases[key]
        give = cases.assign if case.state == "registered" else cases.add_units  # 交办, or 追加交办
        give(self.dispatcher, case.id, case.version, units)
        for a in case.assignments:
            if a.state == "pending":
                key_of = next(k for k, u in self.units.items() if u.id == a.unit_id)
                assignments.accept(self.handler[key_of], a.id, a.version)

    def opinion(self, key: str, unit: str, on: date) -> None:
        self.freeze(on)
        a = self.part(key, unit)
        handling.send_co_opinion(self.handler[unit], a.id, a.version, "会办意见")

    def contact(self, key: str, unit: str, kind: str, on: date) -> None:
        self.freeze(on)
        handling.log_contact(self.handler[unit], self.part(key, unit).id, kind, on, "沟通")

    def reply(self, key: str, unit: str, on: date, cls: int) -> None:
        self.freeze(on)
        case = self.cases[key]
        reply = handling.draft_reply(self.handler[unit], self.part(key, unit).id, handling.ReplyInput(
            doc_number="测〔2025〕1号", contact_name="经办人", contact_phone="021-22050000",
            result_class_id=self.classes[case.body][cls].id, text="答复正文：已研究落实。"))
        handling.sign_reply(self.leader[unit], reply.id, reply.version)

    def feedback(self, key: str, overall: str, on: date) -> None:
        self.freeze(on)
        case = self.cases[key]
        feedback.give_feedback(self.dispatcher, case.id, case.version, overall, channel="clerk",
                               comment="未解决" if overall == "dissatisfied" else "")

    def no_response(self, key: str, on: date) -> None:
        self.freeze(on)
        case = self.cases[key]
        feedback.record_no_response(self.dispatcher, case.id, case.version)

    def disclose(self, key: str, reason: str | None = None) -> None:
        """Publish (or, with a reason, withhold) the case's first reply."""
        d = self.db.session.scalars(select(Disclosure).where(Disclosure.case_id == self.cases[key].id)
                                    .order_by(Disclosure.id)).first()
        if reason:
            disclosure.withhold(self.dispatcher, d.id, d.version, reason)
        else:
            disclosure.publish(self.dispatcher, d.id, d.version, "full", "答复正文：已研究落实。")

    def extend(self, key: str, unit: str, to: date, on: date) -> None:
        self.freeze(on)
        a = self.part(key, unit)
        assignments.request_extension(self.handler[unit], a.id, a.version, to, "需要协调")
        assignments.approve_extension(self.dispatcher, a.id, a.version, comment="同意")

    def follow_up(self, key: str, unit: str, cls: int, on: date) -> None:
        self.freeze(on)
        case = self.cases[key]
        handling.record_follow_up(self.handler[unit], case.id, "after", "回头看", self.classes[case.body][cls].id)

    def close(self, key: str, on: date) -> None:
        self.freeze(on)
        case = self.cases[key]
        cases.close(self.dispatcher, case.id, case.version)


@pytest.fixture
def district(make, db, frozen_clock) -> District:
    t = District(make, db, frozen_clock)
    # classes: 0 = 解决或采纳 / 解决采纳 (adopted), 1 = 列入计划拟解决 / 正在解决, 2 = 留作参考 / 计划解决 …
    # -- 甲 leads, 丙 co ------------------------------------------------------------------------------
    t.case("P1", "A", "C"); t.contact("P1", "A", "meeting", d(3, 10)); t.opinion("P1", "C", d(3, 20))
    t.reply("P1", "A", d(5, 10), 0); t.feedback("P1", "satisfied", d(5, 15)); t.disclose("P1")
    t.case("P2", "A", "C"); t.contact("P2", "A", "phone", d(3, 15)); t.opinion("P2", "C", d(4, 10))  # 会办 late
    t.reply("P2", "A", d(5, 20), 1); t.feedback("P2", "basically_satisfied", d(5, 25)); t.disclose("P2")
    t.case("P3", "A", "C"); t.opinion("P3", "C", d(3, 25))
    t.reply("P3", "A", d(6, 10), 2)  # late; 不满意 then moves the due dates to 12 July
    t.feedback("P3", "dissatisfied", d(6, 12)); t.reply("P3", "A", d(6, 25), 0); t.feedback("P3", "satisfied", d(6, 28))
    t.disclose("P3")
    t.case("P4", "A", "C"); t.opinion("P4", "C", d(3, 28)); t.extend("P4", "A", d(7, 3), on=d(5, 20))
    t.reply("P4", "A", d(6, 20), 0); t.no_response("P4", d(7, 25)); t.disclose("P4", "涉及国家秘密")
    t.case("P5", "A", "C"); t.opinion("P5", "C", d(4, 1)); t.reply("P5", "A", d(5, 30), 1)
    t.contact("P5", "A", "meeting", d(6, 20))  # after the reply: not 办前见面
    t.feedback("P5", "satisfied", d(6, 21)); t.disclose("P5", "涉及国家秘密")
    t.case("P6", "A", "C"); t.contact("P6", "A", "meeting", d(4, 1))  # open; the co-unit never answers
    t.case("P7", "A")  # open
    t.case("P12", "A", "C", on=d(4, 10)); t.opinion("P12", "C", d(5, 5))  # lead due 10 July
    t.case("P14", "A", on=d(4, 16))  # due 16 July: 15 days left, yellow
    t.case("P24", "A", "B"); t.contact("P24", "A", "online", d(4, 1)); t.opinion("P24", "B", d(4, 5))  # late
    t.reply("P24", "A", d(5, 18), 0); t.feedback("P24", "satisfied", d(5, 25))
    p18 = t.case("P18", "C", assign=False)  # 丙 asks to return it; it goes to 甲 on 6 March (due 6 June)
    cases.assign(t.dispatcher, p18.id, p18.version, [cases.UnitAssignment(t.units["C"].id, "lead")])
    t.freeze(d(3, 4))
    c18 = t.part("P18", "C")
    assignments.request_return(t.handler["C"], c18.id, c18.version, "不属本单位职责")
    t.freeze(d(3, 5))
    assignments.approve_return(t.dispatcher, c18.id, c18.version)
    t.assign("P18", [cases.UnitAssignment(t.units["A"].id, "lead")], d(3, 6))
    t.reply("P18", "A", d(6, 5), 1); t.feedback("P18", "satisfied", d(6, 10))
    # -- 乙 leads ---------------------------------------------------------------------------------------
    t.case("P8", "B"); t.reply("P8", "B", d(4, 15), 0); t.feedback("P8", "satisfied", d(4, 20)); t.disclose("P8")
    t.follow_up("P8", "B", 0, d(6, 1))  # 解决或采纳 stays: no conversion
    t.case("P9", "B"); t.reply("P9", "B", d(5, 5), 2); t.feedback("P9", "satisfied", d(5, 10))
    t.follow_up("P9", "B", 0, d(6, 1))  # 留作参考 → 解决或采纳: a conversion
    t.case("P10", "B"); t.reply("P10", "B", d(6, 2), 1); t.feedback("P10", "dissatisfied", d(6, 5))
    t.reply("P10", "B", d(6, 20), 1); t.feedback("P10", "basically_satisfied", d(6, 25))
    t.case("P11", "B"); t.reply("P11", "B", d(5, 15), 1)  # no evaluation yet
    t.case("P13", "B", on=d(5, 20))  # due 20 August: green
    t.case("P15", "B", on=d(4, 17))  # due 17 July: 16 days left, green
    t.case("P16", "B"); t.assign("P16", [cases.UnitAssignment(t.units["C"].id, "co")], d(3, 10))  # 追加交办: due 10 April
    t.opinion("P16", "C", d(4, 8)); t.reply("P16", "B", d(5, 25), 0); t.feedback("P16", "satisfied", d(5, 30))
    t.case("P19", "B"); t.contact("P19", "B", "phone", d(4, 10)); t.reply("P19", "B", d(4, 20), 0)
    t.feedback("P19", "satisfied", d(4, 25))
    t.case("P20", "B"); t.contact("P20", "B", "phone", d(4, 15)); t.reply("P20", "B", d(4, 25), 0)
    t.feedback("P20", "satisfied", d(4, 30))
    t.case("P23", "B", "C"); t.opinion("P23", "C", d(4, 3))  # on the due day: in time
    t.reply("P23", "B", d(5, 12), 2); t.feedback("P23", "dissatisfied", d(5, 20))  # 重新办理, due 20 June: open
    t.case("P25", "B", "C"); t.freeze(d(4, 1))
    cases.override_co_opinions(t.dispatcher, t.cases["P25"].id, t.cases["P25"].version, "时间紧")
    t.reply("P25", "B", d(4, 10), 0); t.feedback("P25", "satisfied", d(4, 15)); t.close("P25", d(4, 20))
    t.case("P26", "B"); t.reply("P26", "B", d(4, 12), 1); t.feedback("P26", "basically_satisfied", d(4, 20))
    t.close("P26", d(4, 25)); t.disclose("P26", "涉及第三方隐私")
    # -- 分办: 甲 and 乙 each answer their part ---------------------------------------------------------
    t.case("P17", ("A", "B")); t.reply("P17", "A", d(5, 6), 0); t.reply("P17", "B", d(5, 8), 1)
    t.feedback("P17", "satisfied", d(5, 15))
    for reply_disclosure in t.db.session.scalars(select(Disclosure).where(Disclosure.case_id == t.cases["P17"].id)):
        disclosure.publish(t.dispatcher, reply_disclosure.id, reply_disclosure.version, "full", "答复正文")
    # -- not counted: registered only, withdrawn ------------------------------------------------------
    t.case("P21", "A", assign=False)
    t.case("P22", "A", assign=False)
    cases.withdraw(t.dispatcher, t.cases["P22"].id, t.cases["P22"].version, "提出人撤回")
    # -- 人大建议 ---------------------------------------------------------------------------------------
    npc = "npc_suggestion"
    t.case("N1", "A", body=npc); t.reply("N1", "A", d(5, 1), 0); t.feedback("N1", "satisfied", d(5, 5))  # 解决采纳
    t.case("N2", "A", body=npc); t.reply("N2", "A", d(5, 2), 3)  # 留作参考
    t.feedback("N2", "basically_satisfied", d(5, 6))
    t.case("N3", "B", body=npc)  # open, due 3 June
    t.case("N4", "B", "A", body=npc); t.contact("N4", "B", "meeting", d(3, 12)); t.opinion("N4", "A", d(3, 20))
    t.reply("N4", "B", d(5, 3), 1); t.feedback("N4", "satisfied", d(5, 8))  # 正在解决
    return t


def test_figures_of_a_hand_built_district(district, app, db, monkeypatch):
    a, b, c = (district.units[k].id for k in "ABC")
    f = Filter(as_of=AS_OF)

    # 承办数: 甲 leads P1-P7, P12, P14, P17, P18, P24, N1, N2 = 14 and co N4; 乙 leads P8-P11, P13, P15,
    # P16, P17, P19, P20, P23, P25, P26, N3, N4 = 15 and co P24; 丙 co P1-P6, P12, P16, P23, P25 = 10
    # (its returned P18 is not counted; nor are the registered P21 and the withdrawn P22)
    assert handled(f) == Handled(lead=29, co=12)
    assert handled(Filter(unit_id=c)) == Handled(lead=0, co=10)

    # 办复率: replied 甲 10 (all but P6, P7, P12, P14) + 乙 12 (all but P13, P15, N3) = 22;
    # due = replied + past due on 1 July unreplied (P6, P7, N3) = 25
    assert reply_rate(f) == Rate(22, 25, Decimal("0.8800"))
    # 按期: late are P3 (10 June > 3 June, though 不满意 moved its due date to July) — P4 (20 June)
    # is in time by its extension to 3 July, P18 (5 June) by its due of 6 June → 21 of 25
    assert on_time_rate(f) == Rate(21, 25, Decimal("0.8400"))
    monkeypatch.setitem(app.config, "STATS_EXTENSION_COUNTS", False)
    assert on_time_rate(f).numerator == 20  # P4 is late against 3 June
    monkeypatch.setitem(app.config, "STATS_EXTENSION_COUNTS", True)

    # 会办及时率: 丙 in time P1, P3, P4, P5, P12 (due 10 May), P16 (追加 10 March: due 10 April), P23 (on
    # the day) = 7 of 10 (P2 late, P6 and P25 never); 甲 N4 in time; 乙 P24 late → 8 of 12
    assert co_timely_rate(f) == Rate(8, 12, Decimal("0.6667"))
    assert co_timely_rate(Filter(unit_id=c, as_of=AS_OF)) == Rate(7, 10, Decimal("0.7000"))

    # 解决采纳率 (latest reply): 甲 P1, P3 (second reply), P4, P17, P24, N1 = 6 of 10;
    # 乙 P8, P16, P19, P20, P25 = 5 of 12 (P9's 回头看 does not change its reply) → 11 of 22
    assert adoption_rate(f) == Rate(11, 22, Decimal("0.5000"))
    assert {x.label: x.count for x in class_distribution(f)} == {
        "解决或采纳": 10,  # P1 P3 P4 P17甲 P24 | P8 P16 P19 P20 P25
        "列入计划拟解决": 7,  # P2 P5 P18 | P10 P11 P17乙 P26
        "留作参考": 3,  # P9 P23 and N2
        "解决采纳": 1, "正在解决": 1,  # N1, N4
    }

    # 满意率 over the 21 replied cases less P4 (lapsed) and P11 (not yet) = 19 evaluated. Final: 满意 14
    # (P1 P3 P5 P17 P18 P24 N1 P8 P9 P16 P19 P20 P25 N4), 基本满意 4 (P2 N2 P10 P26), 不满意 1 (P23)
    final = satisfaction(f)
    assert final.satisfied == Rate(14, 19, Decimal("0.7368"))
    assert final.satisfied_or_basic == Rate(18, 19, Decimal("0.9474"))
    assert final.dissatisfied == 1
    # first evaluations: P3 and P10 were 不满意 first → 满意 13, 基本满意 3, 不满意 3
    first = satisfaction(f, first=True)
    assert (first.satisfied, first.satisfied_or_basic, first.dissatisfied) == (
        Rate(13, 19, Decimal("0.6842")), Rate(16, 19, Decimal("0.8421")), 3)
    # the cases behind the rates' links: the 19 evaluated (first and final alike), 18 of them (基本)满意
    def behind(count: str, of: Filter = f) -> set[str]:
        ids = set(db.session.scalars(cases_behind(of, count)))
        return {key for key, case in district.cases.items() if case.id in ids}

    evaluated = {"P1", "P2", "P3", "P5", "P8", "P9", "P10", "P16", "P17", "P18", "P19", "P20", "P23", "P24", "P25",
                 "P26", "N1", "N2", "N4"}
    assert behind("first_evaluated") == behind("final_evaluated") == evaluated
    assert behind("final_satisfied_or_basic") == evaluated - {"P23"}
    # first replied in May (P11 not evaluated): the links keep to the filter
    may = Filter(start=d(5, 1), end=d(5, 31), as_of=AS_OF)
    assert behind("first_evaluated", may) == {"P1", "P2", "P5", "P17", "P24", "N1", "N2", "P9", "P16", "P23", "N4"}
    assert behind("final_satisfied_or_basic", may) == {"P1", "P2", "P5", "P17", "P24", "N1", "N2", "P9", "P16", "N4"}

    # 见面率 over the 28 lead cases (P17 once): 见面 before the reply P1, N4, and P6 (not replied yet);
    # P5's is after its reply → 3; 沟通率 adds the phone/online P2, P24, P19, P20 → 7
    assert meeting_rate(f) == Rate(3, 28, Decimal("0.1071"))
    assert contact_rate(f) == Rate(7, 28, Decimal("0.2500"))

    # 主动公开率: published P1 P2 P3 P8 P17 of 21 replied cases; 不予公开 P4 P5 (same reason) and P26
    figures = disclosure_figures(f)
    assert figures.published == Rate(5, 21, Decimal("0.2381"))
    assert (figures.withheld, figures.reasons) == (3, [("涉及国家秘密", 2), ("涉及第三方隐私", 1)])

    # 交办 → 答复 days: 甲 68 78 99 109 88 64 91 76 59 60 = 792; 乙 43 63 91 73 83 66 48 53 70 38 40 61 = 729
    assert handling_days(f) == Average(22, Decimal("69.1"))  # 1521 / 22 = 69.14
    assert handling_days(Filter(unit_id=b)).days == Decimal("60.8")  # 729 / 12 = 60.75

    # open on 1 July: red P6 甲, P6 丙 (co), P7, N3, P23 (重新办理, due 20 June); yellow P12 (10 July),
    # P14 (16 July); green P15 (17 July), P13 (20 August). Closed P25's silent co-unit is not counted.
    assert traffic_lights(f) == Lights(green=2, yellow=2, red=5)
    assert overdue_count(f) == 5

    # 回头看: P8 (no change) and P9 (留作参考 → 解决或采纳) → 1 of 2
    assert follow_up_conversions(f) == Rate(1, 2, Decimal("0.5000"))

    # filters: 人大建议 only — N1, N2, N4 replied, N3 past due
    assert reply_rate(Filter(body="npc_suggestion", as_of=AS_OF)) == Rate(3, 4, Decimal("0.7500"))
    assert handled(Filter(session_id=district.sessions["npc_suggestion"].id)) == Handled(lead=4, co=1)
    assert handled(Filter(year=2024)) == Handled(0, 0) and reply_rate(Filter(year=2024)).rate is None
    # 交办 in April: P12 (甲 + 丙), P14 (甲), P15 (乙)
    assert handled(Filter(start=d(4, 1), end=d(4, 30))) == Handled(lead=3, co=1)
    # first reply in May: 甲 P1 P2 P5 P17 P24 N1 N2, 乙 P9 P11 P16 P17 P23 N4; adopted P1 P17 P24 N1 P16
    assert adoption_rate(Filter(start=d(5, 1), end=d(5, 31))) == Rate(5, 13, Decimal("0.3846"))
    # and their classes (the latest reply's): P23's 不满意 brought no second reply yet
    assert {x.label: x.count for x in class_distribution(Filter(start=d(5, 1), end=d(5, 31)))} == {
        "解决或采纳": 4,  # P1 P17甲 P24 | P16
        "列入计划拟解决": 4,  # P2 P5 | P11 P17乙
        "留作参考": 3,  # P9 P23 and N2
        "解决采纳": 1, "正在解决": 1,  # N1, N4
    }

    # the per-unit table agrees with the single figures, unit by unit
    table = {row.unit_name: row.figures for row in unit_table(f)}
    assert list(table) == sorted(["甲局", "乙局", "丙街道"])
    ja, yi, bing = table["甲局"], table["乙局"], table["丙街道"]
    assert (ja.handled, yi.handled, bing.handled) == (Handled(14, 1), Handled(15, 1), Handled(0, 10))
    assert ja.reply_rate == Rate(10, 12, Decimal("0.8333")) and yi.reply_rate == Rate(12, 13, Decimal("0.9231"))
    assert ja.on_time_rate == Rate(9, 12, Decimal("0.7500")) and yi.on_time_rate == Rate(12, 13, Decimal("0.9231"))
    assert bing.co_timely_rate == Rate(7, 10, Decimal("0.7000")) and yi.co_timely_rate == Rate(0, 1, Decimal("0"))
    assert ja.adoption_rate == Rate(6, 10, Decimal("0.6000")) and yi.adoption_rate == Rate(5, 12, Decimal("0.4167"))
    # 甲's 9 evaluated: 满意 7, 基本满意 2 (P2, N2); first round P3 不满意
    assert ja.satisfaction.satisfied == Rate(7, 9, Decimal("0.7778"))
    assert ja.first_satisfaction.satisfied == Rate(6, 9, Decimal("0.6667"))
    assert yi.satisfaction.satisfied_or_basic == Rate(10, 11, Decimal("0.9091")) and yi.satisfaction.dissatisfied == 1
    assert ja.meeting_rate == Rate(2, 14, Decimal("0.1429")) and yi.contact_rate == Rate(3, 15, Decimal("0.2000"))
    assert ja.disclosure.published == Rate(4, 10, Decimal("0.4000")) and yi.disclosure.published.numerator == 2
    assert ja.disclosure.reasons == [("涉及国家秘密", 2)] and yi.disclosure.reasons == [("涉及第三方隐私", 1)]
    assert (ja.disclosure.withheld, yi.disclosure.withheld, bing.disclosure.withheld) == (2, 1, 0)  # P4 P5 | P26
    assert bing.classes == [] and bing.disclosure.reasons == []  # 丙 only co: no replies of its own
    assert ja.handling_days == Average(10, Decimal("79.2")) and yi.handling_days == Average(12, Decimal("60.8"))
    assert (ja.lights, yi.lights, bing.lights) == (Lights(0, 2, 2), Lights(2, 0, 2), Lights(0, 0, 1))
    assert ja.conversions.rate is None and yi.conversions == Rate(1, 2, Decimal("0.5000"))
    assert ClassCount("留作参考", 2) in yi.classes and ClassCount("留作参考", 1) in ja.classes
    assert summary(Filter(unit_id=a, as_of=AS_OF)) == ja
    whole = summary(f)
    assert (whole.handled, whole.reply_rate, whole.overdue) == (Handled(29, 12), Rate(22, 25, Decimal("0.8800")), 5)
    assert whole.handling_days == Average(22, Decimal("69.1"))
    assert grouped_table(f).total == whole  # the grouped query's total row is the summary's


def test_a_rate_is_rounded_and_none_without_a_denominator():
    assert Rate.of(2, 3) == Rate(2, 3, Decimal("0.6667")) and Rate.of(2, 3).percent == "66.7%"
    assert Rate.of(0, 0).rate is None and Rate.of(0, 0).percent == "—"
    assert Rate.of(1, 32).rate == Decimal("0.0313")  # half up: 0.03125, not to the even 0.0312


def test_the_edges_of_each_count(make, db, frozen_clock):
    """Where a count's boundary or its unit (cases or assignments) matters: due on the day itself,
    two co-units on one case, both parts of a split case met, withheld, followed up, and figures
    filtered by month. ``as_of`` 1 July: yellow to 16 July."""
    t = District(make, db, frozen_clock)
    a, b, c = (t.units[k].id for k in "ABC")
    # E1: 甲 replies on its due day (3 June); 乙 and 丙 co, 乙's opinion on its due day (3 April)
    t.case("E1", "A", "B"); t.assign("E1", [cases.UnitAssignment(c, "co")], MAR3)
    t.opinion("E1", "B", d(4, 3)); t.opinion("E1", "C", d(4, 1)); t.reply("E1", "A", d(6, 3), 0)
    t.disclose("E1", "涉及国家秘密")
    # E2: 分办, both parts met the proposer before replying, both adopted, both withheld
    t.case("E2", ("A", "B")); t.contact("E2", "A", "meeting", d(3, 10)); t.contact("E2", "B", "meeting", d(3, 12))
    t.reply("E2", "A", d(5, 10), 0); t.reply("E2", "B", d(5, 12), 0)
    # E7: 分办, both 留作参考, both parts' 回头看 find it 解决或采纳; both replies published
    t.case("E7", ("A", "B")); t.reply("E7", "A", d(5, 12), 2); t.reply("E7", "B", d(5, 14), 2)
    t.follow_up("E7", "A", 0, d(6, 1)); t.follow_up("E7", "B", 0, d(6, 2))
    for key, reason in (("E2", "涉及国家秘密"), ("E7", None)):
        for part in db.session.scalars(select(Disclosure).where(Disclosure.case_id == t.cases[key].id)):
            if reason:
                disclosure.withhold(t.dispatcher, part.id, part.version, reason)
            else:
                disclosure.publish(t.dispatcher, part.id, part.version, "full", "答复正文")
    # 交办 in June: 乙 leads (due in September, green); 丙 co due 20 July (green) or 1 July (today)
    t.case("E3", "B", "C", on=d(6, 20)); t.opinion("E3", "C", d(6, 25))  # early opinion: due, and in time
    t.case("E4", "B", "C", on=d(6, 20))
    t.case("E5", "B", "C", on=d(6, 1))
    # open leads due today (1 July) and on 10 July: yellow, not yet due
    t.case("E6", "A", on=d(4, 1))
    t.case("E8", ("A", "B"), on=d(4, 10))
    f = Filter(as_of=AS_OF)

    # lead parts: E1, E2 ×2, E7 ×2, E3, E4, E5, E6, E8 ×2 = 11; co parts E1 ×2, E3, E4, E5 = 5
    assert handled(f) == Handled(lead=11, co=5)
    # replied: the five parts of E1, E2, E7, each due; E6 due today is not past due; E1 on its day is in time
    assert reply_rate(f) == Rate(5, 5, Decimal("1.0000"))
    assert on_time_rate(f) == Rate(5, 5, Decimal("1.0000"))
    # co due: E1's two (one on its day) and E3's early one; E4's (20 July) and E5's (today) not yet
    assert co_timely_rate(f) == Rate(3, 3, Decimal("1.0000"))
    # adopted parts E1, E2 ×2 of the 5 replies (E7's 回头看 does not change its reply's class)
    assert adoption_rate(f) == Rate(3, 5, Decimal("0.6000"))
    # 见面 and 沟通 count cases: E2 once, of 8 cases with a lead part
    assert meeting_rate(f) == Rate(1, 8, Decimal("0.1250")) and contact_rate(f) == Rate(1, 8, Decimal("0.1250"))
    # replied cases E1, E2, E7: published E7 (two replies, one case); withheld E1 and E2 (two parts)
    figures = disclosure_figures(f)
    assert (figures.published, figures.withheld, figures.reasons) == (
        Rate(1, 3, Decimal("0.3333")), 2, [("涉及国家秘密", 2)])
    assert follow_up_conversions(f) == Rate(1, 1, Decimal("1.0000"))  # E7, once
    # open parts: green E3乙 E4乙 E4丙 E5乙; yellow E5丙 and E6 (due today), E8 ×2 (10 July); none red
    assert traffic_lights(f) == Lights(green=4, yellow=4, red=0) and overdue_count(f) == 0

    # 交办 in June: E3, E4, E5 only
    june = Filter(start=d(6, 1), end=d(6, 30), as_of=AS_OF)
    assert traffic_lights(june) == Lights(green=4, yellow=1, red=0)
    assert handled(june) == Handled(lead=3, co=3)
    # the same filter over the replies: E1 only — withheld, not published; E7's 回头看 belongs to its May replies
    figures = disclosure_figures(june)
    assert (figures.published, figures.withheld, figures.reasons) == (
        Rate(0, 1, Decimal("0")), 1, [("涉及国家秘密", 1)])
    assert follow_up_conversions(june) == Rate(0, 0, None)
    assert disclosure_figures(Filter(start=d(6, 3), end=d(6, 3), as_of=AS_OF)).withheld == 1  # the end day counts
    # replied in May: E2 and E7
    may = Filter(start=d(5, 1), end=d(5, 31), as_of=AS_OF)
    figures = disclosure_figures(may)
    assert (figures.published, figures.withheld) == (Rate(1, 2, Decimal("0.5000")), 1)
    assert follow_up_conversions(may) == Rate(1, 1, Decimal("1.0000"))
    # per unit: 丙's four co parts, 甲's and 乙's one each on E1
    table = {row.unit_id: row.figures for row in unit_table(f)}
    assert (table[a].handled, table[b].handled, table[c].handled) == (Handled(5, 0), Handled(6, 1), Handled(0, 4))
    assert table[b].lights == Lights(green=3, yellow=1, red=0)  # E3 E4 E5 green, E8 yellow
    assert table[c].lights == Lights(green=1, yellow=1, red=0)  # E4 green, E5 yellow
