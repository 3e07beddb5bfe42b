from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.models.base import Base


class Holiday(Base):
    """A day that differs from Monday–Friday: a holiday (is_workday false) or a 调休 workday."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(30), default="")
