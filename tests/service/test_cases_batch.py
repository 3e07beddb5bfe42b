"""The batch writer of an import writes exactly what the services write one case at a time.

The same 交办清单 is imported twice from the same starting point (the database rolled back in
between): once with ``cases_batch.register_and_assign`` replaced by ``cases.register_case`` and
``cases.assign_case`` called for each case, as the form does, once as it is. Every table's rows
are then compared, ids aside (a row refers to a case by its number, to an assignment by its
case's number and its unit, to a proposer by name). Runs on SQLite, and on PostgreSQL (COPY and
ids from the sequences) in the PostgreSQL pass.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from caseflow.models import Assignment, Case, Proposer
from caseflow.services import cases, cases_batch, importer
from tests.service.test_importer import row, w, xlsx  # noqa: F401  (w: the fixture)

REFERS = {"cases": Case, "assignments": Assignment, "proposers": Proposer}


def one_by_one(actor, items, progress=None):
    """The reference: the services, one case after the other."""
    ids = []
    for item in items:
        case = cases.register_case(actor, item.data)
        cases.assign_case(actor, case, item.units, assigned_on=item.assigned_on)
        ids.append(case.id)
    return ids


def sheet():
    rows = []
    for n in range(1, 41):
        rows.append(row(
            n, 联名="张三、李四" if n % 2 else ("王五" if n % 3 == 0 else ""),
            领衔="新委员甲" if n % 6 == 0 else "提出人",
            主办="主办单位、无关单位" if n % 5 == 0 else "主办单位",
            会办="" if n % 3 == 0 else "会办单位",
            交办日期="2025-03-03" if n % 4 else date(2025, 2, 27),
            办理期限=date(2025, 8, 1) if n % 7 == 0 else None,
            重点="是" if n % 4 == 0 else "", 公开="不公开" if n % 9 == 0 else "同意公开",
            正文=f"  第{n}件的正文\n" if n % 2 else ""))
    return rows


def snapshot(db) -> dict[str, list]:
    """Every table's rows, with references to new rows written as what identifies them."""
    s = db.session
    case_key = {c.id: c.number for c in s.scalars(select(Case))}
    keys = {
        "cases": case_key,
        "assignments": {a.id: (case_key[a.case_id], a.unit_id) for a in s.scalars(select(Assignment))},
        "proposers": {p.id: p.name for p in s.scalars(select(Proposer))},
    }
    tables = {}
    for table in db.metadata.sorted_tables:
        refer = {c.name: keys[next(iter(c.foreign_keys)).column.table.name] for c in table.c
                 if c.foreign_keys and next(iter(c.foreign_keys)).column.table.name in keys}
        if table.name in keys:
            refer["id"] = keys[table.name]
        rows = []
        for r in s.execute(select(table)).mappings():
            values = {name: refer[name].get(value, value) if name in refer else value for name, value in r.items()
                      if name != "id" or table.name in keys}
            if isinstance(values.get("target"), str):
                values["target"] = re.sub(r"assignment:(\d+)", lambda m: str(keys["assignments"][int(m[1])]),
                                          values["target"])
            rows.append(values)
        tables[table.name] = sorted(rows, key=repr)
    return tables


def imported(db, w, monkeypatch, reference: bool):  # noqa: F811
    """Import the sheet from the state of now, snapshot the tables, and roll back to now."""
    db.session.commit()
    outer = db.session.bind.begin_nested()
    try:
        with monkeypatch.context() as m:
            if reference:
                m.setattr(cases_batch, "register_and_assign", one_by_one)
            else:
                m.setattr(cases_batch, "CHUNK", 7)  # 40 cases in six chunks, the last one short
            result = importer.run(w["dispatcher"], xlsx(sheet()), w.session)
        assert (result.errors, result.created) == ([], 40)
        return snapshot(db)
    finally:
        db.session.rollback()
        outer.rollback()


def test_the_batch_writes_every_table_as_the_services_do(w, db, monkeypatch):  # noqa: F811
    through_services = imported(db, w, monkeypatch, reference=True)
    batched = imported(db, w, monkeypatch, reference=False)
    # the file exercises what differs between cases: 分办, 会办, overridden due dates, new proposers
    assert len(through_services["cases"]) == 40
    assert len(through_services["case_cosigners"]) == 20 * 2 + 6  # odd numbers: 2; 6, 12 … 36: 1
    assert {a["role"] for a in through_services["assignments"]} == {"lead", "co", "split"}
    assert any("computed_due" in str(e["payload"]) for e in through_services["events"])
    assert len(through_services["reminders"]) > len(through_services["assignments"])
    assert len(through_services["assignment_facts"]) == len(through_services["assignments"])
    for table, rows in through_services.items():
        assert batched[table] == rows, table
