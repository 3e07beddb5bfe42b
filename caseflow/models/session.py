from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.models.base import BODIES, BODY_LABELS, Base, one_of


class Session(Base):
    """届次/会次: one meeting of the district 人大 or 政协 in a given year."""

    __tablename__ = "sessions"
    __table_args__ = (
        one_of("body", BODIES),
        UniqueConstraint("body", "term", "meeting"),
        # target of the composite FK from cases, so a case's body matches its session
        UniqueConstraint("id", "body"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    term: Mapped[int]
    meeting: Mapped[int]
    year: Mapped[int] = mapped_column(index=True)

    @property
    def body_label(self) -> str:
        return BODY_LABELS[self.body]

    def __str__(self) -> str:
        return self.name
