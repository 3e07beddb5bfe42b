"""The demo district: the reference year of 区地区工作办公室, every stage, idempotent."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from caseflow import facts
from caseflow.access import visible_cases
from caseflow.models import Assignment, Case, Event, Holiday, Reminder, Unit, User
from caseflow.demo.seed import DEMO_PASSWORD, seed_demo
from tests.conftest import csrf_token


@pytest.fixture
def seeded(db):
    return seed_demo()


def _unit_counts(db, unit_name):
    rows = db.session.execute(
        select(Case.body, Assignment.role, func.count())
        .join(Assignment, Assignment.case_id == Case.id).join(Unit, Unit.id == Assignment.unit_id)
        .where(Unit.name == unit_name).group_by(Case.body, Assignment.role)
    ).all()
    return {(body, role): n for body, role, n in rows}


def test_reference_year_of_the_district_office(db, seeded):
    assert seeded.cases == 60 and seeded.created == 60
    assert _unit_counts(db, "区地区工作办公室") == {("cppcc_proposal", "lead"): 3, ("cppcc_proposal", "co"): 8}
    leads = db.session.scalars(
        select(Case).join(Assignment).join(Unit)
        .where(Unit.name == "区地区工作办公室", Assignment.role == "lead").order_by(Case.number)
    ).all()
    titles = {c.number: c.title for c in leads}
    assert titles[10] == "关于依托多元主体，深化区域“15分钟社区美好生活圈”工作的建议"
    assert titles[38] == "关于打造“十五分钟美好生活圈”，让“美丽盆景”变“整体风景”的建议"
    assert all(c.session.year == 2023 for c in leads)
    _covers_every_stage_and_role(db)
    _history_comes_from_the_services(db)
    _holidays_from_chinesecalendar_and_reminders_only_from_today(db)
    assert facts.differences() == []  # `flask stats rebuild --check` is clean after `make run`'s demo


def _covers_every_stage_and_role(db):
    states = Counter(db.session.scalars(select(Case.state)))
    assert set(states) >= {"registered", "assigned", "in_progress", "replied", "rehandling", "evaluated",
                           "closed", "withdrawn"}
    assignment_states = set(db.session.scalars(select(Assignment.state)))
    assert assignment_states >= {"pending", "accepted", "return_requested", "extension_requested",
                                 "opinion_sent", "answered"}
    assert {u.role for u in db.session.scalars(select(User))} == {
        "admin", "dispatcher", "handler", "unit_leader", "supervisor", "proposer"}
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 12
    # some open cases are overdue today
    overdue = db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.state.in_(("pending", "accepted")), Assignment.due_date < func.current_date()))
    assert overdue > 0


def _history_comes_from_the_services(db):
    case = db.session.scalar(select(Case).where(Case.number == 10, Case.body == "cppcc_proposal"))
    transitions = [e.transition for e in db.session.scalars(
        select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id))]
    assert transitions[:2] == ["register", "assign"]
    for step in ("accept", "start", "contact", "send_opinion", "draft_reply", "sign_reply", "reply", "give_feedback",
                 "publish", "close", "follow_up"):
        assert step in transitions


def _holidays_from_chinesecalendar_and_reminders_only_from_today(db):
    from datetime import date

    national_day = db.session.get(Holiday, date(2023, 10, 2))
    assert national_day is not None and not national_day.is_workday and national_day.name == "国庆节"
    assert db.session.get(Holiday, date(2023, 10, 7)).is_workday  # 调休 Saturday
    assert db.session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.send_on < func.current_date())) == 0


def test_seed_demo_command_prints_logins_and_is_idempotent(app, db):
    result = CliRunner().invoke(app.cli, ["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "新建 60" in result.output and "diqu_handler" in result.output and DEMO_PASSWORD in result.output
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Case, Event, User, Assignment)]
    reminders = db.session.execute(select(Reminder.id, Reminder.state, Reminder.send_on).order_by(Reminder.id)).all()
    assert any(r.state == "pending" for r in reminders)
    again = CliRunner().invoke(app.cli, ["seed-demo"])
    assert "新建 0" in again.output
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (Case, Event, User, Assignment)] == counts
    # `make run` twice: every reminder the first run planned is still there, still pending
    assert db.session.execute(select(Reminder.id, Reminder.state, Reminder.send_on).order_by(Reminder.id)).all() \
        == reminders


def _login(app, username):
    c = app.test_client()
    token = csrf_token(c.get("/login").get_data(as_text=True))
    assert c.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                  "csrf_token": token}).status_code == 302
    return c


def _listed_ids(html):
    return {int(i) for i in re.findall(r'href="/cases/(\d+)"', html)}


def test_who_sees_which_demo_cases(app, db, seeded):
    unit = db.session.scalar(select(Unit).where(Unit.name == "区地区工作办公室"))
    own = set(db.session.scalars(select(Assignment.case_id).where(Assignment.unit_id == unit.id)))
    assert len(own) == 11
    html = _login(app, "diqu_handler").get("/cases/").get_data(as_text=True)
    assert _listed_ids(html) == own
    assert "共 11 件" in html and "第10号" in html and "第38号" in html

    # another unit's handler does not see them, not even by URL
    other = db.session.scalar(select(User).where(User.username == "wenlv_handler"))
    other_ids = {c.id for c in db.session.scalars(visible_cases(other))}
    client = _login(app, "wenlv_handler")
    assert _listed_ids(client.get("/cases/").get_data(as_text=True)) == other_ids
    hidden = own - other_ids
    assert hidden
    for case_id in hidden:
        assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(f"/cases/{min(other_ids)}").status_code == 200

    # the dispatcher sees all, a proposer only their own
    total = db.session.scalar(select(func.count()).select_from(Case))
    assert "共 %d 件" % total in _login(app, "dispatcher").get("/cases/").get_data(as_text=True)
    proposer = db.session.scalar(select(User).where(User.username == "wang_weiyuan"))
    mine = {c.id for c in db.session.scalars(visible_cases(proposer))}
    assert mine and all(proposer.proposer_id in {p.id for p in db.session.get(Case, i).proposers} for i in mine)
    client = _login(app, "wang_weiyuan")
    assert _listed_ids(client.get("/cases/").get_data(as_text=True)) == mine
    stranger = db.session.scalar(select(Case.id).where(Case.id.not_in(mine)))
    assert client.get(f"/cases/{stranger}").status_code == 404
