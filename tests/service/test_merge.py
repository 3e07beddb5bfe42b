"""并案 through the services: every merged case follows the primary's reply, its proposers are told
(an event on their case, the 征询提出人意见 window and reminders) and each of them can evaluate."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseflow.errors import ServiceError
from caseflow.models import Event, Feedback, Reminder
from caseflow.services import assignments, cases, delivery, feedback, handling
from caseflow.workflow.engine import LinkActor
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


def _merged_world(w, make):
    """Two proposals by other members merged into the primary, one of them through a case that was
    merged first and then merged itself."""
    w.alice, w.bob = make.proposer("甲委员"), make.proposer("乙委员")
    primary = w.registered(title="关于缓解城南停车难的提案")
    first = make.case(session=w.session, lead_proposer=w.alice, title="关于城南停车难问题的提案")
    second = make.case(session=w.session, lead_proposer=w.bob, title="关于增加城南停车位的提案")
    cases.merge(w["dispatcher"], first.id, first.version, second.id, "内容相近")
    cases.merge(w["dispatcher"], second.id, second.version, primary.id, "内容相近")
    return primary, first, second


def _feedback_reminders(db, case):
    return db.session.scalars(select(Reminder).where(Reminder.target == f"case:{case.id}:feedback",
                                                     Reminder.state == "pending")).all()


def _events(db, case, name):
    return db.session.scalars(select(Event).where(Event.case_id == case.id, Event.transition == name)).all()


def test_a_merge_moves_every_merged_case_and_the_primarys_reply_tells_each_of_their_proposers(w, make, db):
    primary, first, second = _merged_world(w, make)
    assert (first.state, first.merged_into_id) == ("merged", primary.id)  # moved along with second
    assert (second.state, second.merged_into_id) == ("merged", primary.id)
    merge = _events(db, second, "merge")[0]
    assert merge.payload["moved_case_ids"] == [first.id]
    assert not _feedback_reminders(db, first) and not _feedback_reminders(db, second)  # nothing to tell yet

    # the primary is handled and answered as any case
    units = [cases.UnitAssignment(w.lead.id, "lead")]
    cases.assign(w["dispatcher"], primary.id, primary.version, units)
    lead = w.lead_of(primary)
    assignments.accept(w["lead_handler"], lead.id, lead.version)
    reply = handling.draft_reply(w["lead_handler"], lead.id, w.reply_input())
    handling.sign_reply(w["lead_leader"], reply.id, reply.version)

    assert primary.state == "replied"
    for case in (first, second):
        told = _events(db, case, "follow_primary")
        assert len(told) == 1 and told[0].payload == {"primary_id": primary.id, "reply_id": reply.id}
        assert case.state == "merged"  # still counted nowhere
        # the evaluation window: the same reminders as the primary's own proposer gets
        kinds = {(r.kind, r.send_on) for r in _feedback_reminders(db, case)}
        assert kinds and kinds == {(r.kind, r.send_on) for r in _feedback_reminders(db, primary)}
        about = delivery.load_context(_feedback_reminders(db, case))
        assert all(delivery.still_due(r, about[r.id]) for r in _feedback_reminders(db, case))


def test_each_merged_proposer_evaluates_the_primarys_reply_once(w, make, db):
    _, first, _ = _merged_world(w, make)
    alice = LinkActor(w.alice.id)
    with pytest.raises(ServiceError, match="主件尚未答复"):
        feedback.evaluate_merged(alice, first.id, first.version, "satisfied")
    # a primary answered through the services; a case merged into it afterwards
    case = w.accepted(co=False)
    primary_reply = handling.draft_reply(w["lead_handler"], w.lead_of(case).id, w.reply_input())
    late = make.case(session=w.session, lead_proposer=w.alice, title="关于城南停车难的又一提案")
    handling.sign_reply(w["lead_leader"], primary_reply.id, primary_reply.version)
    cases.merge(w["dispatcher"], late.id, late.version, case.id, "内容相近")
    # merged after the reply: told at once
    assert len(_events(db, late, "follow_primary")) == 1 and _feedback_reminders(db, late)

    # another member may not evaluate alice's case; alice may, once
    with pytest.raises(ServiceError):
        feedback.evaluate_merged(LinkActor(w.bob.id), late.id, late.version, "satisfied")
    fb = feedback.evaluate_merged(alice, late.id, late.version, "dissatisfied", comment="停车位仍不足")
    assert (fb.case_id, fb.reply_id, fb.overall, fb.proposer_id, fb.channel) == (
        late.id, primary_reply.id, "dissatisfied", w.alice.id, "login")
    assert late.state == "merged" and case.state == "replied"  # the primary's course is its own proposer's
    assert not _feedback_reminders(db, late)  # answered: no more reminders
    with pytest.raises(ServiceError, match="已就主件的本次答复提交过评价"):
        feedback.evaluate_merged(alice, late.id, late.version, "satisfied")
    assert db.session.scalars(select(Feedback).where(Feedback.case_id == late.id)).all() == [fb]


def test_a_dissatisfied_evaluation_needs_its_reason(w, make, db):
    case = w.replied()
    late = make.case(session=w.session, lead_proposer=w.proposer_row)
    cases.merge(w["dispatcher"], late.id, late.version, case.id, "内容相近")
    with pytest.raises(ServiceError, match="请写明不满意的原因") as refused:
        feedback.evaluate_merged(w["dispatcher"], late.id, late.version, "dissatisfied")
    assert refused.value.field == "comment"
    assert not db.session.scalars(select(Feedback).where(Feedback.case_id == late.id)).all()
