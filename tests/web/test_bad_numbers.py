"""The out-of-range numbers the audit found answering 500: now a 404, a dropped filter or a field error."""
from __future__ import annotations

import pytest

from caseflow.models import Session
from tests.conftest import csrf_token

HUGE = "99999999999999999999"


@pytest.mark.parametrize("url, status", [
    ("/public/?page=922337203685477580", 200),
    (f"/public/{HUGE}", 404),
    ("/public/2147483648", 404),  # one past the database's INTEGER
    (f"/public/?year={HUGE}", 200),
    (f"/public/?unit_id={HUGE}", 200),
    ("/public/?page=²", 200),  # str.isdigit() says yes, int() says no
])
def test_anonymous_out_of_range_numbers(client, url, status):
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url, status", [
    (f"/cases/?page={HUGE}", 200),
    (f"/cases/?q={HUGE}", 200),
    ("/cases/?q=第²号", 200),
    (f"/dashboard/?year={HUGE}", 200),
    (f"/dashboard/?session_id={HUGE}", 200),
    (f"/cases/{HUGE}", 404),
    (f"/admin/holidays?year={HUGE}", 200),
    (f"/admin/vocabulary?year={HUGE}", 200),
    ("/dashboard/?year=2147483647", 200),  # a year whose months (year × 100 + m) overflow INTEGER
    ("/reports/district/2147483647.pdf", 404),  # years are 2000–2100 (admin.YEARS)
    ("/reports/district/2147483647", 404),
    ("/reports/unit/1/2147483647", 404),
    ("/reports/district/1999", 404),
])
def test_logged_in_out_of_range_numbers(login, make, url, status):
    assert login(make.user("admin")).get(url).status_code == status


def test_case_search_by_number_still_finds_the_case(login, make):
    case = make.case(title="某路口红绿灯")
    html = login(make.user("dispatcher")).get(f"/cases/?q=第{case.number}号").get_data(as_text=True)
    assert "某路口红绿灯" in html


@pytest.mark.parametrize("term, message", [("1" + "0" * 20, "数字超出范围"), ("十", "请输入整数")])
def test_session_form_refuses_a_huge_term_next_to_the_field(login, make, db, term, message):
    c = login(make.user("admin"))
    token = csrf_token(c.get("/admin/sessions").get_data(as_text=True))
    before = db.session.query(Session).count()
    r = c.post("/admin/sessions", data={"csrf_token": token, "body": "cppcc_proposal", "name": "十五届二次",
                                         "term": term, "meeting": "2", "year": "2025"})
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.query(Session).count() == before


@pytest.mark.parametrize("version", ["abc", HUGE])
def test_district_report_editor_with_a_bad_hidden_version(login, make, version):
    c = login(make.user("dispatcher"))
    token = csrf_token(c.get("/reports/district/2025").get_data(as_text=True))
    r = c.post("/reports/district/2025", data={"csrf_token": token, "version": version, "issuer": "区政府办"})
    assert r.status_code in (409, 422)
