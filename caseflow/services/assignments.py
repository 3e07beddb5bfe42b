"""A unit's part in a case: 签收, 退回 and 延期 requests and their decisions."""
from __future__ import annotations

from datetime import date

from caseflow.models import Assignment, Case, User
from caseflow.services import reminders
from caseflow.services.base import get, transaction
from caseflow.workflow import engine, spec


def _leads_in_play(case: Case) -> list[Assignment]:
    gone = spec.group("assignment", "gone")
    return [x for x in case.lead_assignments if x.state not in gone]


def _start_when_every_lead_signed(actor: User, case: Case) -> None:
    """The case is in handling once every lead unit still on it has signed for it."""
    waiting = spec.group("assignment", "waiting")
    if all(x.state not in waiting for x in _leads_in_play(case)) and engine.can_follow("start", case=case):
        engine.follow(actor, "start", case=case)


def accept(actor: User, assignment_id: int, version: int) -> Assignment:
    """签收; when every lead unit has signed, the case is in handling."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.act(actor, "accept", case=a.case, assignment=a)
        _start_when_every_lead_signed(actor, a.case)
        # still open, same due date: the reminders planned at 交办 stand as they are
    return a


def request_return(actor: User, assignment_id: int, version: int, reason: str) -> Assignment:
    """退回 request, only within the return window after 交办."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.act(actor, "request_return", case=a.case, assignment=a, comment=reason)
        a.request_reason = reason.strip()
    return a


def approve_return(actor: User, assignment_id: int, version: int, comment: str = "") -> Assignment:
    """Approve a return; with no lead unit left the case goes back to be assigned again."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.act(actor, "approve_return", case=a.case, assignment=a, comment=comment)
        a.request_reason = None
        if not _leads_in_play(a.case) and engine.can_follow("unassign", case=a.case):
            engine.follow(actor, "unassign", case=a.case, comment="主办单位已退回，待重新交办")
        else:
            _start_when_every_lead_signed(actor, a.case)
        reminders.sync_assignment(a)
    return a


def reject_return(actor: User, assignment_id: int, version: int, comment: str) -> Assignment:
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.act(actor, "reject_return", case=a.case, assignment=a, comment=comment)
        a.request_reason = None
    return a


def request_extension(actor: User, assignment_id: int, version: int, requested_due: date | None,
                      reason: str) -> Assignment:
    """延期 request: a later due date, at most 6 months after 交办."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.act(actor, "request_extension", case=a.case, assignment=a, comment=reason,
                   fields={"requested_due_date": requested_due},
                   payload={"requested_due_date": requested_due.isoformat() if requested_due else None})
        a.requested_due_date = requested_due
        a.request_reason = reason.strip()
    return a


def approve_extension(actor: User, assignment_id: int, version: int, new_due: date | None = None,
                      comment: str = "") -> Assignment:
    """Approve an extension (to the requested date, or another one the dispatcher sets)."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        due = new_due or a.requested_due_date  # the request always names one
        engine.act(actor, "approve_extension", case=a.case, assignment=a, comment=comment,
                   fields={"requested_due_date": due}, payload={"old_due": a.due_date.isoformat(),
                                                              "new_due": due.isoformat()})
        a.due_date = due
        a.requested_due_date = None
        a.request_reason = None
        reminders.sync_assignment(a)
    return a


def reject_extension(actor: User, assignment_id: int, version: int, comment: str) -> Assignment:
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.act(actor, "reject_extension", case=a.case, assignment=a, comment=comment)
        a.requested_due_date = None
        a.request_reason = None
    return a
