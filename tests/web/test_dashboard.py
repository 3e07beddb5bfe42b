"""The dashboard shows the statistics module's figures, by role, with charts that fetch nothing."""
from __future__ import annotations

import base64
import re

import pytest

from caseflow import stats
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    world = World(make, db)
    world.evaluated()
    world.assigned()
    return world


def test_dispatcher_sees_every_unit_with_the_figures_of_stats(w, login):
    html = login(w["dispatcher"]).get("/dashboard/?year=2025").get_data(as_text=True)
    f = stats.Filter(year=2025)
    expected = stats.unit_table(f)
    assert [u.unit_name for u in expected] and all(u.unit_name in html for u in expected)
    lead = next(u for u in expected if u.unit_name == "主办单位").figures
    assert lead.handled.lead == 2 and lead.reply_rate.percent in html
    assert "合计" in html and "满意率(含基本满意)" in html


def test_handler_sees_only_their_unit(w, login):
    html = login(w["co_handler"]).get(f"/dashboard/?year=2025&unit_id={w.lead.id}").get_data(as_text=True)
    assert "会办单位" in html and ">主办单位<" not in html


def test_proposer_and_anonymous_cannot_open_it(w, login, client):
    assert login(w["proposer"]).get("/dashboard/").status_code == 403
    assert client.get("/dashboard/").status_code == 302


def test_charts_are_svg_data_without_scripts(w, login):
    html = login(w["supervisor"]).get("/dashboard/?year=2025").get_data(as_text=True)
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(uris) == 3
    for uri in uris:
        svg = base64.b64decode(uri).decode()
        assert "<svg" in svg and "<script" not in svg
        assert not re.search(r"""(href|src)=["']https?:|url\(\s*['"]?https?:""", svg)  # nothing to fetch


def test_statistics_table_exports_to_excel(w, login):
    from io import BytesIO

    from openpyxl import load_workbook

    r = login(w["dispatcher"]).get("/dashboard/export.xlsx?year=2025")
    ws = load_workbook(BytesIO(r.data)).active
    assert ws["A1"].value == "单位" and ws["D1"].value == "办复率" and ws.freeze_panes == "A2"
    rows = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    lead = next(u for u in stats.unit_table(stats.Filter(year=2025)) if u.unit_name == "主办单位").figures
    assert rows["主办单位"][1] == lead.handled.lead == 2
    assert rows["主办单位"][3] == float(lead.reply_rate.rate)
    assert "合计" in rows


def test_monthly_trend_counts_by_shanghai_month(w, frozen_clock):
    from datetime import datetime, time

    from caseflow import clock, trend

    # a case assigned at 00:30 Shanghai on 1 April is an April case, though it is still March in UTC
    frozen_clock(datetime.combine(START.replace(month=4, day=1), time(0, 30), clock.LOCAL_TZ))
    w.assigned()
    months = trend.monthly(stats.Filter(year=2025), 2025)
    assert [(m.month, m.assigned, m.replied) for m in months if m.assigned or m.replied] == [(3, 2, 1), (4, 1, 0)]
    assert trend.monthly(stats.Filter(year=2025, unit_id=w.other.id), 2025)[2].assigned == 0


def _figure_links(html: str, unit_id: int) -> dict[str, tuple[str, str | None]]:
    """figure name → (text shown, rate title) of one unit's row."""
    links = {}
    for m in re.finditer(r'<a class="[^"]*" href="([^"]+)"(?: title="(\d+) / \d+")?>([^<]+)</a>', html):
        url = m.group(1).replace("&amp;", "&")
        if f"unit_id={unit_id}" in url and "figure=" in url:
            links[re.search(r"figure=(\w+)", url).group(1)] = (url, m.group(3), m.group(2))
    return links


def test_every_figure_links_to_the_cases_behind_it(w, login, frozen_clock):
    frozen_clock(START.replace(month=8))  # the unanswered case is now overdue
    c = login(w["dispatcher"])
    html = c.get("/dashboard/?year=2025").get_data(as_text=True)
    links = _figure_links(html, w.lead.id)
    assert set(links) == {"lead", "co", "replied", "on_time", "co_timely", "adopted", "final_satisfied",
                          "final_satisfied_or_basic", "first_satisfied", "final_dissatisfied", "met", "contacted",
                          "published", "withheld", "answered", "red", "converted"}
    shown = {}
    for name, (url, text, numerator) in links.items():
        listed = c.get(url).get_data(as_text=True)
        shown[name] = int(re.search(r"共 (\d+) 件", listed).group(1))
        if numerator is not None or text.isdigit():  # a count, or a rate whose numerator is in its title
            assert shown[name] == int(numerator if numerator is not None else text), name
    assert (shown["lead"], shown["replied"], shown["final_satisfied"], shown["red"]) == (2, 1, 1, 1)
    overdue = c.get(links["red"][0]).get_data(as_text=True)
    assert "督办看板统计口径：超期" in overdue and "取消此条件" in overdue


def test_a_figure_link_shows_a_handler_only_their_own_cases(w, login, frozen_clock):
    frozen_clock(START.replace(month=8))
    listed = login(w["other_handler"]).get(f"/cases/?figure=lead&year=2025&unit_id={w.lead.id}").get_data(as_text=True)
    assert "共 0 件" in listed
