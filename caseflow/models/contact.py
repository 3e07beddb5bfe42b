from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import clock
from caseflow.i18n import N_, Labels
from caseflow.models.base import Base, one_of

CONTACT_KINDS = ("meeting", "phone", "online")
CONTACT_KIND_LABELS = Labels({"meeting": N_("见面"), "phone": N_("电话"), "online": N_("线上")})


class Contact(Base):
    """办前沟通 / 见面: a logged contact of a unit with the proposer."""

    __tablename__ = "contacts"
    __table_args__ = (one_of("kind", CONTACT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    contacted_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def kind_label(self) -> str:
        return CONTACT_KIND_LABELS[self.kind]
