"""Per-body, per-year vocabularies: categories and 办理结果分类."""
from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.models.base import BODIES, Base, one_of


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (one_of("body", BODIES), UniqueConstraint("body", "year", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(default=0)

    def __str__(self) -> str:
        return self.name


class ResultClass(Base):
    """A result class (e.g. 解决采纳); ``adopted`` marks the ones counted in 解决采纳率."""

    __tablename__ = "result_classes"
    __table_args__ = (
        one_of("body", BODIES),
        UniqueConstraint("body", "year", "code"),
        UniqueConstraint("body", "year", "label"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    code: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(30))
    adopted: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    def __str__(self) -> str:
        return self.label
