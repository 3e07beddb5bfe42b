"""The form contract beyond the case page: administration, year-end reports, the 交办清单 import
and the proposer's personal link. Each page's form is filled in full as a browser would and every
value must be found in the rows written (tests/formfill.py); the last test makes sure no form of
the web layer is left out."""
from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
from datetime import date, timedelta

import pytest
from flask_wtf import FlaskForm
from openpyxl import Workbook
from sqlalchemy import select

from caseflow import clock, passwords
from caseflow.extensions import db as _db
from caseflow.models import ApiToken, Case, Holiday, Job, User
from caseflow.services import access_links, holidays, jobs
from caseflow.services.report_drafts import unit_draft
import caseflow.web
from caseflow.web import admin_forms, auth, case_actions, forms, reports, spreadsheets, tokens
from tests.factories import PASSWORD
from tests.formfill import post_and_check
from tests.service.world import START, World

BODY = "cppcc_proposal"


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db, body=BODY)


@pytest.fixture
def admin(w, login):  # a client signed in as the administrator
    return login(w["admin"])


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# -- accounts -------------------------------------------------------------------------------------

def test_new_account(w, admin):
    html = _page(admin, "/admin/users/new")
    given = {"username": "wang_xm", "role": "handler", "unit": str(w.lead.id), "proposer": "0",
             "email": "wang@example.org", "password": "一个足够长的密码123"}
    post_and_check(admin, "/admin/users/new", html, None, admin_forms.UserForm(meta={"csrf": False}), "", given,
                   {"proposer": [], "password": []})  # no proposer chosen; the password is stored hashed
    user = _db.session.scalars(select(User).where(User.username == "wang_xm")).one()
    assert user.proposer_id is None and passwords.verify_password(user.password_hash, "一个足够长的密码123")


def test_password_reset(w, admin):
    target = w["lead_handler"]
    url = f"/admin/users/{target.id}"
    post_and_check(admin, url, _page(admin, url), url, admin_forms.PasswordForm(meta={"csrf": False}), "",
                   {"password": "新的密码足够长456"}, {"password": []})
    _db.session.refresh(target)
    assert passwords.verify_password(target.password_hash, "新的密码足够长456")


def test_own_password_change(w, login):
    client = login(w["lead_handler"])
    html = _page(client, "/account/password")
    given = {"current": PASSWORD, "password": "我自己的新密码789", "confirm": "我自己的新密码789"}
    post_and_check(client, "/account/password", html, "/account/password", auth.ChangePasswordForm(meta={"csrf": False}),
                   "", given, {"current": [], "password": [], "confirm": []})  # stored hashed: below
    _db.session.refresh(w["lead_handler"])
    assert passwords.verify_password(w["lead_handler"].password_hash, "我自己的新密码789")


def test_api_token(w, login):
    client = login(w["lead_handler"])
    url = f"/users/{w['lead_handler'].id}/api-tokens"
    post_and_check(client, url, _page(client, url), url, tokens.TokenForm(meta={"csrf": False}), "",
                   {"name": "区履职平台", "expires_days": "30"}, {"expires_days": []},  # as its expiry: below
                   status=200)  # the secret is shown once, on this page
    token = _db.session.scalars(select(ApiToken).where(ApiToken.name == "区履职平台")).one()
    assert token.user_id == w["lead_handler"].id
    assert token.expires_at.astimezone(clock.LOCAL_TZ).date() == START + timedelta(days=30)


# -- units, sessions, vocabularies, holidays ---------------------------------------------------------

def test_new_unit_and_its_edit(w, admin):
    form = admin_forms.UnitForm(meta={"csrf": False})
    post_and_check(admin, "/admin/units", _page(admin, "/admin/units"), "/admin/units", form, "",
                   {"kind": "street"})
    url = f"/admin/units/{w.other.id}"
    post_and_check(admin, url, _page(admin, url), url, form, "", {"kind": "town"})


