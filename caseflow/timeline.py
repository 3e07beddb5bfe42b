"""A case's history, read from the append-only event log."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseflow.extensions import db
from caseflow.models import Case, Event


def case_timeline(case: Case) -> list[Event]:
    """Every event of ``case``, oldest first, with actors loaded."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.case_id == case.id)
            .options(selectinload(Event.actor))
            .order_by(Event.at, Event.id)
        )
    )
