from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.models.base import Base, one_of
from caseflow.models.case import Case
from caseflow.models.unit import Unit
from caseflow.workflow import spec

# states in which the unit owes nothing more (the rule book's group)
DONE = spec.group("assignment", "done")
_OPEN = text("state NOT IN (" + ", ".join(f"'{s}'" for s in DONE) + ")")


class Assignment(Base):
    """One unit's part in a case (主办 / 会办 / 分办) with its own state and due date."""

    __tablename__ = "assignments"
    __table_args__ = (
        one_of("role", spec.assignment_roles()),
        one_of("state", spec.states("assignment")),
        UniqueConstraint("case_id", "unit_id"),
        CheckConstraint("due_date >= original_due_date", name="due_not_before_original"),
        # the open assignments by due date (the overdue list): a few thousand among every year's
        Index("ix_assignments_open_due_date", "due_date", postgresql_where=_OPEN, sqlite_where=_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(30), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=clock.now)
    original_due_date: Mapped[date]
    due_date: Mapped[date] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    # a pending 退回 or 延期 request: what was asked and why
    requested_due_date: Mapped[date | None]
    request_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def role_label(self) -> str:
        return spec.assignment_role_label(self.role)

    @property
    def state_label(self) -> str:
        return spec.state_label(self.case.body, "assignment", self.state)

    @property
    def status_label(self) -> str:
        """The part's state as a unit's list shows it: 重新办理 when the case is handled again."""
        if self.case.state in spec.group("case", "second_round"):
            return self.case.state_label
        return self.state_label

    @property
    def assigned_on(self) -> date:
        """The 交办 date in Shanghai, from which deadlines count."""
        return self.assigned_at.astimezone(clock.LOCAL_TZ).date()

    @property
    def is_gone(self) -> bool:
        """Returned (退回): no longer this unit's part, counted nowhere."""
        return self.state in spec.group("assignment", "gone")

    @property
    def is_open(self) -> bool:
        return self.state not in DONE

    def days_left(self, today: date | None = None) -> int:
        return (self.due_date - (today or clock.today())).days

    def light(self, today: date | None = None) -> str:
        """Traffic light of an open assignment: red overdue, yellow within LIGHT_YELLOW_DAYS, else green."""
        days = self.days_left(today)
        return "red" if days < 0 else "yellow" if days <= current_app.config["LIGHT_YELLOW_DAYS"] else "green"
