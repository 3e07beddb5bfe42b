"""The web layer's answers to service errors and to page_required."""
from __future__ import annotations

import pytest

from caseflow import create_app
from caseflow.access import page_required
from caseflow.errors import Conflict
from tests.conftest import csrf_token
from tests.factories import PASSWORD


@pytest.fixture
def probe_app(database_url):
    """A second app on the same database with two probe routes (routes must exist before requests)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "probe"})

    @app.route("/probe/conflict")
    def conflict():
        raise Conflict()

    @app.route("/probe/import-page")
    @page_required("import_cases")  # the rule book lets only dispatchers open it
    def dispatch_only():
        return "ok"

    return app


def test_conflict_is_a_409_page_in_chinese(probe_app):
    r = probe_app.test_client().get("/probe/conflict")
    assert r.status_code == 409 and "该记录已被他人修改，请刷新页面后重试" in r.get_data(as_text=True)


def test_page_required(probe_app, make, db):
    client = probe_app.test_client()
    assert client.get("/probe/import-page").status_code == 302  # to the login page
    for role, status in (("handler", 403), ("dispatcher", 200)):
        user = make.user(role)
        c = probe_app.test_client()
        token = csrf_token(c.get("/login").get_data(as_text=True))
        c.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
        assert c.get("/probe/import-page").status_code == status


def test_not_found_page(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)
