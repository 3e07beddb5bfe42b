"""Login: the same argon2 work for unknown accounts, a throttle that slows one attacker without
locking the real user out elsewhere, a cap per account per hour, and the security log."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.models import LoginAttempt, LoginSession, SecurityEvent
from caseflow.services import login_sessions, users
from tests.factories import PASSWORD

ATTACKER, OFFICE = "203.0.113.9", "10.1.1.20"


@pytest.fixture
def now(frozen_clock):
    moment = [clock.now()]
    frozen_clock(moment[0])

    def advance(seconds: float = 0):
        moment[0] += timedelta(seconds=seconds)
        frozen_clock(moment[0])
    return advance


def _try(username, password, addr) -> str:
    """'ok', or the message of the refusal."""
    try:
        users.authenticate(username, password, addr)
    except ValidationError as e:
        return e.message
    return "ok"


@pytest.mark.parametrize("case", ["unknown", "inactive", "wrong password", "right password"])
def test_every_attempt_costs_one_argon2_verify(make, monkeypatch, case):
    user = make.user("dispatcher", active=case != "inactive")
    calls = []
    real = users.verify_password
    monkeypatch.setattr(users, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    username = "nobody-here" if case == "unknown" else user.username
    password = PASSWORD if case == "right password" else "wrong-pass-1"
    assert _try(username, password, OFFICE) == ("ok" if case == "right password" else "用户名或密码错误。")
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_delays_grow_for_one_account_at_one_address(make, now):
    user = make.user("dispatcher")
    for _ in range(3):  # LOGIN_FREE_FAILURES: no wait yet
        assert _try(user.username, "wrong-pass-1", ATTACKER) == "用户名或密码错误。"
    for delay in (1, 2, 4, 8):
        assert _try(user.username, PASSWORD, ATTACKER) == f"登录失败次数过多，请 {delay} 秒后再试。"
        now(delay - 0.5)
        assert "秒后再试" in _try(user.username, PASSWORD, ATTACKER)
        now(0.5)
        assert _try(user.username, "wrong-pass-1", ATTACKER) == "用户名或密码错误。"
    # the same account at another address, and another account at this one, are not slowed
    assert _try(user.username, PASSWORD, OFFICE) == "ok"
    other = make.user("dispatcher")
    assert _try(other.username, PASSWORD, ATTACKER) == "ok"


def test_an_attacker_cannot_lock_the_real_user_out_at_their_usual_address(app, make, now):
    user = make.user("dispatcher")
    assert _try(user.username, PASSWORD, OFFICE) == "ok"  # the office is a known address
    cap = app.config["LOGIN_ACCOUNT_HOURLY"]
    addresses = [f"198.51.100.{i}" for i in range(cap)]
    for addr in addresses:  # one failure each from many addresses: no delay applies
        assert _try(user.username, "guess-123", addr) == "用户名或密码错误。"
    # the account's hourly cap is reached: unknown addresses are refused, even with the password
    assert _try(user.username, PASSWORD, "192.0.2.77") == "该账号近一小时登录失败次数过多，请稍后再试，或在常用的电脑上登录。"
    assert _try(user.username, "guess-124", addresses[0]).startswith("该账号近一小时")
    # … but the real user at their office gets in
    assert _try(user.username, PASSWORD, OFFICE) == "ok"
    now(3601)  # an hour later the cap is free again
    assert _try(user.username, PASSWORD, "192.0.2.77") == "ok"


def test_refused_attempts_are_not_counted_as_failures(make, now):
    user = make.user("dispatcher")
    for _ in range(3):
        _try(user.username, "wrong-pass-1", ATTACKER)
    for _ in range(20):  # hammering while refused does not make the wait longer
        assert _try(user.username, "wrong-pass-1", ATTACKER) == "登录失败次数过多，请 1 秒后再试。"
    now(1)
    assert _try(user.username, PASSWORD, ATTACKER) == "ok"


def test_the_security_log_records_each_outcome(make, db, now):
    user = make.user("dispatcher")
    _try("nobody-here", "x-password", ATTACKER)
    for _ in range(3):
        _try(user.username, "wrong-pass-1", ATTACKER)
    _try(user.username, PASSWORD, ATTACKER)
    now(1)
    _try(user.username, PASSWORD, ATTACKER)
    rows = db.session.query(SecurityEvent).order_by(SecurityEvent.id).all()
    assert [(r.kind, r.username, r.remote_addr) for r in rows] == [
        ("login_failure", "nobody-here", ATTACKER), *[("login_failure", user.username, ATTACKER)] * 3,
        ("login_throttled", user.username, ATTACKER), ("login_success", user.username, ATTACKER)]
    assert rows[0].user_id is None and rows[-1].user_id == user.id


def test_pruning_forgets_only_what_the_throttle_and_the_sessions_no_longer_read(app, make, db, now):
    user = make.user("dispatcher")
    assert _try(user.username, PASSWORD, OFFICE) == "ok"
    kept, ended = login_sessions.start(user, OFFICE), login_sessions.start(user, OFFICE)
    login_sessions.end(ended)
    for _ in range(3):
        _try(user.username, "wrong-pass-1", ATTACKER)
    assert login_sessions.prune() == (1, 0)  # the ended session only
    assert login_sessions.user_for(user.id, kept) == user
    assert "秒后再试" in _try(user.username, PASSWORD, ATTACKER)  # the failures still count

    def attempts():
        return db.session.execute(select(LoginAttempt.remote_addr, LoginAttempt.succeeded)).all()
    now(app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() + 1)
    assert login_sessions.prune() == (1, 0) and db.session.scalar(select(LoginSession.id)) is None
    now(24 * 3600)  # failures older than a day go; the success keeps the office a known address
    assert login_sessions.prune() == (0, 3) and attempts() == [(OFFICE, True)]
    now(app.config["LOGIN_KNOWN_DAYS"] * 24 * 3600)
    assert login_sessions.prune() == (0, 1) and attempts() == []
