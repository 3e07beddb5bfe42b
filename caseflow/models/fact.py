from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.models.base import Base


class AssignmentFact(Base):
    """What the statistics count about one assignment (a unit's part in a case), one row each.

    Derived data: ``caseflow.facts`` writes it from the event log and the source rows, in the
    transaction of every change, and ``flask stats rebuild --check`` proves it agrees with them.
    Only assignments that count are here (not 退回, not on a withdrawn or merged case).
    """

    __tablename__ = "assignment_facts"
    __table_args__ = (
        Index("ix_assignment_facts_year_unit_id", "year", "unit_id"),
        Index("ix_assignment_facts_year_body", "year", "body"),
        Index("ix_assignment_facts_assigned_ym", "assigned_ym"),
        Index("ix_assignment_facts_replied_ym", "replied_ym"),
        # the overdue list and the 不予公开 reasons: a few thousand of a year's facts each
        Index("ix_assignment_facts_open_year_due_date", "year", "due_date", postgresql_where=text("open"),
              sqlite_where=text("open")),
        Index("ix_assignment_facts_withheld_year", "year", postgresql_where=text("withheld"),
              sqlite_where=text("withheld")),
    )

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    body: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    year: Mapped[int]  # the session's
    lead: Mapped[bool]  # 主办 or 分办 (else 会办)
    open: Mapped[bool]  # the unit still owes something on a case that goes on
    assigned_on: Mapped[date]  # 交办, Shanghai date
    assigned_ym: Mapped[int]  # 202503: the month of 交办, for the trend
    due_date: Mapped[date]  # in force now
    replied_at: Mapped[datetime | None]  # the first reply (首次答复)
    replied_on: Mapped[date | None]
    replied_ym: Mapped[int | None]
    opinion_on: Mapped[date | None]  # 会办意见
    due_then: Mapped[date]  # in force when the unit answered (or now): approved 延期 counted …
    due_then_assigned: Mapped[date]  # … or not (STATS_EXTENSION_COUNTS)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("result_classes.id"))  # the latest reply's
    first_overall: Mapped[str | None] = mapped_column(String(30))  # the first evaluation of the case
    final_overall: Mapped[str | None] = mapped_column(String(30))  # the latest answer (not 未反馈)
    met: Mapped[bool]  # a 见面 before the first reply
    contacted: Mapped[bool]  # any contact before the first reply
    published: Mapped[bool]  # a reply of the unit published
    withheld: Mapped[bool]  # … or withheld
    followed_up: Mapped[bool]  # 回头看 recorded
    converted: Mapped[bool]  # 回头看 raised the result class
