"""Year-end summaries: the clerk's narrative drafts (their PDFs render through ``Job``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import clock
from caseflow.models.base import Base, one_of

REPORT_KINDS = ("unit", "district", "reply_letter")


class ReportDraft(Base):
    """The narrative sections a unit writes for its year-end summary (unit_id NULL: district)."""

    __tablename__ = "report_drafts"
    __table_args__ = (
        one_of("kind", REPORT_KINDS),
        UniqueConstraint("kind", "unit_id", "year"),
        # NULLs never collide in the constraint above, so the district draft (no unit) needs its own
        Index("uq_report_drafts_kind_year_without_unit", "kind", "year", unique=True,
              sqlite_where=text("unit_id IS NULL"), postgresql_where=text("unit_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
