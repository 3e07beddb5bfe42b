"""Who may fire each state change: allowed for the right role and relation, refused
(PermissionDenied, nothing written) for every other role and for unrelated units."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseflow.errors import PermissionDenied
from caseflow.models import Event
from caseflow.services import assignments, cases, disclosure, feedback, handling
from tests.service.world import START, World

ACTORS = ["admin", "dispatcher", "supervisor", "lead_handler", "lead_leader", "co_handler", "co_leader",
          "other_handler", "other_leader", "proposer", "other_proposer"]
LEAD_UNIT = {"lead_handler", "lead_leader"}


def _pending_return(w):
    case = w.assigned()
    a = w.lead_of(case)
    assignments.request_return(w["lead_handler"], a.id, a.version, "不属于本单位职责")
    return a


def _pending_extension(w):
    a = w.lead_of(w.accepted())
    assignments.request_extension(w["lead_handler"], a.id, a.version, a.due_date + timedelta(days=30), "需市级审批")
    return a


def _lapsed(w, frozen_clock):
    case = w.replied()
    frozen_clock(START + timedelta(days=60))
    return case


# action name → (arrange(world, clock) → target, act(actor, target, world), roles allowed)
MATRIX = {
    "assign": (lambda w, c: w.registered(),
               lambda u, t, w: cases.assign(u, t.id, t.version, [cases.UnitAssignment(w.lead.id, "lead")]),
               {"dispatcher"}),
    "accept": (lambda w, c: w.lead_of(w.assigned()),
               lambda u, t, w: assignments.accept(u, t.id, t.version), LEAD_UNIT),
    "request_return": (lambda w, c: w.lead_of(w.assigned()),
                       lambda u, t, w: assignments.request_return(u, t.id, t.version, "理由"), LEAD_UNIT),
    "approve_return": (lambda w, c: _pending_return(w),
                       lambda u, t, w: assignments.approve_return(u, t.id, t.version), {"dispatcher"}),
    "reject_return": (lambda w, c: _pending_return(w),
                      lambda u, t, w: assignments.reject_return(u, t.id, t.version, "属于职责"), {"dispatcher"}),
    "request_extension": (lambda w, c: w.lead_of(w.accepted()),
                          lambda u, t, w: assignments.request_extension(
                              u, t.id, t.version, t.due_date + timedelta(days=20), "理由"), LEAD_UNIT),
    "approve_extension": (lambda w, c: _pending_extension(w),
                          lambda u, t, w: assignments.approve_extension(u, t.id, t.version), {"dispatcher"}),
    "reject_extension": (lambda w, c: _pending_extension(w),
                         lambda u, t, w: assignments.reject_extension(u, t.id, t.version, "不同意"), {"dispatcher"}),
    "send_co_opinion": (lambda w, c: w.co_of(w.accepted()),
                        lambda u, t, w: handling.send_co_opinion(u, t.id, t.version, "意见"),
                        {"co_handler", "co_leader"}),
    "log_contact": (lambda w, c: w.lead_of(w.accepted()),
                    lambda u, t, w: handling.log_contact(u, t.id, "meeting", START, "见面"), LEAD_UNIT),
    "draft_reply": (lambda w, c: w.lead_of(w.with_opinions()),
                    lambda u, t, w: handling.draft_reply(u, t.id, w.reply_input()), LEAD_UNIT),
    "sign_reply": (lambda w, c: w.drafted()[1],
                   lambda u, t, w: handling.sign_reply(u, t.id, t.version), {"lead_leader"}),
    "give_feedback": (lambda w, c: w.replied(),
                      lambda u, t, w: feedback.give_feedback(u, t.id, t.version, "satisfied"),
                      {"proposer", "dispatcher"}),
    "record_no_response": (_lapsed, lambda u, t, w: feedback.record_no_response(u, t.id, t.version),
                           {"dispatcher"}),
    "close": (lambda w, c: w.evaluated(), lambda u, t, w: cases.close(u, t.id, t.version), {"dispatcher"}),
    "publish": (lambda w, c: w.disclosure_of(w.evaluated()),
                lambda u, t, w: disclosure.publish(u, t.id, t.version, "full", "答复正文：已研究落实。"),
                {"dispatcher"}),
    "withhold": (lambda w, c: w.disclosure_of(w.evaluated()),
                 lambda u, t, w: disclosure.withhold(u, t.id, t.version, "涉及过程性信息"), {"dispatcher"}),
    "record_follow_up": (lambda w, c: w.closed(),
                         lambda u, t, w: handling.record_follow_up(u, t.id, "after", "已落实"),
                         LEAD_UNIT | {"dispatcher"}),
    "withdraw": (lambda w, c: w.registered(), lambda u, t, w: cases.withdraw(u, t.id, t.version, "撤案"),
                 {"dispatcher"}),
    "merge": (lambda w, c: w.registered(),
              lambda u, t, w: cases.merge(u, t.id, t.version, w.registered().id, "内容相近"), {"dispatcher"}),
    "mark_key_case": (lambda w, c: w.registered(),
                      lambda u, t, w: cases.mark_key_case(u, t.id, t.version, True), {"dispatcher"}),
    "override_co_opinions": (lambda w, c: w.accepted(),
                             lambda u, t, w: cases.override_co_opinions(u, t.id, t.version, "急需答复"),
                             {"dispatcher"}),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(make, db, frozen_clock, action, actor):
    frozen_clock(START)
    w = World(make, db)
    arrange, act, allowed = MATRIX[action]
    target = arrange(w, frozen_clock)
    events_before = db.session.scalar(select(func.count()).select_from(Event))
    state_before = getattr(target, "state", None)
    if actor in allowed:
        act(w[actor], target, w)
        assert db.session.scalar(select(func.count()).select_from(Event)) > events_before
    else:
        with pytest.raises(PermissionDenied) as e:
            act(w[actor], target, w)
        assert e.value.message  # a sentence for the user, in Chinese
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Event)) == events_before
        assert getattr(target, "state", None) == state_before
