"""系统管理 over HTTP: admins only, bad input refused next to its field with nothing saved, 409 on stale
versions, holiday edits moving due dates, the missing-calendar warning, escaping."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from caseflow.models import Category, Holiday, ResultClass, Session, Unit, User
from caseflow.passwords import verify_password
from caseflow.services import holidays
from caseflow.workflow import spec
from tests.conftest import csrf_token
from tests.service.world import START, World

SAMPLE_ARGS = {"user_id": 1, "unit_id": 1, "session_id": 1, "item_id": 1, "year": 2025, "body": "cppcc_proposal",
               "kind": "category", "direction": "up", "action": "activate"}


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


@pytest.fixture
def admin_client(w, login):
    return login(w["admin"])


def token(client) -> str:
    return csrf_token(client.get("/public/").get_data(as_text=True))


def post(client, url: str, data: dict | None = None):
    return client.post(url, data={"csrf_token": token(client), **(data or {})})


def error_after(html: str, field_id: str) -> str:
    """The error messages shown right after the input with this id."""
    tail = html[html.index(f'id="{field_id}"') + 1:]
    end = min(i for i in (tail.find(' id="'), tail.find("<button"), len(tail)) if i >= 0)
    return " ".join(re.findall(r'class="invalid-feedback d-block">([^<]*)<', tail[:end]))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def admin_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            method = "POST" if "GET" not in rule.methods else "GET"
            routes.append((method, rule.build(SAMPLE_ARGS, append_unknown=False)[1]))
    return routes


@pytest.mark.parametrize("who", ["dispatcher", "supervisor", "lead_handler", "lead_leader", "proposer", "anonymous"])
def test_every_admin_route_refuses_everyone_but_admins(app, w, login, client, who):
    c = client if who == "anonymous" else login(w[who])
    routes = admin_routes(app)
    assert len(routes) >= 20
    for method, url in routes:
        r = c.get(url) if method == "GET" else post(c, url)
        if who == "anonymous":
            assert r.status_code == 302 and "/login" in r.location, url
        else:
            assert r.status_code == 403, url


def test_admin_opens_every_page(w, admin_client):
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{w['dispatcher'].id}", "/admin/units",
                f"/admin/units/{w.lead.id}", "/admin/sessions", f"/admin/sessions/{w.session.id}",
                "/admin/vocabulary", "/admin/holidays", "/admin/proposers"):
        assert admin_client.get(url).status_code == 200, url


# -- accounts -------------------------------------------------------------------------------

def test_create_user_needs_a_unit_for_a_handler(db, w, admin_client):
    before = count(db, User)
    r = post(admin_client, "/admin/users/new", {"username": "new_handler", "name": "新经办人", "role": "handler",
                                                "unit": "0", "proposer": "0", "password": "long-enough-1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert error_after(html, "unit") == "经办人和单位负责人必须属于一个承办单位。"
    assert count(db, User) == before


def test_create_user_refuses_empty_name_and_short_password(db, w, admin_client):
    before = count(db, User)
    html = post(admin_client, "/admin/users/new", {"username": "x", "name": " ", "role": "dispatcher", "unit": "0",
                                                   "proposer": "0", "password": ""}).get_data(as_text=True)
    assert error_after(html, "name") == "请填写姓名。" and error_after(html, "password") == "请填写密码。"
    taken = w["dispatcher"].username
    html = post(admin_client, "/admin/users/new", {"username": taken, "name": "重名", "role": "dispatcher",
                                                   "unit": "0", "proposer": "0", "password": "long-enough-1"}
                ).get_data(as_text=True)
    assert error_after(html, "username") == f"用户名“{taken}”已存在。"
    html = post(admin_client, "/admin/users/new", {"username": "short", "name": "短密码", "role": "dispatcher",
                                                   "unit": "0", "proposer": "0", "password": "short"}
                ).get_data(as_text=True)
    assert error_after(html, "password") == "密码至少需要 8 位。"
    assert count(db, User) == before


def test_created_handler_logs_in(db, w, admin_client, client):
    r = post(admin_client, "/admin/users/new", {"username": "new_handler", "name": "新经办人", "role": "handler",
                                                "unit": str(w.lead.id), "proposer": "0", "password": "long-enough-1"})
    assert r.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "new_handler")).one()
    assert user.unit_id == w.lead.id and user.role == "handler"
    r = client.post("/login", data={"username": "new_handler", "password": "long-enough-1",
                                    "csrf_token": csrf_token(client.get("/login").get_data(as_text=True))})
    assert r.status_code == 302


def test_deactivate_reactivate_and_reset_password(db, w, admin_client, login):
    target = w["dispatcher"]
    other = login(target)
    r = post(admin_client, f"/admin/users/{target.id}/deactivate", {"version": target.version})
    assert r.status_code == 302 and target.active is False
    assert other.get("/cases/").status_code == 302  # the open session ends too
    post(admin_client, f"/admin/users/{target.id}/activate", {"version": target.version})
    assert target.active is True
    r = post(admin_client, f"/admin/users/{target.id}", {"version": target.version, "password": "brand-new-pass"})
    assert r.status_code == 302 and verify_password(target.password_hash, "brand-new-pass")


def test_stale_version_answers_409_and_self_deactivation_is_refused(w, admin_client):
    target = w["supervisor"]
    stale = target.version
    post(admin_client, f"/admin/users/{target.id}/deactivate", {"version": stale})
    assert post(admin_client, f"/admin/users/{target.id}/activate", {"version": stale}).status_code == 409
    me = w["admin"]
    r = admin_client.post(f"/admin/users/{me.id}/deactivate", data={"csrf_token": token(admin_client),
                                                                    "version": me.version}, follow_redirects=True)
    assert "不能停用自己的账号。" in r.get_data(as_text=True) and me.active


# -- units and sessions ---------------------------------------------------------------------

def test_duplicate_or_empty_unit_name_is_refused(db, w, admin_client):
    before = count(db, Unit)
    r = post(admin_client, "/admin/units", {"name": "主办单位", "kind": "department"})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), "name") == "已有名为“主办单位”的单位。"
    r = post(admin_client, "/admin/units", {"name": "  ", "kind": "department"})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), "name") == "请填写单位名称。"
    r = post(admin_client, f"/admin/units/{w.co.id}", {"name": "主办单位", "kind": "street", "version": w.co.version})
    assert r.status_code == 422 and w.co.name == "会办单位"
    assert count(db, Unit) == before


def test_unit_create_rename_deactivate(db, w, admin_client):
    r = post(admin_client, "/admin/units", {"name": "区新设单位", "short_name": "新设", "kind": "street"})
    assert r.status_code == 302
    unit = db.session.scalars(select(Unit).where(Unit.name == "区新设单位")).one()
    version = unit.version
    r = post(admin_client, f"/admin/units/{unit.id}", {"name": "区新设单位（更名）", "kind": "street", "version": version})
    assert r.status_code == 302 and unit.name == "区新设单位（更名）"
    r = post(admin_client, f"/admin/units/{unit.id}", {"name": "又一次更名", "kind": "street", "version": version})
    assert r.status_code == 409 and unit.name == "区新设单位（更名）"
    assert 'value="又一次更名"' in r.get_data(as_text=True)  # the form again, as typed, with the reason
    assert "该记录已被他人修改" in r.get_data(as_text=True)
    post(admin_client, f"/admin/units/{unit.id}/deactivate", {"version": unit.version})
    assert unit.active is False
    assert "区新设单位（更名）" not in admin_client.get("/admin/users/new").get_data(as_text=True)


def test_unit_name_is_escaped(w, admin_client):
    post(admin_client, "/admin/units", {"name": "<script>alert(1)</script>", "kind": "other"})
    html = admin_client.get("/admin/units").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_session_validation(db, w, admin_client):
    before = count(db, Session)
    data = {"body": w.session.body, "name": "重复会议", "term": w.session.term, "meeting": w.session.meeting,
            "year": 2025}
    r = post(admin_client, "/admin/sessions", data)
    assert r.status_code == 422
    assert error_after(r.get_data(as_text=True), "meeting") == (
        f"政协提案已有第{w.session.term}届第{w.session.meeting}次会议。")
    html = post(admin_client, "/admin/sessions", {**data, "name": "", "term": "十五", "year": "1900"}
                ).get_data(as_text=True)
    assert error_after(html, "name") == "请填写届次名称。" and error_after(html, "term") == "请输入整数。"
    html = post(admin_client, "/admin/sessions", {**data, "meeting": 9, "year": "1900"}).get_data(as_text=True)
    assert error_after(html, "year") == "年度应在 2000–2100 之间。"
    assert count(db, Session) == before
    assert post(admin_client, "/admin/sessions", {**data, "meeting": 9}).status_code == 302
    assert count(db, Session) == before + 1


def test_session_year_is_fixed_once_it_has_cases(w, admin_client):
    w.registered()
    r = post(admin_client, f"/admin/sessions/{w.session.id}", {"name": "改名", "term": w.session.term,
                                                               "meeting": w.session.meeting, "year": 2024})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), "year") == "该届次已有案件，不能修改年度。"
    assert w.session.year == 2025 and w.session.name != "改名"


# -- categories and result classes ------------------------------------------------------------

def test_categories_add_rename_reorder(db, w, admin_client):
    base = "/admin/vocabulary/cppcc_proposal/2025"
    for name in ("城市建设", "社会治理"):
        assert post(admin_client, f"{base}/category", {"new-category-name": name}).status_code == 302
    r = post(admin_client, f"{base}/category", {"new-category-name": "城市建设"})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), "new-category-name") == "2025年已有分类“城市建设”。"
    first, second = db.session.scalars(select(Category).where(Category.year == 2025).order_by(Category.position))
    r = post(admin_client, f"/admin/vocabulary/category/{first.id}", {f"category-{first.id}-name": ""})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), f"category-{first.id}-name") == "请填写分类名称。"
    post(admin_client, f"/admin/vocabulary/category/{first.id}", {f"category-{first.id}-name": "城乡建设"})
    post(admin_client, f"/admin/vocabulary/category/{first.id}/down")
    assert (first.name, first.position, second.position) == ("城乡建设", 2, 1)


def test_result_classes_and_copy_to_a_new_year(db, w, admin_client):
    base = "/admin/vocabulary/cppcc_proposal/2025"
    r = post(admin_client, f"{base}/result_class", {"new-result_class-code": "A", "new-result_class-label": "新分类"})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), "new-result_class-code") == (
        "2025年已有代码为“A”的结果分类。")
    post(admin_client, f"{base}/result_class", {"new-result_class-code": "Z", "new-result_class-label": "已采纳（补充）",
                                                "new-result_class-adopted": "y"})
    added = db.session.scalars(select(ResultClass).where(ResultClass.code == "Z")).one()
    assert added.adopted and added.position == w.classes[-1].position + 1
    post(admin_client, f"/admin/vocabulary/result_class/{added.id}", {f"result_class-{added.id}-label": "部分采纳"})
    assert added.label == "部分采纳" and added.adopted is False
    post(admin_client, f"{base}/category", {"new-category-name": "民生保障"})
    assert post(admin_client, f"{base}/copy", {"copy-to_year": "2026"}).status_code == 302
    assert [rc.label for rc in db.session.scalars(select(ResultClass).where(ResultClass.year == 2026)
                                                  .order_by(ResultClass.position))] == \
        [rc.label for rc in w.classes] + ["部分采纳"]
    r = post(admin_client, f"{base}/copy", {"copy-to_year": "2026"})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), "copy-to_year") == "2026年已有分类或结果分类，未复制。"


# -- holiday calendar -----------------------------------------------------------------------

@pytest.fixture
def working_day_reply_rule(monkeypatch):
    monkeypatch.setitem(spec.load("cppcc_proposal")["deadlines"], "reply", {"working_days": 10})


def test_holiday_edit_moves_an_open_due_date(db, w, admin_client, working_day_reply_rule):
    lead = w.lead_of(w.assigned(co=False))
    assert lead.due_date == date(2025, 3, 17)
    r = post(admin_client, "/admin/holidays/day", {"day-day": "2025-03-12", "day-kind": "off", "day-name": "区级活动日"})
    assert r.status_code == 302 and r.location.endswith("/admin/holidays?year=2025")
    assert lead.due_date == date(2025, 3, 18)
    assert "区级活动日" in admin_client.get("/admin/holidays?year=2025").get_data(as_text=True)


def test_holiday_edit_refuses_a_bad_date(db, w, admin_client):
    r = post(admin_client, "/admin/holidays/day", {"day-day": "2025-02-30", "day-kind": "off"})
    assert r.status_code == 422 and error_after(r.get_data(as_text=True), "day-day") == "请输入有效日期（如 2025-03-01）。"
    assert count(db, Holiday) == 0


def test_holiday_import(db, w, admin_client):
    r = post(admin_client, "/admin/holidays/import", {"import-year": "2099"})
    assert r.status_code == 422 and "chinesecalendar 没有2099年的数据" in error_after(r.get_data(as_text=True), "import-year")
    assert post(admin_client, "/admin/holidays/import", {"import-year": "2025"}).status_code == 302
    national_day = db.session.get(Holiday, date(2025, 10, 1))
    assert national_day.name == "国庆节" and not national_day.is_workday
    holidays.set_day(w["admin"], date(2025, 3, 12), False, "区级活动日")
    r = post(admin_client, "/admin/holidays/import", {"import-year": "2025"})
    assert r.status_code == 422 and "如需覆盖" in error_after(r.get_data(as_text=True), "import-replace")
    assert db.session.get(Holiday, date(2025, 3, 12)) is not None
    post(admin_client, "/admin/holidays/import", {"import-year": "2025", "import-replace": "y"})
    assert db.session.get(Holiday, date(2025, 3, 12)) is None


def test_missing_calendar_years_are_warned_about(db, w, admin_client):
    warning = "{}年节假日数据缺失，工作日按周一至周五计算，请维护节假日。"
    w.make.session(year=2027)
    html = admin_client.get("/admin/units").get_data(as_text=True)
    assert all(warning.format(y) in html for y in (2025, 2026, 2027))  # this year, next year, a session's year
    holidays.import_chinesecalendar([2025, 2026])
    html = admin_client.get("/admin/holidays").get_data(as_text=True)
    assert warning.format(2027) in html and warning.format(2025) not in html and warning.format(2026) not in html
