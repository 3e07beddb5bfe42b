from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.models.base import Base, one_of
from caseflow.models.proposer import Proposer
from caseflow.models.unit import Unit
from caseflow.workflow import spec

ROLES = spec.roles()  # the rule book's (workflows/base.yaml); adding one needs a migration


def _quoted(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
        CheckConstraint(
            f"role NOT IN ({_quoted(spec.roles_with_scope('unit'))}) OR unit_id IS NOT NULL",
            name="unit_role_has_unit",
        ),
        CheckConstraint(
            f"role <> {_quoted(spec.roles_with_scope('own'))} OR proposer_id IS NOT NULL",
            name="proposer_role_has_proposer"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("proposers.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit | None] = relationship()
    proposer: Mapped[Proposer | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_label(self) -> str:
        return spec.role_label(self.role)


class LoginAttempt(Base):
    """Login attempts, kept in the database so the rate limit holds across workers."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)


class ApiToken(Base):
    """A user's key to the JSON API. Only the SHA-256 of the secret is kept: the secret is 256
    random bits, so a fast hash is as safe as a slow one (nothing to guess) and lets each request
    find its token by an indexed lookup; the secret is shown once, when it is made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))  # the secret's first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > clock.now())
