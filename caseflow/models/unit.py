from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.i18n import N_, Labels
from caseflow.models.base import Base, one_of

UNIT_KINDS = ("department", "street", "town", "other")
UNIT_KIND_LABELS = Labels({"department": N_("委办局"), "street": N_("街道"), "town": N_("镇"), "other": N_("其他")})


class Unit(Base):
    """承办单位: a department or street office that handles cases."""

    __tablename__ = "units"
    __table_args__ = (one_of("kind", UNIT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(50), default="")
    kind: Mapped[str] = mapped_column(String(20), default="department")
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name
