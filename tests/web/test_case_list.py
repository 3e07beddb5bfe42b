"""The case list: 25 a page with an exact total, the most urgent first (a unit's own part's due
date; for the district the earliest due date of a case's open parts) and the rest newest first,
overdue meaning the unit's own part on a unit's list."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.service.world import START, World
from tests.web.test_inbox import _rows


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


def test_25_a_page_with_an_exact_total_open_ones_first(w, login, frozen_clock):
    for i in range(24):
        w.registered(title=f"第{i:02d}件登记的提案")  # nothing open: the newest first, after the open ones
    for day in range(3):
        frozen_clock(START + timedelta(days=day))
        w.assigned(co=False, title=f"第{day}天交办的提案")
    c = login(w["dispatcher"])
    first = c.get("/cases/").get_data(as_text=True)
    assert "共 27 件" in first and "1 / 2" in first
    assert _rows(first) == [f"第{day}天交办的提案" for day in range(3)] + [f"第{i:02d}件登记的提案"
                                                                  for i in range(23, 1, -1)]
    assert _rows(c.get("/cases/?page=2").get_data(as_text=True)) == ["第01件登记的提案", "第00件登记的提案"]
    assert _rows(c.get("/cases/?page=9").get_data(as_text=True)) == ["第01件登记的提案", "第00件登记的提案"]


def test_most_urgent_first_by_whose_due_date(w, login, frozen_clock):
    # due dates: a lead part 3 months after 交办, a co part 1 month after
    done = w.replied(title="已答复")  # 交办 on START; both parts answered: nothing open
    frozen_clock(START + timedelta(days=1))
    lead_only_early = w.assigned(co=False, title="主办 6月3日前")
    frozen_clock(START + timedelta(days=5))
    with_co = w.assigned(title="主办 6月9日前、会办 4月8日前")
    frozen_clock(START + timedelta(days=10))
    lead_only_late = w.assigned(co=False, title="主办 6月13日前")
    frozen_clock(START + timedelta(days=11))
    titles = lambda who: _rows(login(w[who]).get("/cases/").get_data(as_text=True))  # noqa: E731
    # the district: the earliest open part of each case (with_co's co part is due first)
    assert titles("dispatcher") == [with_co.title, lead_only_early.title, lead_only_late.title, done.title]
    # a unit: its own part's due date, its answered part last
    assert titles("lead_handler") == [lead_only_early.title, with_co.title, lead_only_late.title, done.title]
    assert titles("co_handler") == [with_co.title, done.title]


def test_overdue_on_a_units_list_means_its_own_part(w, login, frozen_clock):
    late_co = w.assigned(title="会办超期、主办未超期")  # co part due in 1 month, the lead's in 3
    w.replied(title="已答复")  # answered in time: never overdue
    frozen_clock(START + timedelta(days=40))
    overdue = lambda who: _rows(login(w[who]).get("/cases/?overdue=y").get_data(as_text=True))  # noqa: E731
    assert overdue("co_handler") == [late_co.title]
    assert overdue("lead_handler") == []  # the case has an overdue part, but not the lead unit's
    assert overdue("dispatcher") == [late_co.title]
    frozen_clock(START + timedelta(days=100))
    assert overdue("lead_handler") == [late_co.title]
