"""A unit's part in a case: 签收, 退回 and 延期 requests and their decisions."""
from __future__ import annotations

from datetime import date

from caseflow.errors import ValidationError
from caseflow.models import Assignment, User
from caseflow.services import reminders
from caseflow.services.base import get, transaction
from caseflow.services.due import due_date
from caseflow.workflow import engine

def accept(actor: User, assignment_id: int, version: int) -> Assignment:
    """签收; when every lead unit has signed, the case is in handling."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.fire(actor, "accept", case=a.case, assignment=a)
        leads = [x for x in a.case.lead_assignments if x.state != "returned"]
        if a.case.state == "assigned" and all(x.state != "pending" for x in leads):
            engine.fire(actor, "start", case=a.case, system=True)
        # still open, same due date: the reminders planned at 交办 stand as they are
    return a


def request_return(actor: User, assignment_id: int, version: int, reason: str) -> Assignment:
    """退回 request, only within the return window after 交办."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        window = due_date(a.case.body, "return_window", a.assigned_on)
        engine.fire(actor, "request_return", case=a.case, assignment=a, comment=reason,
                    fields={"return_due": window})
        a.request_reason = reason.strip()
    return a


def approve_return(actor: User, assignment_id: int, version: int, comment: str = "") -> Assignment:
    """Approve a return; with no lead unit left the case goes back to be assigned again."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.fire(actor, "approve_return", case=a.case, assignment=a, comment=comment)
        a.request_reason = None
        case = a.case
        if not [x for x in case.lead_assignments if x.state != "returned"] and case.state in ("assigned", "in_progress"):
            engine.fire(actor, "unassign", case=case, system=True, comment="主办单位已退回，待重新交办")
        elif case.state == "assigned" and all(
            x.state != "pending" for x in case.lead_assignments if x.state != "returned"
        ):
            engine.fire(actor, "start", case=case, system=True)
        reminders.sync_assignment(a)
    return a


def reject_return(actor: User, assignment_id: int, version: int, comment: str) -> Assignment:
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.fire(actor, "reject_return", case=a.case, assignment=a, comment=comment)
        a.request_reason = None
    return a


def _extension_max(a: Assignment) -> date:
    return due_date(a.case.body, "extension_max", a.assigned_on)


def request_extension(actor: User, assignment_id: int, version: int, requested_due: date | None,
                      reason: str) -> Assignment:
    """延期 request: a later due date, at most 6 months after 交办."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.fire(actor, "request_extension", case=a.case, assignment=a, comment=reason,
                    fields={"requested_due_date": requested_due, "extension_max": _extension_max(a)},
                    payload={"requested_due_date": requested_due.isoformat() if requested_due else None})
        a.requested_due_date = requested_due
        a.request_reason = reason.strip()
    return a


def approve_extension(actor: User, assignment_id: int, version: int, new_due: date | None = None,
                      comment: str = "") -> Assignment:
    """Approve an extension (to the requested date, or another one the dispatcher sets)."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        due = new_due or a.requested_due_date
        if due is None:
            raise ValidationError("请填写延期后的办理期限。", "new_due")
        old = a.due_date
        engine.fire(actor, "approve_extension", case=a.case, assignment=a, comment=comment,
                    fields={"requested_due_date": due, "extension_max": _extension_max(a)},
                    payload={"old_due": old.isoformat(), "new_due": due.isoformat()})
        a.due_date = due
        a.requested_due_date = None
        a.request_reason = None
        reminders.sync_assignment(a)
    return a


def reject_extension(actor: User, assignment_id: int, version: int, comment: str) -> Assignment:
    with transaction():
        a = get(Assignment, assignment_id, version)
        engine.fire(actor, "reject_extension", case=a.case, assignment=a, comment=comment)
        a.requested_due_date = None
        a.request_reason = None
    return a
