"""智能交办 on the 交办 form, the choice stored beside it, and similar-case hints over HTTP."""
from __future__ import annotations

import re

import pytest

from caseflow import clock
from caseflow.models import UnitSuggestion
from tests import suggest_district
from tests.conftest import csrf_token
from tests.service.world import START


pytestmark = pytest.mark.usefixtures("fresh_models")


@pytest.fixture
def d(make, frozen_clock):
    frozen_clock(START)
    d = suggest_district.district(make)
    d.past = suggest_district.history(make, d)
    d.new = make.case(session=d.session, title="关于解决城西停车难问题的建议")
    return d


def _panel(html: str) -> str:
    match = re.search(r'<div class="suggestions mb-2" id="suggestions">(.*?)\n</div>', html, re.S)
    assert match, "no suggestions on the page"
    return match.group(1)


def test_the_assign_form_shows_the_likely_units_with_their_past_cases(d, login):
    html = login(d.dispatcher).get(f"/cases/{d.new.id}").get_data(as_text=True)
    panel = _panel(html)
    leads, cos = panel.split("可能的会办单位")
    # the first suggested lead unit ticks 区交通委 in the 主办单位 picker of this case's 交办 form
    first = re.search(r'data-fill="([^"]+)" data-value="(\d+)"', leads)
    assert first.groups() == (f"assign-{d.new.id}-lead_unit_ids", str(d.traffic.id))
    assert f'id="assign-{d.new.id}-lead_unit_ids"' in html  # the picker it fills is on the page
    assert re.search(r"区交通委</span>\s*<span class=\"score\"[^>]*>\d+%</span>", leads)
    # its support: links to the two 停车难 cases it led
    north, south = d.past["关于解决城北停车难问题的建议"], d.past["关于缓解城南停车难问题的建议"]
    support = leads[:leads.index("</li>")]
    assert f'href="/cases/{north.id}"' in support and f'href="/cases/{south.id}"' in support
    # the co-unit picker gets 区财政局, which co-handled both 停车难 cases
    assert re.search(r'data-fill="([^"]+)" data-value="(\d+)"', cos).groups() == (
        f"assign-{d.new.id}-co_unit_ids", str(d.finance.id))


def test_an_inactive_unit_is_not_offered_on_the_form(d, login, db):
    d.traffic.active = False
    db.session.commit()
    panel = _panel(login(d.dispatcher).get(f"/cases/{d.new.id}").get_data(as_text=True))
    assert "区交通委" not in panel and f'data-value="{d.traffic.id}"' not in panel
    assert "区教育局" in panel or "区卫健委" in panel or "区财政局" in panel


def test_the_dispatchers_choice_is_stored_beside_the_suggestion(d, login, db):
    c = login(d.dispatcher)
    html = c.get(f"/cases/{d.new.id}").get_data(as_text=True)
    values = re.findall(r'data-fill="assign-\d+-lead_unit_ids" data-value="(\d+)"', html)
    second = int(values[1])
    prefix = f"assign-{d.new.id}"
    r = c.post(f"/cases/{d.new.id}/do/assign/{d.new.id}", data={
        "csrf_token": csrf_token(html), f"{prefix}-version": str(d.new.version),
        f"{prefix}-lead_unit_ids": str(second), f"{prefix}-assigned_on": clock.today().isoformat()})
    assert r.status_code == 302, r.get_data(as_text=True)
    row = db.session.scalars(db.select(UnitSuggestion).where(UnitSuggestion.case_id == d.new.id)).one()
    assert (row.chosen_rank, row.chosen_unit_id) == (2, second)
    dashboard = c.get(f"/dashboard/?year={clock.today().year}").get_data(as_text=True)
    # by hand: one decided suggestion, its first unit not chosen, the second one chosen
    assert re.search(r"交办 1 件）：首选即为主办单位 0\.0%，前三项含主办单位 100\.0%", dashboard)


def test_no_suggestions_for_those_who_do_not_assign(d, login, make):
    supervisor = make.user("supervisor")
    html = login(supervisor).get(f"/cases/{d.new.id}").get_data(as_text=True)
    assert 'id="suggestions"' not in html
    assert "相似件" in html  # but the similar cases are shown


def test_the_case_page_shows_a_likely_duplicate_and_fills_the_merge_number(d, login, make):
    twin = make.case(session=d.session, title="关于解决城西停车难问题的建议")
    html = login(d.dispatcher).get(f"/cases/{d.new.id}").get_data(as_text=True)
    similar = html[html.index('id="similar"'):]
    assert re.search(rf'<li class="likely-duplicate"><span class="score"[^>]*>100%</span>\s*'
                     rf'<a href="/cases/{twin.id}">', similar)
    assert f'data-fill="merge-{d.new.id}-into_number" data-value="{twin.number}"' in similar


def test_check_similar_while_registering(d, login):
    c = login(d.dispatcher)
    page = c.get("/cases/new/cppcc_proposal").get_data(as_text=True)
    assert 'data-similar="/cases/similar"' in page
    r = c.post("/cases/similar", data={"csrf_token": csrf_token(page), "session_id": str(d.session.id),
                                       "title": "关于缓解城南停车难的建议", "text": "", "category_id": ""})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    south = d.past["关于缓解城南停车难问题的建议"]
    first = re.search(r'<a href="/cases/(\d+)">', html)
    assert int(first.group(1)) == south.id and "可能重复" in html
    # without a title: the message, nothing looked up
    r = c.post("/cases/similar", data={"csrf_token": csrf_token(page), "session_id": str(d.session.id), "title": ""})
    assert r.status_code == 422 and "请先填写标题。" in r.get_data(as_text=True)
    # without the page's token: refused
    r = c.post("/cases/similar", data={"session_id": str(d.session.id), "title": "关于停车难的建议"})
    assert r.status_code == 400


def test_a_unit_handler_is_not_shown_another_units_similar_cases(d, login, make):
    handler = make.user("handler", unit=d.schools)
    gate = make.assigned_case(d.dispatcher, [d.schools], title="关于解决学校门口停车难问题的建议", session=d.session)
    mine = make.assigned_case(d.dispatcher, [d.schools], title="关于解决城西停车难问题的建议", session=d.session)
    c = login(handler)
    html = c.get(f"/cases/{mine.id}").get_data(as_text=True)
    similar = html[html.index('id="similar"'):]
    linked = {int(i) for i in re.findall(r'href="/cases/(\d+)"', similar)}
    assert gate.id in linked
    assert linked <= {gate.id, d.past["关于增加小学学位的建议"].id, d.past["关于改善学校食堂的建议"].id}
    for title in ("关于缓解城南停车难问题的建议", "关于解决城北停车难问题的建议", "关于新建城东停车场的建议"):
        assert title not in html  # the traffic bureau's cases, more similar, are not the handler's to see
    # the registration check is for those who register
    page = c.get("/cases/").get_data(as_text=True)
    r = c.post("/cases/similar", data={"csrf_token": csrf_token(page), "session_id": str(d.session.id),
                                       "title": "关于停车难的建议"})
    assert r.status_code == 403
