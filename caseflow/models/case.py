from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.i18n import N_, Labels
from caseflow.models.base import BODIES, BODY_LABELS, BODY_SHORT_LABELS, Base, one_of
from caseflow.models.proposer import Proposer
from caseflow.models.session import Session
from caseflow.models.vocabulary import Category
from caseflow.workflow import spec

CONSENTS = ("full", "title_only", "none")
CONSENT_LABELS = Labels({"full": N_("同意全文公开"), "title_only": N_("仅公开标题"), "none": N_("不同意公开")})


class Case(Base):
    """件: one suggestion or proposal."""

    __tablename__ = "cases"
    __table_args__ = (
        one_of("body", BODIES),
        one_of("consent", CONSENTS),
        one_of("state", spec.states("case")),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        UniqueConstraint("body", "session_id", "number"),
        ForeignKeyConstraint(
            ["session_id", "body"], ["sessions.id", "sessions.body"], name="fk_cases_session_body"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    lead_proposer_id: Mapped[int] = mapped_column(ForeignKey("proposers.id"), index=True)
    consent: Mapped[str] = mapped_column(String(20), default="full")
    no_written_reply: Mapped[bool] = mapped_column(default=False)
    key_case: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(30), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    registered_at: Mapped[datetime] = mapped_column(default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    session: Mapped[Session] = relationship(foreign_keys=[session_id])
    category: Mapped[Category | None] = relationship()
    lead_proposer: Mapped[Proposer] = relationship()
    cosigners: Mapped[list[CaseCosigner]] = relationship(
        order_by="CaseCosigner.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list["Assignment"]] = relationship(  # noqa: F821
        back_populates="case", order_by="Assignment.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def number_label(self) -> str:
        return gettext("第%(number)s号", number=self.number)

    @property
    def body_label(self) -> str:
        return BODY_LABELS[self.body]

    @property
    def body_short_label(self) -> str:
        return BODY_SHORT_LABELS[self.body]

    @property
    def state_label(self) -> str:
        return spec.state_label(self.body, "case", self.state)

    @property
    def lead_assignments(self) -> list["Assignment"]:  # noqa: F821
        """主办 and 分办: the parts that answer the proposer."""
        return [a for a in self.assignments if a.role in spec.answering_roles()]

    def assignment_of(self, unit_id: int | None) -> "Assignment | None":  # noqa: F821
        return next((a for a in self.assignments if a.unit_id == unit_id), None)

    @property
    def proposers(self) -> list[Proposer]:
        """Lead proposer first, then the co-signers in order."""
        return [self.lead_proposer, *(c.proposer for c in self.cosigners)]


class CaseCosigner(Base):
    """联名: the ordered co-signers after the lead proposer (positions start at 1)."""

    __tablename__ = "case_cosigners"
    __table_args__ = (
        UniqueConstraint("case_id", "proposer_id"),
        CheckConstraint("position > 0", name="position_positive"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("proposers.id"), index=True)

    proposer: Mapped[Proposer] = relationship()
