from __future__ import annotations

import math
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.models import LoginAttempt, Proposer, Unit, User
from caseflow.services import login_sessions, security_log
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
        raise ValidationError(_("请填写用户名。"), "username")
    if role not in spec.roles():
        raise ValidationError(_("未知角色：%(role)s。", role=role), "role")
    if role in spec.roles_with_scope("unit") and unit is None:
        raise ValidationError(_("经办人和单位负责人必须属于一个承办单位。"), "unit")
    if role in spec.roles_with_scope("own") and proposer is None:
        raise ValidationError(_("代表/委员账号必须关联一位代表或委员。"), "proposer")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(_("密码至少需要 %(length)s 位。", length=MIN_PASSWORD_LENGTH), "password")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise ValidationError(_("用户名“%(username)s”已存在。", username=username), "username")
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


@cache
def _dummy_hash() -> str:
    """A hash no password matches, made like a real one: verifying against it costs the same work."""
    return hash_password(secrets.token_urlsafe(16))


def authenticate(username: str, password: str, remote_addr: str) -> User:
    """The user for these credentials; every attempt is recorded for the throttle and the security log.

    An unknown or deactivated account costs the same argon2 work as a real one (no timing oracle).
    """
    if refusal := _throttled(username, remote_addr):
        security_log.record("login_throttled", username=username, remote_addr=remote_addr, detail=refusal)
        db.session.commit()
        raise ValidationError(refusal, "password")
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None and user.active:
        ok = verify_password(user.password_hash, password)
    else:
        verify_password(_dummy_hash(), password)
        ok = False
    db.session.add(LoginAttempt(username=username, remote_addr=remote_addr, succeeded=ok))
    security_log.record("login_success" if ok else "login_failure", user=user, username=username,
                        remote_addr=remote_addr)
    if ok and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.commit()
    if not ok:
        raise ValidationError(_("用户名或密码错误。"), "password")
    return user


def _throttled(username: str, remote_addr: str) -> str | None:
    """Why this attempt is refused before any password is checked, or None.

    1. This account from this address: after LOGIN_FREE_FAILURES failures (since its last success
       there, within the hour) each further try waits twice as long as the one before (1 s, 2 s,
       4 s … at most LOGIN_MAX_DELAY_SECONDS): one attacker is slowed, nobody else.
    2. This account from addresses where it has not logged in for LOGIN_KNOWN_DAYS: at most
       LOGIN_ACCOUNT_HOURLY failures an hour, from all of them together, caps the guesses an account
       gets however many addresses try; the real user at an address they logged in from keeps rule 1 only.
    3. One address, all accounts: LOGIN_ADDRESS_HOURLY failures an hour (an office shares one NAT
       address, so this is loose).
    """
    cfg = current_app.config
    now = clock.now()
    hour = now - timedelta(hours=1)
    here = and_(LoginAttempt.username == username, LoginAttempt.remote_addr == remote_addr)
    last_success = db.session.scalar(select(func.max(LoginAttempt.at)).where(here, LoginAttempt.succeeded.is_(True)))
    failures = db.session.scalars(select(LoginAttempt.at).where(
        here, LoginAttempt.succeeded.is_(False), LoginAttempt.at > max(hour, last_success or hour))
        .order_by(LoginAttempt.at.desc())).all()
    if len(failures) >= cfg["LOGIN_FREE_FAILURES"]:
        delay = min(2 ** (len(failures) - cfg["LOGIN_FREE_FAILURES"]), cfg["LOGIN_MAX_DELAY_SECONDS"])
        wait = math.ceil((failures[0] + timedelta(seconds=delay) - now).total_seconds())
        if wait > 0:
            return f"登录失败次数过多，请 {wait} 秒后再试。"
    known = last_success is not None and last_success > now - timedelta(days=cfg["LOGIN_KNOWN_DAYS"])
    if not known and _failures_since(hour, LoginAttempt.username == username) >= cfg["LOGIN_ACCOUNT_HOURLY"]:
        return "该账号近一小时登录失败次数过多，请稍后再试，或在常用的电脑上登录。"
    if _failures_since(hour, LoginAttempt.remote_addr == remote_addr) >= cfg["LOGIN_ADDRESS_HOURLY"]:
        return "本机近一小时登录失败次数过多，请稍后再试。"
    return None


def _failures_since(since, condition) -> int:
    return db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at > since, condition))


def change_password(user: User, current: str, password: str, confirm: str, keep: str | None = None) -> None:
    """The user's own change: the current password first; every other session of theirs ends."""
    if not verify_password(user.password_hash, current):
        raise ValidationError(_("当前密码不正确。"), "current")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。", "password")
    if password != confirm:
        raise ValidationError(_("两次输入的新密码不一致。"), "confirm")
    user.password_hash = hash_password(password)
    ended = login_sessions.end_all(user.id, keep=keep)
    security_log.record("password_changed", user=user, detail=f"其他登录已结束：{ended}")
    db.session.commit()
