"""The API token pages: one's own from /account, anyone's for the administrator, nobody else's."""
from __future__ import annotations

import re

from sqlalchemy import select

from caseflow.models import ApiToken, SecurityEvent
from tests.conftest import csrf_token


def _create(c, user_id: int, name: str, days: str = ""):
    page = c.get(f"/users/{user_id}/api-tokens").get_data(as_text=True)
    return c.post(f"/users/{user_id}/api-tokens", data={"name": name, "expires_days": days,
                                                        "csrf_token": csrf_token(page)})


def test_own_tokens_made_shown_once_and_revoked(login, make, client, db):
    user = make.user("handler")
    c = login(user)
    assert c.get("/account").location.endswith(f"/users/{user.id}/api-tokens")
    r = _create(c, user.id, "区档案系统", "30")
    html = r.get_data(as_text=True)
    secret = re.search(r'<code class="token-secret">(cf_[^<]+)</code>', html).group(1)
    assert r.status_code == 200 and "区档案系统" in html
    assert secret not in c.get(f"/users/{user.id}/api-tokens").get_data(as_text=True)  # once only
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    page = c.get(f"/users/{user.id}/api-tokens").get_data(as_text=True)
    c.post(f"/users/{user.id}/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)})
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_bad_input_is_shown_next_to_the_field(login, make, db):
    user = make.user("dispatcher")
    r = _create(login(user), user.id, "", "0")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "请填写令牌名称。" in html and "有效天数应在 1 到 3650 之间。" in html
    assert db.session.scalar(select(ApiToken)) is None


def test_others_tokens_are_the_admins_business_only(login, make, db):
    owner, other, admin = make.user("handler"), make.user("handler"), make.user("admin")
    assert login(other).get(f"/users/{owner.id}/api-tokens").status_code == 404
    r = _create(login(other), owner.id, "冒名")
    assert r.status_code in (400, 404) and db.session.scalar(select(ApiToken)) is None
    assert _create(login(admin), owner.id, "管理员代建").status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.user_id == owner.id
    c = login(other)
    page = c.get(f"/users/{other.id}/api-tokens").get_data(as_text=True)
    c.post(f"/users/{owner.id}/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)})
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert f"/users/{owner.id}/api-tokens" in login(admin).get(f"/admin/users/{owner.id}").get_data(as_text=True)


def test_making_and_revoking_a_token_is_in_the_security_log(login, make, db):
    owner, admin = make.user("handler"), make.user("admin")
    _create(login(admin), owner.id, "区档案系统")
    token = db.session.scalar(select(ApiToken))
    c = login(owner)
    page = c.get(f"/users/{owner.id}/api-tokens").get_data(as_text=True)
    c.post(f"/users/{owner.id}/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)})
    rows = db.session.execute(select(SecurityEvent.kind, SecurityEvent.user_id, SecurityEvent.actor_id,
                                     SecurityEvent.detail)
                              .where(SecurityEvent.kind.like("token%")).order_by(SecurityEvent.id)).all()
    detail = f"令牌：区档案系统（{token.hint}…）"
    assert rows == [("token_created", owner.id, admin.id, detail), ("token_revoked", owner.id, None, detail)]
    log = login(admin).get("/admin/security", query_string={"kind": "token_revoked"}).get_data(as_text=True)
    assert "撤销 API 令牌" in log and owner.username in log
