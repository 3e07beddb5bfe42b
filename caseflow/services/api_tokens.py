"""API tokens: made for a user by that user or an administrator, shown once, stored as a hash,
revoked by either. A request's ``Authorization: Bearer`` secret finds its token by that hash."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from caseflow import clock
from caseflow.errors import NotFound, PermissionDenied, ValidationError
from caseflow.extensions import db
from caseflow.models import ApiToken, User
from caseflow.services import security_log
from caseflow.services.base import get, transaction
from caseflow.workflow import engine

PREFIX = "cf_"
MAX_EXPIRY_DAYS = 3650


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _may_manage(actor: User, owner_id: int) -> bool:
    return actor.id == owner_id or engine.page_allowed(actor, "administration")


def tokens_of(actor: User, owner_id: int) -> list[ApiToken]:
    if not _may_manage(actor, owner_id):
        raise PermissionDenied("只能查看自己的 API 令牌。")
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == owner_id)
                              .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()


def create_token(actor: User, owner_id: int, name: str, expires_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``owner_id`` and its secret (the only time the secret exists outside the
    caller's hands)."""
    if not _may_manage(actor, owner_id):
        raise PermissionDenied("只能为自己创建 API 令牌。")
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationError("请填写令牌名称（最多50字）。", "name")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise ValidationError(f"有效天数应在 1 到 {MAX_EXPIRY_DAYS} 之间。", "expires_days")
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction():
        owner = get(User, owner_id)
        if not owner.active:
            raise ValidationError("该账号已停用，不能创建令牌。", "user")
        token = ApiToken(user_id=owner.id, name=name, secret_hash=_digest(secret), hint=secret[:10],
                         expires_at=clock.now() + timedelta(days=expires_days) if expires_days else None)
        db.session.add(token)
        security_log.record("token_created", user=owner, actor=actor if actor.id != owner.id else None,
                            detail=f"令牌：{name}（{token.hint}…）")
    return token, secret


def revoke_token(actor: User, token_id: int) -> ApiToken:
    with transaction():
        token = db.session.get(ApiToken, token_id)
        if token is None or not _may_manage(actor, token.user_id):
            raise NotFound("令牌不存在。")
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            security_log.record("token_revoked", user=token.user, actor=actor if actor.id != token.user_id else None,
                                detail=f"令牌：{token.name}（{token.hint}…）")
    return token


def user_of(secret: str) -> User | None:
    """The active user whose usable token has this secret, else None; notes when it was used."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == _digest(secret))
                              .options(joinedload(ApiToken.user)))
    if token is None or not token.usable or not token.user.active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        with transaction():  # at most one write per token every few minutes
            token.last_used_at = now
    return token.user
