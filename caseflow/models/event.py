from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.models.base import Base
from caseflow.models.case import Case
from caseflow.models.user import User


class Event(Base):
    """Append-only audit row for every state change; statistics are rebuilt from it.

    The migration adds triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "events"
    __table_args__ = (
        # a case's or an assignment's events of some transitions (the statistics read the 交办 and
        # 延期 events of every assignment); they serve lookups by case or assignment alone as well
        Index("ix_events_case_id_transition", "case_id", "transition"),
        Index("ix_events_assignment_id_transition", "assignment_id", "transition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    transition: Mapped[str] = mapped_column(String(50), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    comment: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship()
    actor: Mapped[User | None] = relationship()
