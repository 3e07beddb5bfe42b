"""The security audit log: one row per login, throttle, password change, session end, link."""
from __future__ import annotations

from flask import has_request_context, request

from caseflow.extensions import db
from caseflow.models import SecurityEvent, User


def record(kind: str, *, user: User | None = None, username: str | None = None, actor: User | None = None,
           detail: str = "", remote_addr: str | None = None) -> SecurityEvent:
    """Add an entry to the caller's transaction (the caller commits)."""
    if remote_addr is None:
        remote_addr = (request.remote_addr or "") if has_request_context() else ""
    event = SecurityEvent(kind=kind, user_id=user.id if user else None, actor_id=actor.id if actor else None,
                          username=(username if username is not None else user.username if user else "")[:64],
                          remote_addr=remote_addr[:64], detail=detail[:200])
    db.session.add(event)
    return event
