from __future__ import annotations

from datetime import timedelta

from caseflow import clock
from caseflow.models import LoginAttempt
from caseflow.passwords import verify_password
from tests.conftest import csrf_token
from tests.factories import PASSWORD


def _post_login(client, username, password):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_login_page_is_chinese_and_carries_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    assert "用户名" in html and "密码" in html
    assert 'name="csrf_token"' in html


def test_login_and_logout(client, make):
    user = make.user("dispatcher")
    r = _post_login(client, user.username, PASSWORD)
    assert r.status_code == 302 and r.location.endswith("/cases/")
    assert client.get("/cases/").status_code == 200
    token = csrf_token(client.get("/cases/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/cases/").status_code == 302


def test_wrong_password_shows_message_next_to_field(client, make):
    user = make.user("dispatcher")
    r = _post_login(client, user.username, "wrong-password")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "用户名或密码错误" in html and 'invalid-feedback' in html


def test_empty_fields_are_refused_in_chinese(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    html = client.post("/login", data={"csrf_token": token}).get_data(as_text=True)
    assert "请填写用户名" in html and "请填写密码" in html


def test_login_without_csrf_token_is_refused(client, make):
    user = make.user("dispatcher")
    r = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 400 and "表单已过期" in r.get_data(as_text=True)


def test_rate_limit_locks_the_account_then_expires(client, make, frozen_clock, db):
    user = make.user("dispatcher")
    frozen_clock(clock.now())
    for _ in range(5):
        _post_login(client, user.username, "nope-nope")
    html = _post_login(client, user.username, PASSWORD).get_data(as_text=True)
    assert "登录失败次数过多" in html
    assert db.session.query(LoginAttempt).filter_by(username=user.username, succeeded=True).count() == 0
    frozen_clock(clock.now() + timedelta(minutes=16))
    assert _post_login(client, user.username, PASSWORD).status_code == 302


def test_inactive_user_cannot_log_in(client, make):
    user = make.user("dispatcher", active=False)
    assert "用户名或密码错误" in _post_login(client, user.username, PASSWORD).get_data(as_text=True)


def test_open_redirect_is_refused(client, make):
    user = make.user("dispatcher")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    r = client.post("/login?next=//evil.example/x", data={"username": user.username, "password": PASSWORD,
                                                            "csrf_token": token})
    assert r.location.endswith("/cases/")


def test_session_expires_and_cookie_is_http_only(app, login, make):
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=12)
    c = login(make.user("dispatcher"))
    cookie = c.get_cookie("session")
    assert cookie.http_only and cookie.expires is not None


def test_security_headers(client):
    r = client.get("/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_passwords_are_stored_as_argon2(make):
    user = make.user("dispatcher")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
