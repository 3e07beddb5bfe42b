from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import clock
from caseflow.models.base import Base


class LoginSession(Base):
    """One login: the session cookie carries a random token whose SHA-256 is ``token_hash``.

    A request counts as logged in only while this row is open (``ended_at`` empty) and not
    expired, so logging out, a password change or reset, deactivation and 「全部下线」 end every
    copy of the cookie at once.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remote_addr: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
