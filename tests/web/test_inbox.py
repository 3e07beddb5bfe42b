"""待办: the landing page of a unit's people — its open parts, most urgent first, 25 a page, the
case list's filters and export, 签收 right from the list, and the drafts waiting for someone."""
from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from caseflow.services import cases, feedback, handling
from tests.conftest import csrf_token
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


def _rows(html: str) -> list[str]:
    """The titles in 待办's table, in order."""
    table = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return re.findall(r'<td class="wide"><a href="/cases/\d+">([^<]+)</a>', table.group(1)) if table else []


def test_unit_people_land_on_their_inbox_and_others_on_the_case_list(w, login):
    for who, landing in (("lead_handler", "/cases/inbox"), ("lead_leader", "/cases/inbox"),
                         ("dispatcher", "/cases/"), ("supervisor", "/cases/"), ("proposer", "/cases/")):
        c = login(w[who])
        assert c.get("/").location.endswith(landing), who
        assert c.get("/login").location.endswith(landing), who


def test_most_urgent_first_25_a_page_with_an_exact_total(w, login, frozen_clock):
    # 27 cases assigned a day apart: the first one assigned is due first
    for day in range(27):
        frozen_clock(START + timedelta(days=day))
        w.assigned(co=False, title=f"第{day:02d}天交办的提案")
    c = login(w["lead_handler"])
    first = c.get("/cases/inbox").get_data(as_text=True)
    assert "共 27 件次" in first and "1 / 2" in first
    assert _rows(first) == [f"第{day:02d}天交办的提案" for day in range(25)]
    second = c.get("/cases/inbox?page=2").get_data(as_text=True)
    assert _rows(second) == ["第25天交办的提案", "第26天交办的提案"]
    # a page past the end (the filter left one row) shows the last page
    assert _rows(c.get("/cases/inbox?page=2&q=第26天").get_data(as_text=True)) == ["第26天交办的提案"]
    assert "共 0 件次" in login(w["other_handler"]).get("/cases/inbox").get_data(as_text=True)


def test_overdue_means_the_units_own_part(w, login, frozen_clock):
    late_co = w.assigned(title="会办超期、主办未超期")  # co part due in 1 month, the lead's in 3
    frozen_clock(START + timedelta(days=40))
    assert _rows(login(w["co_handler"]).get("/cases/inbox?overdue=y").get_data(as_text=True)) == [late_co.title]
    assert _rows(login(w["lead_handler"]).get("/cases/inbox?overdue=y").get_data(as_text=True)) == []


def test_sign_for_from_the_list_and_back_to_it(w, login, db):
    case = w.assigned(title="待签收的提案")
    lead = w.lead_of(case)
    c = login(w["lead_handler"])
    page = c.get("/cases/inbox?q=待签收").get_data(as_text=True)
    assert f'action="/cases/{case.id}/do/accept/{lead.id}"' in page
    r = c.post(f"/cases/{case.id}/do/accept/{lead.id}", data={
        "csrf_token": csrf_token(page), f"accept-{lead.id}-version": lead.version, "next": "/cases/inbox?q=待签收"})
    assert r.status_code == 302 and unquote(r.location) == "/cases/inbox?q=待签收"
    db.session.expire_all()
    assert lead.state == "accepted"
    assert f'/do/accept/{lead.id}"' not in c.get("/cases/inbox").get_data(as_text=True)  # nothing left to sign for
    r = c.post(f"/cases/{case.id}/do/accept/{lead.id}", data={
        "csrf_token": csrf_token(page), f"accept-{lead.id}-version": 1, "next": "https://evil.example/"})
    assert r.status_code == 409  # already signed: the case page says who did it, no redirect anywhere


def test_a_case_handled_again_says_so(w, login):
    case = w.replied()
    feedback.give_feedback(w["proposer"], case.id, case.version, "dissatisfied", comment="不清楚")
    html = login(w["lead_handler"]).get("/cases/inbox").get_data(as_text=True)
    assert re.search(rf"{case.title}</a></td>\s*<td[^>]*>主办</td>\s*<td[^>]*>重新办理</td>", html)


def test_drafts_wait_for_the_leader_and_come_back_to_the_handler(w, login):
    case, reply = w.drafted(title="有答复稿的提案")
    leader, handler = login(w["lead_leader"]), login(w["lead_handler"])
    assert "待签发的答复" in leader.get("/cases/inbox").get_data(as_text=True)
    assert "退回修改的答复稿" not in handler.get("/cases/inbox").get_data(as_text=True)
    handling.return_draft(w["lead_leader"], reply.id, reply.version, "补充完成时间")
    assert "待签发的答复" not in leader.get("/cases/inbox").get_data(as_text=True)
    back = handler.get("/cases/inbox").get_data(as_text=True)
    assert "退回修改的答复稿" in back and "补充完成时间" in back


def test_the_export_is_the_filtered_list_without_pages(w, login, frozen_clock):
    for day in range(27):
        frozen_clock(START + timedelta(days=day))
        w.assigned(co=False, title=f"提案{day:02d}")
    other = cases.assign(w["dispatcher"], w.registered(title="另一单位的提案").id, 1,
                         [cases.UnitAssignment(w.other.id, "lead")])
    assert other.state == "assigned"
    c = login(w["lead_handler"])
    ws = load_workbook(BytesIO(c.get("/cases/inbox/export.xlsx").data)).active
    titles = [row[4] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert titles == [f"提案{day:02d}" for day in range(27)]  # every page, most urgent first, own unit only
    ws = load_workbook(BytesIO(c.get("/cases/inbox/export.xlsx?q=提案26").data)).active
    assert [row[4] for row in ws.iter_rows(min_row=2, values_only=True)] == ["提案26"]
