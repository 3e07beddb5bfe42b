"""The statistics' facts kept by the services agree with the event log, whatever path cases take.

Cases walk at random (a fixed seed) through every service — 退回 and 追加交办, 延期 granted or not,
会办意见 or 同意先行答复, 退回修改, 不满意 → 重新办理 → second reply, 征询期满, 办结, 公开 and
不予公开, 回头看 with a better class and a second reply, 撤案, 并案 — on a clock that moves on; then
`flask stats rebuild --check` must find nothing to correct. Where the rule book says an action is
``counted: false`` the refresh is skipped, and checked at that very commit.
"""
from __future__ import annotations

import random
from datetime import timedelta

from click.testing import CliRunner
import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from caseflow import clock, facts
from caseflow.models import AssignmentFact, Case, Disclosure, Event
from caseflow.services import assignments, cases, disclosure, feedback, handling
from tests.service.world import START, World

BRANCHES = {"request_return", "approve_return", "reject_return", "unassign", "add_units", "request_extension",
            "approve_extension", "reject_extension", "send_opinion", "co_opinion_override", "contact",
            "return_draft", "sign_reply", "reply", "give_feedback", "reopen", "evaluation_lapsed", "close",
            "publish", "withhold", "follow_up", "second_reply", "withdraw", "merge"}


class Walk:
    def __init__(self, w: World, freeze, seed: int):
        self.w, self.freeze, self.rng = w, freeze, random.Random(seed)
        self.day = START
        self.units = [w.lead, w.co, w.make.unit("第三单位"), w.make.unit("第四单位")]
        self.people = {w.lead.id: (w["lead_handler"], w["lead_leader"]), w.co.id: (w["co_handler"], w["co_leader"])}
        for unit in self.units[2:]:
            self.people[unit.id] = (w.make.user("handler", unit=unit), w.make.user("unit_leader", unit=unit))

    def later(self, lo: int = 1, hi: int = 12) -> None:
        self.day += timedelta(days=self.rng.randint(lo, hi))
        self.freeze(self.day)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # -- one case -----------------------------------------------------------------------------
    def case(self) -> None:
        w, d = self.w, self.w["dispatcher"]
        self.freeze(self.day)
        case = w.registered()
        if self.chance(0.06):
            cases.withdraw(d, case.id, case.version, "提出人撤回")
            return
        if self.chance(0.06):
            cases.merge(d, case.id, case.version, w.registered().id, "内容相近")
            return
        units = self.rng.sample(self.units, 3)
        split = self.chance(0.2)
        given = [cases.UnitAssignment(units[0].id, "split" if split else "lead")]
        if split:
            given.append(cases.UnitAssignment(units[1].id, "split"))
        elif self.chance(0.7):
            given.append(cases.UnitAssignment(units[1].id, "co"))
        cases.assign(d, case.id, case.version, given)
        self.later(1, 3)
        if self.chance(0.15):  # the lead unit asks to be released
            a = case.lead_assignments[0]
            assignments.request_return(self.handler(a), a.id, a.version, "不属本单位职责")
            if self.chance(0.5):
                assignments.approve_return(d, a.id, a.version)
                give = cases.assign if case.state == "registered" else cases.add_units
                give(d, case.id, case.version, [cases.UnitAssignment(units[2].id, a.role)])  # 主办, or 分办
            else:
                assignments.reject_return(d, a.id, a.version, "属于本单位职责")
        for a in list(case.assignments):
            if a.state == "pending":
                assignments.accept(self.handler(a), a.id, a.version)
        self.later()
        self.handle(case)

    def handler(self, a):
        return self.people[a.unit_id][0]

    def leader(self, a):
        return self.people[a.unit_id][1]

    def leads(self, case):
        return [a for a in case.lead_assignments if not a.is_gone]

    def handle(self, case) -> None:
        w, d = self.w, self.w["dispatcher"]
        for a in self.leads(case):
            if self.chance(0.6):
                handling.log_contact(self.handler(a), a.id, self.rng.choice(["meeting", "phone", "online"]),
                                     clock.today(), "办前沟通")
            if self.chance(0.25):
                assignments.request_extension(self.handler(a), a.id, a.version, a.due_date + timedelta(days=30), "需审批")
                if self.chance(0.6):
                    assignments.approve_extension(d, a.id, a.version)
                else:
                    assignments.reject_extension(d, a.id, a.version, "不同意")
        for a in case.assignments:
            if a.role == "co" and not a.is_gone:
                if self.chance(0.75):
                    self.later(1, 40)
                    handling.send_co_opinion(self.handler(a), a.id, a.version, "会办意见")
                else:
                    cases.override_co_opinions(d, case.id, case.version, "急需答复")
                break
        if self.chance(0.1):
            return  # still in handling: open, perhaps overdue
        self.reply_all(case)
        self.evaluate(case)

    def reply_all(self, case, *, second: bool = False) -> None:
        for a in self.leads(case):
            self.later(5, 60)
            draft = handling.draft_reply(self.handler(a), a.id, self.w.reply_input(
                result_class_id=self.rng.choice(self.w.classes).id))
            if self.chance(0.2):
                handling.return_draft(self.leader(a), draft.id, draft.version, "请补充时间表")
                draft = handling.draft_reply(self.handler(a), a.id, self.w.reply_input(
                    result_class_id=draft.result_class_id, text="补充后的答复"), reply_id=draft.id,
                    version=draft.version)
            handling.sign_reply(self.leader(a), draft.id, draft.version)
            if self.chance(0.3) and not second:
                handling.log_contact(self.handler(a), a.id, "meeting", clock.today(), "答复后回访")

    def evaluate(self, case) -> None:
        w, d = self.w, self.w["dispatcher"]
        if self.chance(0.12):
            self.later(35, 45)  # the window passes without an answer
            feedback.record_no_response(d, case.id, case.version)
        else:
            self.later(2, 15)
            if self.chance(0.25):
                feedback.give_feedback(w["proposer"], case.id, case.version, "dissatisfied", comment="不满意")
                self.reply_all(case, second=True)
                self.later(2, 10)
            feedback.give_feedback(w["proposer"], case.id, case.version,
                                   self.rng.choice(["satisfied", "basically_satisfied"]))
        if self.chance(0.8):
            self.later(1, 10)
            cases.close(d, case.id, case.version)
        for pending in w.db.session.scalars(select(Disclosure).where(
                Disclosure.case_id == case.id, Disclosure.state == "pending")).all():
            if self.chance(0.7):
                disclosure.publish(d, pending.id, pending.version, "full", "已研究落实。")
            else:
                disclosure.withhold(d, pending.id, pending.version, "涉及过程性信息")
        if case.state == "closed" and self.chance(0.4):
            self.follow_up(case)

    def follow_up(self, case) -> None:
        self.later(30, 90)
        a = self.leads(case)[0]
        second = None
        if self.chance(0.5):
            draft = handling.draft_reply(self.handler(a), a.id, self.w.reply_input(result_class_id=self.w.classes[0].id,
                                                                                  text="二次答复：已解决。"))
            second = handling.sign_reply(self.leader(a), draft.id, draft.version)
        handling.record_follow_up(self.handler(a), case.id, "after", "回头看", self.w.classes[0].id,
                                  reply_id=second.id if second else None)


