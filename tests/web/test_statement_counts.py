"""No per-row queries: the lists, 待办, the case page and the dashboard send as many SQL statements
for 50 rows as for 5 (counted by an engine listener around one request each)."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import event

from caseflow.services import assignments, cases, handling
from tests.service.world import START, World


def statements(db, get: Callable[[], object]) -> list[str]:
    """The SQL statements one request sends (the request must answer 200)."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = get()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return sent


class District:
    """The world's lead unit with cases that :meth:`grow` adds: each with its own co-unit (a row
    more in the dashboard's unit table), every other one signed for by both units; the first case
    gets each new co-unit too (追加交办) and a contact: rows of its page's actions and timeline."""

    def __init__(self, make, db):
        self.make, self.w, self.n, self.first = make, World(make, db), 0, None

    def grow(self, to: int) -> None:
        w = self.w
        for i in range(self.n, to):
            co = self.make.unit(f"会办单位{i:02d}")
            case = w.registered(title=f"第{i:02d}件")
            case = cases.assign(w["dispatcher"], case.id, case.version,
                                [cases.UnitAssignment(w.lead.id, "lead"), cases.UnitAssignment(co.id, "co")])
            if i % 2 == 0:
                for a in list(case.assignments):
                    who = w["lead_handler"] if a.unit_id == w.lead.id else self.make.user("handler", unit=a.unit)
                    assignments.accept(who, a.id, a.version)
            if self.first is None:
                self.first = case
            else:
                self.first = cases.add_units(w["dispatcher"], self.first.id, self.first.version,
                                             [cases.UnitAssignment(co.id, "co")])
            handling.log_contact(w["lead_handler"], w.lead_of(self.first).id, "phone", START, "电话沟通")
        self.n = to


PAGES = {  # who asks, and the URL
    "case list (district)": ("dispatcher", lambda case_id: "/cases/"),
    "case list (unit, overdue)": ("lead_handler", lambda case_id: "/cases/?overdue=y"),
    "case list (unit)": ("lead_handler", lambda case_id: "/cases/"),
    "待办": ("lead_handler", lambda case_id: "/cases/inbox"),
    "case page (dispatcher)": ("dispatcher", lambda case_id: f"/cases/{case_id}"),
    "case page (lead unit)": ("lead_handler", lambda case_id: f"/cases/{case_id}"),
    "dashboard (district)": ("supervisor", lambda case_id: "/dashboard/?year=2025"),
    "dashboard (unit)": ("lead_leader", lambda case_id: "/dashboard/?year=2025"),
}


@pytest.mark.parametrize("page", PAGES)
def test_statements_per_request_do_not_grow_with_the_rows(page, make, login, db, frozen_clock):
    who, url = PAGES[page]
    d, counts = District(make, db), []
    for n in (5, 50):
        frozen_clock(START)
        d.grow(n)
        frozen_clock(START.replace(month=9))  # every lead part overdue by then
        client = login(d.w[who])
        client.get(url(d.first.id))  # the first request of a process fills its caches (rule book, labels)
        counts.append(len(statements(db, lambda: client.get(url(d.first.id)))))
    assert counts[0] == counts[1], f"{page}: {counts[0]} statements with 5 rows, {counts[1]} with 50"
