"""Sessions that end: a copied session cookie stops working after each way a session ends."""
from __future__ import annotations

from datetime import timedelta

import pytest

from caseflow import clock
from caseflow.passwords import verify_password
from tests.conftest import csrf_token
from tests.factories import PASSWORD


def _copy(app, client):
    """A second client carrying a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _is_logged_in(client) -> bool:
    r = client.get("/cases/")
    assert r.status_code in (200, 302)
    return r.status_code == 200


def _post(client, path, page="/cases/", **data):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_copied_cookie_works_until_logout_then_never_again(app, login, make):
    user = make.user("dispatcher")
    c = login(user)
    thief = _copy(app, c)
    assert _is_logged_in(thief)  # the copy is as good as the original while the session is open
    assert _post(c, "/logout").status_code == 302
    assert not _is_logged_in(thief)
    assert not _is_logged_in(c)


def test_logout_ends_only_that_session(app, login, make):
    user = make.user("dispatcher")
    office, phone = login(user), login(user)
    _post(phone, "/logout")
    assert _is_logged_in(office) and not _is_logged_in(phone)


def test_admin_password_reset_ends_every_session_of_the_account(app, login, make, db):
    admin, user = make.user("admin"), make.user("dispatcher")
    victim = login(user)
    thief = _copy(app, victim)
    page = f"/admin/users/{user.id}"
    r = _post(login(admin), page, page=page, password="a-new-password-1", version=user.version)
    assert r.status_code == 302
    db.session.refresh(user)
    assert verify_password(user.password_hash, "a-new-password-1")
    assert not _is_logged_in(thief) and not _is_logged_in(victim)


def test_own_password_change_ends_other_sessions_but_keeps_this_one(app, login, make):
    user = make.user("dispatcher")
    c, other = login(user), login(user)
    thief = _copy(app, other)
    r = _post(c, "/account/password", page="/account/password", current=PASSWORD, password="brand-new-pass",
              confirm="brand-new-pass")
    assert r.status_code == 302
    assert _is_logged_in(c)
    assert not _is_logged_in(other) and not _is_logged_in(thief)


@pytest.mark.parametrize("data, field_error", [
    ({"current": "wrong-one-1", "password": "brand-new-pass", "confirm": "brand-new-pass"}, "当前密码不正确"),
    ({"current": PASSWORD, "password": "short", "confirm": "short"}, "密码至少需要 8 位"),
    ({"current": PASSWORD, "password": "brand-new-pass", "confirm": "brand-new-pasz"}, "两次输入的新密码不一致"),
])
def test_own_password_change_refusals_change_nothing(app, login, make, db, data, field_error):
    user = make.user("dispatcher")
    c, other = login(user), login(user)
    r = _post(c, "/account/password", page="/account/password", **data)
    assert r.status_code == 422 and field_error in r.get_data(as_text=True)
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)
    assert _is_logged_in(other)


def test_deactivation_ends_every_session(app, login, make):
    admin, user = make.user("admin"), make.user("dispatcher")
    thief = _copy(app, login(user))
    page = f"/admin/users/{user.id}"
    assert _post(login(admin), f"/admin/users/{user.id}/deactivate", page=page, version=user.version).status_code == 302
    assert not _is_logged_in(thief)


def test_sign_out_everywhere(app, login, make):
    admin, user = make.user("admin"), make.user("dispatcher")
    office, phone = login(user), login(user)
    thief = _copy(app, office)
    page = f"/admin/users/{user.id}"
    admin_client = login(admin)
    assert "当前 2 处" in admin_client.get(page).get_data(as_text=True)
    r = _post(admin_client, f"/admin/users/{user.id}/sign-out", page=page)
    assert r.status_code == 302
    assert "已结束该账号的 2 处登录" in admin_client.get(page).get_data(as_text=True)
    assert not any(_is_logged_in(c) for c in (office, phone, thief))
    assert _is_logged_in(admin_client)


def test_only_an_admin_may_sign_others_out(app, login, make):
    user, other = make.user("dispatcher"), make.user("dispatcher")
    victim = login(other)
    r = _post(login(user), f"/admin/users/{other.id}/sign-out")
    assert r.status_code == 403
    assert _is_logged_in(victim)


def test_session_ends_on_the_server_after_its_lifetime(app, login, make, frozen_clock):
    frozen_clock(clock.now())
    c = login(make.user("dispatcher"))
    frozen_clock(clock.now() + app.config["PERMANENT_SESSION_LIFETIME"] - timedelta(minutes=1))
    assert _is_logged_in(c)
    frozen_clock(clock.now() + timedelta(minutes=2))
    assert not _is_logged_in(c)