UNCOUNTED_IN_THE_WALK = {"accept", "start", "request_return", "reject_return", "request_extension",
                         "reject_extension", "draft_reply", "edit_draft", "return_draft", "draft_second_reply"}


@pytest.fixture
def uncounted_checked(monkeypatch, db):
    """Check every skipped refresh: before each commit whose actions were all ``counted: false`` on a
    case, that case's stored facts must equal a fresh computation. The transitions checked so."""
    added: list[Event] = []
    checked: set[str] = set()

    def on_add(session, obj):
        if isinstance(obj, Event):
            added.append(obj)

    refresh_marked = facts.refresh_marked

    def checking_refresh():
        marked = {c if isinstance(c, int) else c.id for c in db.session.info.get(facts.DIRTY, ())}
        skipped = [e for e in added if e.case.id not in marked]
        added.clear()
        refresh_marked()
        if skipped:
            db.session.flush()
            assert facts.differences(case_ids={e.case.id for e in skipped}) == [], [e.transition for e in skipped]
            checked.update(e.transition for e in skipped)

    sa_event.listen(Session, "transient_to_pending", on_add)
    monkeypatch.setattr(facts, "refresh_marked", checking_refresh)
    yield checked
    sa_event.remove(Session, "transient_to_pending", on_add)


def test_the_facts_agree_with_the_event_log_after_a_random_walk_through_every_service(app, make, db,
                                                                                        frozen_clock,
                                                                                        uncounted_checked):
    w = World(make, db)
    walk = Walk(w, frozen_clock, seed=20261124)
    for n in range(200):
        walk.case()
        if n >= 40 and BRANCHES <= set(db.session.scalars(select(Event.transition).distinct())):
            break
    seen = set(db.session.scalars(select(Event.transition).distinct()))
    assert BRANCHES <= seen, f"the walk never took {sorted(BRANCHES - seen)}"
    assert db.session.scalar(select(AssignmentFact.assignment_id).limit(1)) is not None
    assert facts.differences() == []
    result = CliRunner().invoke(app.cli, ["stats", "rebuild", "--check"])
    assert result.exit_code == 0 and "统计数据与事件记录一致" in result.output, result.output
    assert uncounted_checked == UNCOUNTED_IN_THE_WALK  # each skipped its refresh, and rightly


