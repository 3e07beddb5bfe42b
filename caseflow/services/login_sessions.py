"""Server-side login sessions: the cookie alone is not enough, its row must still be open."""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import LoginAttempt, LoginSession, User

SESSION_TOKEN = "sid"  # the key of the session cookie that holds the token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, remote_addr: str, commit: bool = True) -> str:
    """Open a session for ``user``; the returned token goes into the (signed) session cookie."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(LoginSession(user_id=user.id, token_hash=_hash(token), remote_addr=remote_addr[:64],
                                created_at=now, expires_at=now + current_app.config["PERMANENT_SESSION_LIFETIME"]))
    if commit:
        db.session.commit()
    return token


def user_for(user_id: object, token: object) -> User | None:
    """The user of an open, unexpired session with this token, else None (logged out)."""
    if not isinstance(token, str) or not str(user_id).isdigit():
        return None
    return db.session.scalar(  # with the unit every page's header names (one statement, not two)
        select(User).options(joinedload(User.unit)).join(LoginSession, LoginSession.user_id == User.id).where(
            User.id == int(user_id), User.active.is_(True), LoginSession.token_hash == _hash(token),
            LoginSession.ended_at.is_(None), LoginSession.expires_at > clock.now()))


def end(token: object) -> None:
    """Log out: this session's row is closed, so every copy of its cookie stops working (commits)."""
    if isinstance(token, str):
        db.session.execute(update(LoginSession).where(LoginSession.token_hash == _hash(token),
                                                      LoginSession.ended_at.is_(None)).values(ended_at=clock.now()))
    db.session.commit()


def end_all(user_id: int, keep: str | None = None) -> int:
    """Close every open session of a user (but ``keep``'s, the one that asked); the caller commits.

    Called on a password change or reset, on deactivation and by 「全部下线」.
    """
    query = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.token_hash != _hash(keep))
    return db.session.execute(query.values(ended_at=clock.now())).rowcount


def open_count(user_id: int) -> int:
    return len(db.session.scalars(select(LoginSession.id).where(
        LoginSession.user_id == user_id, LoginSession.ended_at.is_(None),
        LoginSession.expires_at > clock.now())).all())


def prune() -> tuple[int, int]:
    """Delete the login rows nothing reads any more: sessions ended or expired, and login attempts
    older than the throttle looks back (LOGIN_KNOWN_DAYS for successes, an hour for failures, kept
    a day). The security log keeps its own record of each; returns (sessions, attempts) deleted."""
    now = clock.now()
    known = now - timedelta(days=current_app.config["LOGIN_KNOWN_DAYS"])
    sessions = db.session.execute(delete(LoginSession).where(
        or_(LoginSession.ended_at <= now, LoginSession.expires_at <= now))).rowcount
    attempts = db.session.execute(delete(LoginAttempt).where(
        or_(LoginAttempt.at < known,
            LoginAttempt.succeeded.is_(False) & (LoginAttempt.at < now - timedelta(days=1))))).rowcount
    db.session.commit()
    return sessions, attempts