def test_new_session_and_its_edit(w, admin):
    form = admin_forms.SessionForm(meta={"csrf": False})
    given = {"term": "15", "meeting": "3", "year": "2026"}
    post_and_check(admin, "/admin/sessions", _page(admin, "/admin/sessions"), "/admin/sessions", form, "",
                   {**given, "body": "npc_suggestion"})
    url = f"/admin/sessions/{w.session.id}"
    post_and_check(admin, url, _page(admin, url), url, form, "", {"term": "16", "meeting": "4", "year": "2024"})


@pytest.mark.parametrize("kind", ["category", "result_class"])
def test_vocabulary_item_added_and_changed(w, admin, make, kind):
    listing = f"/admin/vocabulary?body={BODY}&year={w.session.year}"
    form = (admin_forms.CategoryForm if kind == "category" else admin_forms.ResultClassForm)(meta={"csrf": False})
    added = f"/admin/vocabulary/{BODY}/{w.session.year}/{kind}"
    given = {"code": "Z"} if kind == "result_class" else {}
    post_and_check(admin, added, _page(admin, listing), added, form, "new-" + kind + "-", given)
    item = make.category(body=BODY, year=w.session.year) if kind == "category" else w.classes[-1]  # not 采纳
    changed = f"/admin/vocabulary/{kind}/{item.id}"
    if kind == "result_class":
        del form.code  # a code never changes once statistics rely on it
    post_and_check(admin, changed, _page(admin, listing), changed, form, f"{kind}-{item.id}-", {})


def test_vocabulary_copied_to_another_year(w, admin):
    url = f"/admin/vocabulary/{BODY}/{w.session.year}/copy"
    html = _page(admin, f"/admin/vocabulary?body={BODY}&year={w.session.year}")
    post_and_check(admin, url, html, url, admin_forms.CopyYearForm(meta={"csrf": False}), "copy-",
                   {"to_year": "2027"})


def test_holiday_day_and_year_import(w, admin):
    html = _page(admin, "/admin/holidays?year=2025")
    post_and_check(admin, "/admin/holidays/day", html, "/admin/holidays/day",
                   admin_forms.HolidayForm(meta={"csrf": False}), "day-", {"day": "2025-05-31", "kind": "work"},
                   {"kind": []})  # a Saturday that is worked: below
    assert _db.session.get(Holiday, date(2025, 5, 31)).is_workday is True
    holidays.set_day(w["admin"], date(2025, 10, 1), True, "改为上班")  # an admin's edit, to be overwritten
    post_and_check(admin, "/admin/holidays/import", html, "/admin/holidays/import",
                   admin_forms.HolidayImportForm(meta={"csrf": False}), "import-", {"year": "2025"},
                   {"year": [], "replace": []})  # the year's table, replacing the edit: below
    _db.session.expire_all()
    assert _db.session.get(Holiday, date(2025, 10, 1)).is_workday is False  # 国庆节 again
    assert _db.session.get(Holiday, date(2025, 9, 28)).is_workday is True  # its 调休 Sunday


# -- year-end reports -------------------------------------------------------------------------------

def test_unit_report_draft(w, login):
    closed = w.closed()  # a case in the unit's appendix, to feature
    client = login(w["lead_leader"])
    url = f"/reports/unit/{w.lead.id}/{w.session.year}"
    html = _page(client, url)
    form = reports.UnitReportForm(meta={"csrf": False})
    slots = {f"featured-{i}-case": [] for i in range(reports.FEATURED_SLOTS)}  # a case's key: below
    post_and_check(client, url, html, url, form, "", {"written_on": "2025-12-20"}, slots)
    featured = unit_draft(w.lead.id, w.session.year).sections["featured"]
    assert {(f["body"], f["number"]) for f in featured} == {(BODY, closed.number)}


def test_district_report_draft(w, login):
    client = login(w["dispatcher"])
    url = f"/reports/district/{w.session.year}"
    post_and_check(client, url, _page(client, url), url, reports.DistrictReportForm(meta={"csrf": False}), "",
                   {"written_on": "2025-12-30"})


# -- the 交办清单 import ------------------------------------------------------------------------------

