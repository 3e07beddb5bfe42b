from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import clock
from caseflow.i18n import N_, Labels
from caseflow.models.base import Base, one_of

PROPOSER_KINDS = ("deputy", "member")
PROPOSER_KIND_LABELS = Labels({"deputy": N_("人大代表"), "member": N_("政协委员")})
PROPOSER_TYPES = ("individual", "joint", "party", "group", "sector", "member_group", "committee")
PROPOSER_TYPE_LABELS = Labels({
    "individual": N_("个人"),
    "joint": N_("联名"),
    "party": N_("党派"),
    "group": N_("团体"),
    "sector": N_("界别"),
    "member_group": N_("委员小组"),
    "committee": N_("专委会"),
})


class Proposer(Base):
    """代表 / 委员 (or a party, group, committee that proposes).

    Contact fields (phone, email, address) are private: they are never shown
    on the public portal and the redaction check refuses them in published text.
    """

    __tablename__ = "proposers"
    __table_args__ = (one_of("kind", PROPOSER_KINDS), one_of("type", PROPOSER_TYPES))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(20), default="individual")
    organization: Mapped[str] = mapped_column(String(200), default="")
    group: Mapped[str] = mapped_column(String(100), default="")  # 界别 / 代表团
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name


class AccessLink(Base):
    """A proposer's personal link: the token carries this row's id; revoking sets revoked_at."""

    __tablename__ = "access_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("proposers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
