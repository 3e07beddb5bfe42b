"""登记 and 交办 of many cases at once (an imported 交办清单).

For each case, the rows that ``cases.register_case`` followed by ``cases.assign_case`` write — the
case, its 联名, its assignments with due dates from the working-day calendar, the 登记 and 交办
events, the reminders, the statistics' facts — asked of the rule book the same way, but written a
chunk of cases at a time, one statement a table (COPY on PostgreSQL): through the ORM, one case
after the other, 10,000 cases took a minute. ``tests/service/test_cases_batch.py`` writes a file's
cases both ways into two databases and compares every table.

The caller checks the rows first (``importer.plan`` does: numbers free, units active, due dates
after the 交办 date) and runs this inside its transaction.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import func, insert, select, text

from caseflow import clock, facts
from caseflow.extensions import db
from caseflow.models import Assignment, Case, CaseCosigner, Event, Reminder, User
from caseflow.services.cases import CaseInput, UnitAssignment, assign_payload, assigned_at_of, due_dates
from caseflow.services.reminders import PURPOSE_BY_ROLE, planned
from caseflow.workflow import engine


@dataclass
class NewCase:
    data: CaseInput
    units: list[UnitAssignment]
    assigned_on: date | None = None


CHUNK = 1000  # cases written together: the progress moves a step per chunk, memory stays bounded


def register_and_assign(actor: User, items: list[NewCase],
                        progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Store every case of ``items``, registered and assigned; their ids, in ``items``' order.

    Written a chunk of cases at a time, each chunk whole (its rows in every table and its facts)
    before ``progress(done, total)`` is called with the cases written so far."""
    ids: list[int] = []
    with _cached_plans():
        for start in range(0, len(items), CHUNK):
            ids += _write(actor, items[start:start + CHUNK])
            if progress:
                progress(len(ids), len(items))
    return ids


@contextmanager
def _cached_plans() -> Iterator[None]:
    """PostgreSQL checks each new row's foreign keys by a prepared query; under the sessions'
    ``plan_cache_mode = force_custom_plan`` (``extensions.configure_postgresql``) it plans that query
    anew for every row, which made the rows' COPY three times and the facts' INSERT twice as long
    (about 400,000 checks for 10,000 cases). The mode PostgreSQL would choose by itself for these
    statements, back to the session's afterwards (``SET LOCAL``: a rollback resets it too)."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    session_mode = db.session.scalar(text("SHOW plan_cache_mode"))
    db.session.execute(text("SET LOCAL plan_cache_mode = auto"))
    yield  # on an error the caller rolls back, which ends the SET LOCAL
    db.session.execute(select(func.set_config("plan_cache_mode", session_mode, True)))


def _write(actor: User, items: list[NewCase]) -> list[int]:
    now, today = clock.now(), clock.today()
    cases, moves, parts = [], [], []
    for item in items:
        d = item.data
        case = Case(body=d.body, state=engine.workflow(d.body).initial("case"))  # judged, never stored
        register = engine.require(actor, "register", case=case, fields={
            "title": d.title, "number": d.number, "lead_proposer_id": d.lead_proposer_id})
        registered = engine.move(register.action, d.body, case)
        assign = engine.require(actor, "assign", case=case, fields={"units": item.units})
        given = due_dates(d.body, item.units, item.assigned_on)
        assigned = engine.move(assign.action, d.body, case)
        cases.append({
            "body": d.body, "session_id": d.session_id, "number": d.number, "title": d.title.strip(),
            "text": d.text.strip(), "category_id": d.category_id, "lead_proposer_id": d.lead_proposer_id,
            "consent": d.consent, "no_written_reply": d.no_written_reply, "key_case": d.key_case,
            "state": case.state, "merged_into_id": None, "registered_at": now,
            "version": 2})  # stored when registered, changed when assigned
        moves.append([
            engine.event_fields(actor, register.action, "", {"number": d.number, "attachments": []}, *registered),
            engine.event_fields(actor, assign.action, "", assign_payload(given), *assigned)])
        start = assigned_at_of(item.assigned_on)
        parts.append([{
            "unit_id": g.unit.unit_id, "role": g.unit.role, "state": engine.workflow(d.body).initial("assignment"),
            "assigned_at": start, "original_due_date": g.due, "due_date": g.due, "answered_at": None,
            "requested_due_date": None, "request_reason": None, "version": 1} for g in given])
    case_ids = _insert(Case, cases, ids=True)
    _insert(CaseCosigner, [{"case_id": case_id, "position": i, "proposer_id": p}
                           for case_id, item in zip(case_ids, items)
                           for i, p in enumerate(item.data.cosigner_ids, 1)])
    _insert(Event, [{"case_id": case_id, "assignment_id": None, "at": now, **event}
                    for case_id, events in zip(case_ids, moves) for event in events])
    rows, bodies = [], []
    for case_id, item, case_parts in zip(case_ids, items, parts):
        rows += [{"case_id": case_id, **part} for part in case_parts]
        bodies += [item.data.body] * len(case_parts)
    reminders = []
    for assignment_id, a, body in zip(_insert(Assignment, rows, ids=True), rows, bodies):
        reminders += [{
            "case_id": a["case_id"], "assignment_id": assignment_id, "target": f"assignment:{assignment_id}",
            "kind": kind, "deadline": a["due_date"], "send_on": send_on, "state": "pending", "attempts": 0,
            "next_attempt_at": None, "last_error": None, "sent_at": None, "created_at": now}
            for kind, send_on in planned(body, PURPOSE_BY_ROLE[a["role"]], a["due_date"], today)]
    _insert(Reminder, reminders)
    facts.refresh(case_ids)
    return case_ids


def _insert(model: type, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Store the rows; with ``ids``, their new ids (for the rows that refer to them).

    On PostgreSQL the ids wanted are drawn from the table's sequence first and the rows sent by
    COPY (the others get theirs from the column's default, in the same order): an executemany
    runs one INSERT per row on the server, and multi-row INSERT … RETURNING statements of
    thousands of parameters cost the driver more to parse than the server to run."""
    table = model.__table__
    if not rows:
        return []
    if db.session.get_bind().dialect.name != "postgresql":
        if not ids:
            db.session.execute(insert(table), rows)
            return []
        return list(db.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    new_ids = list(db.session.scalars(select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
                                      .select_from(func.generate_series(1, len(rows))))) if ids else []
    names = list(rows[0])
    columns = [table.c[name] for name in (["id"] if ids else []) + names]
    values = itemgetter(*names)
    dialect = db.session.get_bind().dialect
    convert = [(i, f) for i, c in enumerate(columns) if (f := c.type.bind_processor(dialect))]
    cells = ([i, *values(row)] for i, row in zip(new_ids, rows)) if ids else (list(values(row)) for row in rows)
    with db.session.connection().connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(c.name for c in columns)}) FROM STDIN") as copy:
            for row in cells:
                for i, f in convert:
                    row[i] = f(row[i])
                copy.write_row(row)
    return new_ids
