"""The JSON API through HTTP: tokens, the access matrix, actions with If-Match, problem details."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseflow import clock
from caseflow.models import ApiToken, Assignment, Case, Event
from caseflow.services.api_tokens import create_token, revoke_token


@pytest.fixture
def world(make):
    unit_a, unit_b = make.unit(name="区民政局"), make.unit(name="区教育局")
    dispatcher = make.user("dispatcher")
    handler_a = make.user("handler", unit=unit_a)
    handler_b = make.user("handler", unit=unit_b)
    case = make.assigned_case(dispatcher, [unit_a])
    return dispatcher, handler_a, handler_b, case


def bearer(user) -> dict[str, str]:
    _token, secret = create_token(user, user.id, "测试")
    return {"Authorization": f"Bearer {secret}"}


def test_token_stored_as_hash_and_acts_as_its_user(client, world, db):
    dispatcher, *_ = world
    token, secret = create_token(dispatcher, dispatcher.id, "对接市系统", expires_days=30)
    assert secret not in (token.secret_hash, token.hint) and len(token.secret_hash) == 64
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.secret_hash == secret)) == 0
    r = client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and r.mimetype == "application/json"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer cf_wrong"}, {"Authorization": "Basic eDp5"}])
def test_no_valid_token_is_401_problem(client, world, headers):
    r = client.get("/api/v1/cases", headers=headers)
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert r.headers["WWW-Authenticate"].startswith("Bearer") and "令牌" in r.json["detail"]


def test_revoked_and_expired_tokens_are_refused(client, world, frozen_clock):
    dispatcher, *_ = world
    token, secret = create_token(dispatcher, dispatcher.id, "短期", expires_days=1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    frozen_clock(clock.now() + timedelta(days=1, minutes=1))
    assert client.get("/api/v1/units", headers=headers).status_code == 401
    frozen_clock(None)
    token2, secret2 = create_token(dispatcher, dispatcher.id, "将吊销")
    headers2 = {"Authorization": f"Bearer {secret2}"}
    assert client.get("/api/v1/units", headers=headers2).status_code == 200
    revoke_token(dispatcher, token2.id)
    assert client.get("/api/v1/units", headers=headers2).status_code == 401


def test_session_cookie_alone_is_not_enough(login, world):
    dispatcher, *_ = world
    browser = login(dispatcher)
    assert browser.get("/cases/").status_code == 200
    assert browser.get("/api/v1/cases").status_code == 401


def test_access_matrix_foreign_unit_case_is_404(client, world):
    dispatcher, handler_a, handler_b, case = world
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer(handler_a)).status_code == 200
    r = client.get(f"/api/v1/cases/{case.id}", headers=bearer(handler_b))
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    ids_b = [c["id"] for c in client.get("/api/v1/cases", headers=bearer(handler_b)).json["items"]]
    ids_a = [c["id"] for c in client.get("/api/v1/cases", headers=bearer(handler_a)).json["items"]]
    assert case.id not in ids_b and case.id in ids_a
    # acting on it is as unknown as reading it
    a = case.assignments[0]
    r = client.post(f"/api/v1/cases/{case.id}/assignments/{a.id}/actions/accept", headers={
        **bearer(handler_b), "If-Match": str(a.version)}, json={})
    assert r.status_code == 404


def test_cursor_pages_cover_every_visible_case_once(client, make, world):
    dispatcher, *_ = world
    session = make.session()
    made = [make.case(session=session).id for _ in range(5)]
    headers = bearer(dispatcher)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, "session_id": session.id, "count": "true", "fields": "id,title"}
        if cursor:
            query["cursor"] = cursor
        r = client.get("/api/v1/cases", headers=headers, query_string=query)
        assert r.status_code == 200 and r.json["total"] == 5
        assert all(set(item) == {"id", "title"} for item in r.json["items"])
        seen += [item["id"] for item in r.json["items"]]
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made)


@pytest.mark.parametrize("path, cursor", [
    ("/api/v1/cases", "9841282806"),  # beyond the database's INTEGER (a PostgreSQL 500 once)
    ("/api/v1/inbox", "9841282806,2026-01-01"),
    ("/api/v1/inbox", "12,2026-13-45"),
    ("/api/v1/inbox", "12"),
])
def test_a_forged_cursor_is_422_on_the_cursor(client, world, path, cursor):
    _, handler_a, _, _ = world
    r = client.get(path, headers=bearer(handler_a), query_string={"cursor": cursor})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "cursor"


def test_accept_with_if_match_then_stale_is_412(client, world, db):
    dispatcher, handler_a, _, case = world
    a = case.assignments[0]
    headers = bearer(handler_a)
    url = f"/api/v1/cases/{case.id}/assignments/{a.id}/actions/accept"
    assert client.post(url, headers=headers, json={}).status_code == 428
    stale = a.version
    r = client.post(url, headers={**headers, "If-Match": f'"{stale}"'}, json={})
    assert r.status_code == 200, r.json
    assert db.session.get(Assignment, a.id).state == "accepted"
    assert db.session.scalar(select(func.count()).select_from(Event).where(
        Event.assignment_id == a.id, Event.transition == "accept")) == 1
    r = client.post(url, headers={**headers, "If-Match": f'"{stale}"'}, json={})
    assert r.status_code in (409, 412) and r.mimetype == "application/problem+json"


def test_refused_action_says_the_rule_books_reason(client, world, db):
    dispatcher, _, _, case = world
    a = case.assignments[0]
    r = client.post(f"/api/v1/cases/{case.id}/assignments/{a.id}/actions/accept",
                    headers={**bearer(dispatcher), "If-Match": str(a.version)}, json={})
    assert r.status_code == 403 and "签收" in r.json["detail"]
    assert db.session.get(Assignment, a.id).state == "pending"


@pytest.mark.parametrize("payload, content_type, status, field", [
    (b"{not json", "application/json", 400, None),
    (b'{"comment": 5}', "application/json", 422, "comment"),
    (b'{"comment": "x", "surprise": 1}', "application/json", 422, "surprise"),
    (b"[]", "application/json", 422, None),
    (b'{"comment": "x"}', "text/plain", 415, None),
])
def test_bad_bodies_are_refused_and_write_nothing(client, world, db, payload, content_type, status, field):
    dispatcher, _, _, case = world
    before = db.session.scalar(select(func.count()).select_from(Event))
    r = client.post(f"/api/v1/cases/{case.id}/actions/withdraw", data=payload, content_type=content_type,
                    headers={**bearer(dispatcher), "If-Match": str(case.version)})
    assert r.status_code == status and r.mimetype == "application/problem+json"
    if field:
        assert field in [e["field"] for e in r.json["errors"]]
    assert db.session.scalar(select(func.count()).select_from(Event)) == before
    assert db.session.get(Case, case.id).state == case.state


def test_form_validation_errors_name_the_field_in_chinese(client, world, make):
    dispatcher, *_ = world
    case = make.case()
    r = client.post(f"/api/v1/cases/{case.id}/actions/withdraw", json={"comment": ""},
                    headers={**bearer(dispatcher), "If-Match": str(case.version)})
    assert r.status_code == 422
    assert {"field": "comment", "detail": "请填写理由。"} in r.json["errors"]


def test_huge_and_unknown_ids(client, world):
    dispatcher, *_ = world
    headers = bearer(dispatcher)
    for path in ("/api/v1/cases/99999999999999999999", "/api/v1/cases/0", "/api/v1/cases/abc", "/api/v1/nowhere"):
        r = client.get(path, headers=headers)
        assert r.status_code == 404 and r.mimetype == "application/problem+json", path
    r = client.get("/api/v1/cases", headers=headers, query_string={"session_id": "99999999999999999999"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "session_id"
    assert client.delete("/api/v1/cases", headers=headers).status_code == 405


def test_withdraw_through_the_api_writes_the_event(client, world, db, make):
    dispatcher, *_ = world
    case = make.case()
    r = client.post(f"/api/v1/cases/{case.id}/actions/withdraw", json={"comment": "提出人撤回"},
                    headers={**bearer(dispatcher), "If-Match": str(case.version)})
    assert r.status_code == 200, r.json
    assert r.json["state"] == "withdrawn" == db.session.get(Case, case.id).state
    assert db.session.scalar(select(func.count()).select_from(Event).where(
        Event.case_id == case.id, Event.transition == "withdraw", Event.comment == "提出人撤回")) == 1


def test_cli_prints_the_token_on_its_last_line(app, world, client):
    dispatcher, *_ = world
    result = app.test_cli_runner().invoke(args=["api-token", "create", "--user", dispatcher.username,
                                                "--name", "市系统", "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_openapi_and_offline_docs(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    assert "/api/v1/cases/{case_id}/assignments/{target_id}/actions/accept" in doc["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"//" not in page.data.split(b"<body>")[1].replace(b"/api/v1", b"")
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and b"SwaggerUIBundle" in asset.data
    asset.close()
