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


HEADER = ["单位", "主办", "会办", "办复率", "按期办复率", "会办及时率", "解决采纳率", "平均办理天数", "超期", "满意率",
          "满意率（含基本满意）", "初次满意率", "不满意", "见面率", "沟通率", "主动公开率", "不予公开", "回头看转化"]


def _table(html: str) -> tuple[list[str], dict[str, list[str]]]:
    """The per-unit table as text: its header and its rows by unit name."""
    table = re.search(r"<table class=\"table table-sm table-bordered small mb-0\">(.*?)</table>", html, re.S).group(1)
    cells = [[re.sub(r"<[^>]+>|\s", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
             for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    return cells[0], {row[0]: row[1:] for row in cells[1:]}


def _lights(html: str) -> list[str]:
    return re.findall(r'<strong class="fs-4"><a [^>]*>(\d+)</a>', html)


def test_dispatcher_sees_every_unit_with_hand_counted_figures(w, login):
    """The world: case 1 replied on the day of 交办 (解决或采纳), evaluated 满意, with the co-unit's
    opinion in; case 2 just assigned to the same two units; no contact, nothing published."""
    header, rows = _table(login(w["dispatcher"]).get("/dashboard/?year=2025").get_data(as_text=True))
    assert header == HEADER
    assert rows == {
        "主办单位": ["2", "0", "100.0%", "100.0%", "—", "100.0%", "0.0", "0", "100.0%", "100.0%", "100.0%", "0",
                 "0.0%", "0.0%", "0.0%", "0", "0"],
        "会办单位": ["0", "2", "—", "—", "100.0%", "—", "—", "0", "—", "—", "—", "0", "—", "—", "—", "0", "0"],
        "合计": ["2", "2", "100.0%", "100.0%", "100.0%", "100.0%", "0.0", "0", "100.0%", "100.0%", "100.0%", "0",
               "0.0%", "0.0%", "0.0%", "0", "0"],
    }


def test_handler_sees_only_their_unit(w, login):
    dispatcher = login(w["dispatcher"]).get("/dashboard/?year=2025").get_data(as_text=True)
    assert _lights(dispatcher) == ["2", "0", "0"]  # case 2's lead and co parts, due in 3 months and 1 month
    html = login(w["co_handler"]).get(f"/dashboard/?year=2025&unit_id={w.lead.id}").get_data(as_text=True)
    header, rows = _table(html)
    assert list(rows) == ["会办单位"]  # the unit_id in the URL is ignored; no district total
    assert _lights(html) == ["1", "0", "0"]  # only case 2's co part
    assert 'name="unit_id"' not in html  # no unit filter to choose another unit
    assert all(f"unit_id={w.co.id}" in url for url in re.findall(r'href="(/cases/\?figure=[^"]+)"', html))


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
    assert [c.value for c in ws[1]] == HEADER and ws.freeze_panes == "A2"
    assert ws["D2"].number_format == "0.0%"  # a rate is a fraction shown as a percentage
    rows = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["主办单位"][1:9] == (2, 0, 1.0, 1.0, None, 1.0, 0.0, 0)
    assert rows["会办单位"][1:6] == (0, 2, None, None, 1.0)
    assert rows["合计"][13] == 0.0  # 见面率: no contact


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
    for m in re.finditer(r'<a(?: class="[^"]*")? href="([^"]+)"(?: title="(\d+) / \d+")?>([^<]+)</a>', html):
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
