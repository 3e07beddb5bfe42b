"""Reminder rows implied by the current state (DESIGN §4); the scheduler sends them.

A reminder is keyed by (target, kind, send_on), so recomputing after every state
change never doubles one; pending reminders whose reason is gone are cancelled.
Only reminders from today on are stored: the first overdue one is the next
7-day step after today, and the scheduler stores the following step once it sent one.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Reminder
from caseflow.workflow import spec

PURPOSE_BY_ROLE = {"lead": "reply", "split": "reply", "co": "co_opinion"}


def overdue_step(body: str, deadline: date, not_before: date) -> date:
    """The first day on the overdue grid (every ``overdue_every_days`` after the deadline)
    that is not before ``not_before``."""
    step = spec.load(body)["reminders"]["overdue_every_days"]
    overdue = deadline + timedelta(days=step)
    if overdue < not_before:
        overdue += timedelta(days=step * -(-(not_before - overdue).days // step))
    return overdue


def planned(body: str, purpose: str, deadline: date, today: date) -> list[tuple[str, date]]:
    """(kind, send_on) pairs for a deadline, from today on."""
    rules = spec.load(body)["reminders"]
    plan = [(f"{purpose}_before_{n}", deadline - timedelta(days=n)) for n in rules["before_days"]]
    plan.append((f"{purpose}_due", deadline))
    plan.append((f"{purpose}_overdue", overdue_step(body, deadline, today)))
    return [(kind, day) for kind, day in plan if day >= today]


def sync(case: Case, target: str, wanted: list[tuple[str, date, date]], assignment: Assignment | None = None,
         fresh: bool = False) -> None:
    """Make the pending reminders of ``target`` exactly ``wanted`` (kind, send_on, deadline).

    A cancelled reminder that is wanted again is revived (its key is unique); one already
    sent or failed is left alone, so nothing is ever sent twice. ``fresh``: the target was
    created in this transaction, so it has no reminders yet (an import saves the query).
    """
    rows = {} if fresh else {
        (r.kind, r.send_on): r for r in db.session.scalars(select(Reminder).where(Reminder.target == target))}
    keep = {(k, d) for k, d, _ in wanted}
    if unwanted := [r.id for key, r in rows.items() if r.state == "pending" and key not in keep]:
        # in SQL, still pending: the scheduler may be sending one of them right now
        db.session.execute(update(Reminder).where(Reminder.id.in_(unwanted), Reminder.state == "pending")
                           .values(state="cancelled").execution_options(synchronize_session="fetch"))
    for kind, send_on, deadline in wanted:
        row = rows.get((kind, send_on))
        if row is None:
            db.session.add(Reminder(case_id=case.id, assignment_id=assignment.id if assignment else None,
                                    target=target, kind=kind, send_on=send_on, deadline=deadline))
        elif row.state == "cancelled":
            row.state, row.deadline = "pending", deadline


def sync_assignment(a: Assignment, fresh: bool = False) -> None:
    today = clock.today()
    wanted = []
    if a.is_open and a.case.state not in ("withdrawn", "merged"):
        purpose = PURPOSE_BY_ROLE[a.role]
        wanted = [(k, d, a.due_date) for k, d in planned(a.case.body, purpose, a.due_date, today)]
    if a.id is None:
        db.session.flush()
    sync(a.case, f"assignment:{a.id}", wanted, a, fresh=fresh)


def sync_case(case: Case, purpose: str, deadline: date | None) -> None:
    """Case-level reminders (``feedback`` window, ``disclosure`` due); None cancels them."""
    wanted = [(k, d, deadline) for k, d in planned(case.body, purpose, deadline, clock.today())] if deadline else []
    sync(case, f"case:{case.id}:{purpose}", wanted)


def cancel_case(case: Case) -> None:
    """The case is closed, withdrawn or merged: nothing about it is to be sent any more."""
    db.session.execute(update(Reminder).where(Reminder.case_id == case.id, Reminder.state == "pending")
                       .values(state="cancelled"))
