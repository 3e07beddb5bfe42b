"""A case's history, read from the append-only event log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseflow.extensions import db
from caseflow.models import Case, Event, Proposer
from caseflow.workflow import spec


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str  # who did it: a user, a proposer through their link, or 系统
    action: str  # the Chinese label of the transition or action
    comment: str
    event: Event


def case_timeline(case: Case) -> list[Entry]:
    """Every event of ``case``, oldest first, with who did it and what it was called."""
    events = db.session.scalars(
        select(Event).where(Event.case_id == case.id).options(selectinload(Event.actor)).order_by(Event.at, Event.id)
    ).all()
    proposer_ids = {e.payload.get("proposer_id") for e in events if e.actor is None} - {None}
    proposers = {p.id: p.name for p in db.session.scalars(select(Proposer).where(Proposer.id.in_(proposer_ids)))}
    return [
        Entry(e.at, e.actor.name if e.actor else proposers.get(e.payload.get("proposer_id"), "系统"),
              spec.action_label(e.transition), e.comment, e)
        for e in events
    ]