def test_the_check_finds_a_stored_fact_that_is_wrong(app, make, db, frozen_clock):
    frozen_clock(START)
    w = World(make, db)
    case = w.replied()
    lead = w.lead_of(case)
    assert facts.differences() == []
    db.session.execute(update(AssignmentFact).where(AssignmentFact.assignment_id == lead.id).values(met=True))
    found = facts.differences()
    assert [(d.assignment_id, d.column) for d in found] == [(lead.id, "met")]
    result = CliRunner().invoke(app.cli, ["stats", "rebuild", "--check"])
    assert result.exit_code != 0 and f"承办 {lead.id} · met" in result.output
    assert "rebuild" not in result.output
    CliRunner().invoke(app.cli, ["stats", "rebuild"])
    assert facts.differences() == []


def test_a_rejected_change_leaves_the_facts_as_they_were(make, db, frozen_clock):
    from caseflow.errors import ServiceError

    frozen_clock(START)
    w = World(make, db)
    case = w.accepted()
    lead = w.lead_of(case)
    before = db.session.get(AssignmentFact, lead.id).contacted
    try:
        handling.log_contact(w["lead_handler"], lead.id, "meeting", START + timedelta(days=400), "未来的日期")
    except ServiceError:
        pass
    db.session.expire_all()
    assert db.session.get(AssignmentFact, lead.id).contacted is before is False
    assert facts.differences() == []


def test_rebuild_missing_fills_only_the_cases_without_facts(make, db, frozen_clock):
    """``flask stats rebuild --missing`` (after an upgrade): cases with facts keep theirs, even wrong ones."""
    frozen_clock(START)
    w = World(make, db)
    kept, lost = w.replied(), w.assigned()
    wrong = w.lead_of(kept).id
    db.session.execute(update(AssignmentFact).where(AssignmentFact.assignment_id == wrong).values(met=True))
    db.session.execute(delete(AssignmentFact).where(AssignmentFact.case_id == lost.id))
    assert facts.rebuild(missing_only=True) == 2  # the lost case's lead and co assignments
    assert [(d.assignment_id, d.column) for d in facts.differences()] == [(wrong, "met")]
    assert facts.rebuild() == 4
    assert facts.differences() == []


def test_the_check_names_missing_and_extra_rows_and_stops_at_its_limit(make, db, frozen_clock):
    frozen_clock(START)
    w = World(make, db)
    first, second = w.assigned(), w.assigned()
    db.session.execute(delete(AssignmentFact).where(AssignmentFact.case_id == first.id))
    # the case left the statistics (as a withdrawn one does) without its facts being refreshed
    db.session.execute(update(Case).where(Case.id == second.id).values(state="withdrawn")
                       .execution_options(synchronize_session=False))
    ids = sorted(a.id for a in first.assignments) + sorted(a.id for a in second.assignments)
    assert [(d.assignment_id, d.column) for d in facts.differences()] == [
        (ids[0], "(missing)"), (ids[1], "(missing)"), (ids[2], "(extra)"), (ids[3], "(extra)")]
    missing, _, extra, _ = facts.differences()
    assert (missing.stored, missing.computed[0], extra.stored[0], extra.computed) == (None, ids[0], ids[2], None)
    assert [(d.assignment_id, d.column) for d in facts.differences(limit=3)] == [
        (ids[0], "(missing)"), (ids[1], "(missing)"), (ids[2], "(extra)")]


@pytest.mark.postgres
def test_rebuild_gives_the_planner_the_rewritten_tables_size(make, db, frozen_clock):
    frozen_clock(START)
    w = World(make, db)
    for _ in range(3):
        w.assigned()
    rows = facts.rebuild()
    assert rows == 6
    assert db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'assignment_facts'")) == rows
