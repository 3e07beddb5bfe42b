from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.i18n import N_, Labels
from caseflow.models.base import Base, one_of
from caseflow.models.case import Case
from caseflow.workflow import spec

DISCLOSURE_SCOPES = ("full", "summary")
DISCLOSURE_SCOPE_LABELS = Labels({"full": N_("全文公开"), "summary": N_("摘要公开")})


class Disclosure(Base):
    """公开 / 不予公开 of one reply: a track beside the case state, one row per reply."""

    __tablename__ = "disclosures"
    __table_args__ = (
        one_of("state", spec.states("disclosure")),
        one_of("scope", DISCLOSURE_SCOPES),
        CheckConstraint(
            "state <> 'published' OR (scope IS NOT NULL AND published_text IS NOT NULL)",
            name="published_has_text",
        ),
        CheckConstraint(
            "state <> 'withheld' OR length(reason) > 0", name="withheld_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    scope: Mapped[str | None] = mapped_column(String(10))
    published_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_published(self) -> bool:
        return self.state in spec.group("disclosure", "on_portal")
