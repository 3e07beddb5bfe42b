"""Due dates in the services: stored, computed from the Holiday table, moved when it changes."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from caseflow.deadlines import load_calendar
from caseflow.errors import PermissionDenied
from caseflow.models import Event
from caseflow.services import due, holidays
from caseflow.workflow import spec
from tests.service.world import World


def test_load_calendar_reads_the_table_and_reports_missing_years(db):
    holidays.import_chinesecalendar([2025])
    cal = load_calendar(db.session)
    assert cal.years == frozenset({2025})
    assert not cal.is_workday(date(2025, 10, 1)) and cal.is_workday(date(2025, 9, 28))  # 调休 Sunday
    assert cal.missing_years([2025, 2027]) == [2027]
    assert load_calendar(db.session, [2024]).years == frozenset()


def test_working_day_rules_use_the_holiday_table(db):
    holidays.import_chinesecalendar([2023, 2024])
    # 5 working days after Thursday 28 Sept 2023: 29 Sept–6 Oct are off, 7 and 8 Oct are 调休 workdays
    assert due.due_date("cppcc_proposal", "return_window", date(2023, 9, 28)) == date(2023, 10, 11)
    # 20 working days after a reply on 2023-12-20 crosses 元旦
    assert due.due_date("npc_suggestion", "feedback_window", date(2023, 12, 20)) == date(2024, 1, 18)
    assert due.due_date("npc_suggestion", "reply", date(2023, 11, 30)) == date(2024, 2, 29)


@pytest.fixture
def working_day_reply_rule(monkeypatch):
    """A district that counts the reply deadline in working days (configurable in the YAML)."""
    data = spec.load("cppcc_proposal")
    monkeypatch.setitem(data["deadlines"], "reply", {"working_days": 10})


def test_holiday_edit_moves_open_due_dates_and_records_it(db, make, frozen_clock, working_day_reply_rule):
    frozen_clock(date(2025, 3, 3))
    w = World(make, db)
    case = w.assigned(co=False)
    lead = w.lead_of(case)
    assert lead.due_date == date(2025, 3, 17)  # 10 working days after Monday 3 March
    with pytest.raises(PermissionDenied):
        holidays.set_day(w["dispatcher"], date(2025, 3, 12), False, "区级活动日")
    holidays.set_day(w["admin"], date(2025, 3, 12), False, "区级活动日")
    assert lead.due_date == date(2025, 3, 18)
    event = db.session.scalars(select(Event).where(Event.transition == "due_recomputed")).one()
    assert event.payload == {"old_due": "2025-03-17", "new_due": "2025-03-18"}
    holidays.set_day(w["admin"], date(2025, 3, 12), True)  # back to an ordinary Wednesday
    assert lead.due_date == date(2025, 3, 17)
    assert holidays.entries_of_year(2025) == []


def test_extended_due_dates_are_not_recomputed(db, make, frozen_clock, working_day_reply_rule):
    from caseflow.services import assignments

    frozen_clock(date(2025, 3, 3))
    w = World(make, db)
    lead = w.lead_of(w.accepted(co=False))
    assignments.request_extension(w["lead_handler"], lead.id, lead.version, date(2025, 4, 30), "需审批")
    assignments.approve_extension(w["dispatcher"], lead.id, lead.version)
    holidays.set_day(w["admin"], date(2025, 3, 12), False, "区级活动日")
    assert lead.due_date == date(2025, 4, 30)


def test_assign_stores_month_end_clamped_due_dates(db, make, frozen_clock):
    frozen_clock(date(2024, 1, 31))
    w = World(make, db, year=2024)
    case = w.assigned()
    assert w.lead_of(case).due_date == date(2024, 4, 30)
    assert w.co_of(case).due_date == date(2024, 2, 29)