def test_import_upload_is_queued_with_every_choice(w, login):
    client = login(w["dispatcher"])
    book = Workbook()
    book.active.append(["编号", "标题", "领衔代表/提案者", "主办单位"])
    book.active.append([901, "关于增设公交站点的建议", w.proposer_row.name, w.lead.name])
    sheet = io.BytesIO()
    book.save(sheet)
    given = {"session_id": str(w.session.id), "file": (sheet.getvalue(), "二〇二五交办清单.xlsx"), "dry_run": True}
    post_and_check(client, "/cases/import", _page(client, "/cases/import"), "/cases/import",
                   spreadsheets.ImportForm(meta={"csrf": False}), "", given,
                   {"file": "二〇二五交办清单.xlsx", "dry_run": []})  # the box: below, as the job's parameter
    job = _db.session.scalars(select(Job).where(Job.kind == "import")).one()
    assert job.params.items() >= {"session_id": w.session.id, "dry_run": True,
                                  "filename": "二〇二五交办清单.xlsx"}.items()
    assert jobs.upload_path(job).read_bytes() == sheet.getvalue()


# -- the proposer's personal link --------------------------------------------------------------------

def test_feedback_through_the_personal_link(w, client):
    case = w.replied()
    _, token, _ = access_links.create_link(w["dispatcher"], w.proposer_row.id)
    url = f"/p/{token}"
    action = f"{url}/cases/{case.id}/feedback"
    html = _page(client, url)
    given = {"overall": "satisfied", "attitude": "satisfied", "result": "satisfied"}
    post_and_check(client, action, html, f"{action}#feedback-{case.id}", forms.FeedbackForm(meta={"csrf": False}), f"fb{case.id}-", given)
    assert _db.session.get(Case, case.id).state != "replied"


# -- no form left out ---------------------------------------------------------------------------------

# Every FlaskForm of the web layer, by the test that posts it in full; forms that write nothing say
# why. A new form fails the last test until it has its contract.
CONTRACTS = {
    "UserForm": test_new_account, "PasswordForm": test_password_reset, "ChangePasswordForm": test_own_password_change,
    "TokenForm": test_api_token, "UnitForm": test_new_unit_and_its_edit,
    "SessionForm": test_new_session_and_its_edit, "CategoryForm": test_vocabulary_item_added_and_changed,
    "ResultClassForm": test_vocabulary_item_added_and_changed, "CopyYearForm": test_vocabulary_copied_to_another_year,
    "HolidayForm": test_holiday_day_and_year_import, "HolidayImportForm": test_holiday_day_and_year_import,
    "UnitReportForm": test_unit_report_draft, "FeaturedForm": test_unit_report_draft,
    "DistrictReportForm": test_district_report_draft, "ImportForm": test_import_upload_is_queued_with_every_choice,
    "FeedbackForm": test_feedback_through_the_personal_link,
    "RegisterForm": "test_form_contract.py::test_every_field_of_the_registration_reaches_the_database",
    **{offer.form.__name__: "test_form_contract.py::test_every_field_of_every_action_form_reaches_the_database"
       for offer in case_actions.OFFERS.values()},
}
WRITES_NOTHING = {
    "LoginForm": "signs in; its fields are checked, not stored",
    "CaseFilterForm": "a GET filter of the case list",
    "SecurityFilterForm": "a GET filter of the security log",
    "SimilarForm": "查找相似件 while registering: a question, nothing is saved",
    "RulesForm": "a question to the rule book in the URL",
}


def test_every_form_of_the_web_layer_has_its_contract():
    modules = [importlib.import_module(f"caseflow.web.{m.name}") for m in pkgutil.iter_modules(caseflow.web.__path__)]
    defined = {cls.__name__ for m in modules for _, cls in inspect.getmembers(m, inspect.isclass)
               if issubclass(cls, FlaskForm) and cls.__module__.startswith("caseflow.web")}
    assert {"UserForm", "RegisterForm", "ImportForm", "FeedbackForm"} <= defined  # the scan finds forms
    assert not CONTRACTS.keys() & WRITES_NOTHING.keys()
    assert sorted(defined - CONTRACTS.keys() - WRITES_NOTHING.keys()) == []
