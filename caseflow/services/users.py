from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.models import LoginAttempt, Proposer, Unit, User
from caseflow.workflow import spec
from caseflow.passwords import hash_password, needs_rehash, verify_password

MIN_PASSWORD_LENGTH = 8


def create_user(
    *,
    username: str,
    name: str,
    role: str,
    password: str,
    unit: Unit | None = None,
    proposer: Proposer | None = None,
    email: str | None = None,
    password_hash: str | None = None,
    commit: bool = True,
) -> User:
    """Create a user after checking what the database would refuse, with a clear message.

    ``password_hash`` (the hash of ``password``) saves re-hashing when many accounts
    share one password, as the demo accounts do.
    """
    username = username.strip()
    if not username:
        raise ValidationError("请填写用户名。", "username")
    if role not in spec.roles():
        raise ValidationError(f"未知角色：{role}。", "role")
    if role in spec.roles_with_scope("unit") and unit is None:
        raise ValidationError("经办人和单位负责人必须属于一个承办单位。", "unit")
    if role in spec.roles_with_scope("own") and proposer is None:
        raise ValidationError("代表/委员账号必须关联一位代表或委员。", "proposer")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。", "password")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise ValidationError(f"用户名“{username}”已存在。", "username")
    user = User(
        username=username,
        name=name.strip() or username,
        role=role,
        password_hash=password_hash or hash_password(password),
        unit=unit if role in spec.roles_with_scope("unit") else None,
        proposer=proposer if role in spec.roles_with_scope("own") else None,
        email=email,
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def authenticate(username: str, password: str, remote_addr: str) -> User:
    """The user for these credentials; every attempt is recorded for the rate limit."""
    cfg = current_app.config
    since = clock.now() - timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    def failures(condition) -> int:
        return db.session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since, condition
            )
        )

    # per account, and a looser limit per address (an office shares one NAT address)
    limit = cfg["LOGIN_MAX_FAILURES"]
    if (
        failures(LoginAttempt.username == username) >= limit
        or failures(LoginAttempt.remote_addr == remote_addr) >= limit * 10
    ):
        raise ValidationError(
            f"登录失败次数过多，请 {cfg['LOGIN_LOCK_MINUTES']} 分钟后再试。", "password"
        )
    user = db.session.scalar(select(User).where(User.username == username))
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    db.session.add(LoginAttempt(username=username, remote_addr=remote_addr, succeeded=ok))
    if ok and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    if not ok:
        raise ValidationError("用户名或密码错误。", "password")
    return user
