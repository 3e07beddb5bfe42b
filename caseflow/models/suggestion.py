"""What 智能交办 suggested for a case and what the dispatcher then chose (for the hit rate)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.models.base import Base, one_of
from caseflow.models.unit import Unit

SUGGESTED_ROLES = ("lead", "co")


class UnitSuggestion(Base):
    """One suggestion shown for a case (its units: lead ones first); ``chosen_rank`` is filled at 交办.

    ``chosen_rank``: the rank (1–3) of the best-ranked suggested lead unit the dispatcher made
    主办/分办, 0 when none of the suggested lead units was chosen, NULL while not assigned.
    """

    __tablename__ = "unit_suggestions"
    __table_args__ = (
        CheckConstraint("chosen_rank IS NULL OR chosen_rank >= 0", name="chosen_rank_not_negative"),
        CheckConstraint("(chosen_rank IS NULL) = (chosen_at IS NULL)", name="chosen_rank_with_time"),
        Index("ix_unit_suggestions_case_id_chosen_at", "case_id", "chosen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    suggested_at: Mapped[datetime] = mapped_column(default=clock.now)
    suggested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    model: Mapped[str] = mapped_column(String(64))  # the history fingerprint the model was built at
    chosen_rank: Mapped[int | None]
    chosen_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    chosen_at: Mapped[datetime | None] = mapped_column(index=True)

    units: Mapped[list[SuggestedUnit]] = relationship(
        order_by=lambda: (SuggestedUnit.role.desc(), SuggestedUnit.rank), cascade="all, delete-orphan")


class SuggestedUnit(Base):
    """One unit of a suggestion, in rank order per role, with its confidence (0–1)."""

    __tablename__ = "suggested_units"
    __table_args__ = (
        one_of("role", SUGGESTED_ROLES),
        UniqueConstraint("suggestion_id", "unit_id"),
        CheckConstraint("rank > 0", name="rank_positive"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
    )

    suggestion_id: Mapped[int] = mapped_column(ForeignKey("unit_suggestions.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)
    rank: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    confidence: Mapped[float]

    unit: Mapped[Unit] = relationship()
