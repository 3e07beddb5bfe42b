"""The security log page: what each security-relevant action writes, read and filtered by admins."""
from __future__ import annotations

import re

from caseflow.models import SecurityEvent
from caseflow.services import access_links
from tests.conftest import csrf_token
from tests.factories import PASSWORD


def _post(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf_token(client.get(page).get_data(as_text=True)), **data})


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>\s*<td class=\"nowrap\">[^<]+</td>\s*<td class=\"nowrap\">([^<]+)</td>", html)


def test_security_actions_are_logged_and_filtered(app, login, make, db, client):
    admin, user = make.user("admin", name="管理员甲"), make.user("dispatcher")
    proposer = make.proposer("张代表")
    c = login(user)  # login_success
    _post(c, "/account/password", "/account/password", current=PASSWORD, password="new-password-1",
          confirm="new-password-1")
    _post(c, "/logout", "/cases/")
    a = login(admin)
    page = f"/admin/users/{user.id}"
    _post(a, page, page, password="reset-password-1", version=user.version)
    _post(a, f"/admin/users/{user.id}/sign-out", page)
    _, _, _ = access_links.create_link(admin, proposer.id)
    link, _, _ = access_links.create_link(admin, proposer.id)
    access_links.revoke_link(admin, link.id)
    _post(client, "/login", "/login", username="no-such-user", password="whatever-1")
    kinds = [e.kind for e in db.session.query(SecurityEvent).order_by(SecurityEvent.id)]
    assert kinds == ["login_success", "password_changed", "logout", "login_success", "password_reset",
                     "sessions_ended", "link_created", "link_created", "link_revoked", "login_failure"]
    html = a.get("/admin/security").get_data(as_text=True)
    assert _rows(html) == ["登录失败", "撤销个人链接", "生成个人链接", "生成个人链接", "全部下线", "重置密码",
                           "登录成功", "退出登录", "修改密码", "登录成功"]  # newest first
    assert "管理员甲" in html and "张代表" in html and "撤销此前链接：1" in html
    assert _rows(a.get("/admin/security?kind=login_failure").get_data(as_text=True)) == ["登录失败"]
    assert _rows(a.get(f"/admin/security?username={user.username}&kind=login_success")
                 .get_data(as_text=True)) == ["登录成功"]
    assert _rows(a.get("/admin/security?since=2999-01-01").get_data(as_text=True)) == []
    r = a.get("/admin/security?since=not-a-date")
    assert r.status_code == 422 and "请输入有效日期" in r.get_data(as_text=True)


def test_only_admins_read_the_security_log(login, make, client):
    assert login(make.user("dispatcher")).get("/admin/security").status_code == 403
    assert client.get("/admin/security").status_code == 302
