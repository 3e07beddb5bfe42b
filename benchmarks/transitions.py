"""签收 on PostgreSQL: N transitions through the services vs the same rows by raw SQL.

N pending lead assignments are accepted with ``caseflow.services.assignments.accept``
(one commit each: assignment ``accept``, case ``start``, two Events, the reminder rows);
N more get exactly the same row changes from hand-written UPDATE/INSERT statements, one
transaction each. Both run in one fresh database, dropped at the end; the figures go to
``benchmarks/results/transitions.json``.

    python -m benchmarks.transitions [--n 10000] [--database-url URL]   (from the repository root)
"""
from __future__ import annotations

import argparse
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, literal, select, text

from benchmarks.common import fresh_app, machine, write_result
from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Event, Proposer, Reminder, Session, Unit, User
from caseflow.services import assignments, holidays

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=SHANGHAI)
ASSIGNED_AT = datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)
DUE = date(2025, 6, 3)
REMOVE_EVERY = 500  # drop the identity map this often, as a request would
MAX_RATIO, MAX_MS = 3.0, 3.0  # the targets

RAW_ASSIGNMENT = text(
    "UPDATE assignments SET state = 'accepted', version = version + 1"
    " WHERE id = :id AND version = 1 RETURNING case_id"
)
RAW_CASE = text(
    "UPDATE cases SET state = 'in_progress', version = version + 1 WHERE id = :case_id AND version = 1"
)
RAW_EVENT = text(
    "INSERT INTO events (case_id, assignment_id, actor_id, at, transition, from_state, to_state, comment, payload)"
    " VALUES (:case_id, :assignment_id, :actor_id, :now, :transition, :from_state, :to_state, '', '{}')"
)
RAW_REMINDER = text(
    "INSERT INTO reminders (case_id, assignment_id, target, kind, deadline, send_on, state, attempts, created_at)"
    " VALUES (:case_id, :assignment_id, :target, :kind, :deadline, :send_on, 'pending', 0, :now)"
)


def arrange(n: int) -> tuple[int, list[int], list[int]]:
    """Seed the rows by bulk Core inserts; the handler's id, service and raw assignment ids."""
    holidays.import_chinesecalendar([2025, 2026])  # before any case, so no due date is recomputed
    with db.engine.begin() as c:
        session_id = c.execute(insert(Session.__table__).returning(Session.id), {
            "body": "cppcc_proposal", "name": "政协第一届第一次会议", "term": 1, "meeting": 1, "year": 2025,
        }).scalar_one()
        unit_id = c.execute(insert(Unit.__table__).returning(Unit.id), {
            "name": "区测试局", "short_name": "测试局", "kind": "department", "active": True, "version": 1,
        }).scalar_one()
        proposer_id = c.execute(insert(Proposer.__table__).returning(Proposer.id), {
            "name": "委员甲", "kind": "member", "type": "individual", "version": 1,
        }).scalar_one()
        users = [
            {"username": "bench_handler", "name": "经办人", "role": "handler", "unit_id": unit_id},
            {"username": "bench_dispatcher", "name": "督查科", "role": "dispatcher", "unit_id": None},
        ]
        handler_id = c.execute(insert(User.__table__).returning(User.id, sort_by_parameter_order=True), [
            {**u, "password_hash": "x", "active": True, "created_at": NOW, "version": 1} for u in users
        ]).scalars().first()
        c.execute(insert(Case.__table__), [
            {"body": "cppcc_proposal", "session_id": session_id, "number": i, "title": f"提案{i}", "text": "",
             "lead_proposer_id": proposer_id, "consent": "full", "no_written_reply": False, "key_case": False,
             "state": "assigned", "registered_at": ASSIGNED_AT, "version": 1}
            for i in range(1, 2 * n + 1)
        ])
        columns = ["case_id", "unit_id", "role", "state", "assigned_at", "original_due_date", "due_date", "version"]
        c.execute(insert(Assignment.__table__).from_select(columns, select(
            Case.id, literal(unit_id), literal("lead"), literal("pending"),
            literal(ASSIGNED_AT, Assignment.assigned_at.type), literal(DUE), literal(DUE), literal(1),
        ).order_by(Case.id)))
        ids = list(c.scalars(select(Assignment.id).join(Case).order_by(Case.number)))
    return handler_id, ids[:n], ids[n:]


def run_service(handler_id: int, ids: list[int]) -> float:
    """Accept every assignment through the service; seconds taken."""
    start = time.perf_counter()
    for i, assignment_id in enumerate(ids):
        if i % REMOVE_EVERY == 0:
            db.session.remove()
            handler = db.session.get(User, handler_id)
        assignments.accept(handler, assignment_id, 1)
    elapsed = time.perf_counter() - start
    db.session.remove()
    return elapsed


def service_reminders(n: int, assignment_id: int) -> list[dict[str, Any]]:
    """The reminder rows the service stored for one assignment (checked to be the same count for all)."""
    rows = db.session.execute(
        select(Reminder.kind, Reminder.send_on, Reminder.deadline)
        .where(Reminder.target == f"assignment:{assignment_id}").order_by(Reminder.send_on)
    ).mappings().all()
    total = db.session.scalar(select(func.count()).select_from(Reminder))
    if total != n * len(rows):
        raise RuntimeError(f"{total} reminders for {n} assignments: not {len(rows)} each")
    return [dict(r) for r in rows]


def run_raw(handler_id: int, ids: list[int], plan: list[dict[str, Any]]) -> float:
    """The service's row changes by hand, one transaction per assignment; seconds taken."""
    now = clock.now()
    with db.engine.connect() as c:
        start = time.perf_counter()
        for assignment_id in ids:
            with c.begin():
                case_id = c.execute(RAW_ASSIGNMENT, {"id": assignment_id}).scalar_one()
                if c.execute(RAW_CASE, {"case_id": case_id}).rowcount != 1:
                    raise RuntimeError(f"case {case_id} was changed meanwhile")
                c.execute(RAW_EVENT, [
                    {"case_id": case_id, "assignment_id": assignment_id, "actor_id": handler_id, "now": now,
                     "transition": "accept", "from_state": "pending", "to_state": "accepted"},
                    {"case_id": case_id, "assignment_id": None, "actor_id": handler_id, "now": now,
                     "transition": "start", "from_state": "assigned", "to_state": "in_progress"},
                ])
                target = f"assignment:{assignment_id}"
                if plan:  # whatever reminder rows the service wrote, written here too
                    c.execute(RAW_REMINDER, [
                        {**r, "case_id": case_id, "assignment_id": assignment_id, "target": target, "now": now}
                        for r in plan
                    ])
        return time.perf_counter() - start


def check_same_rows(service_ids: list[int], raw_ids: list[int]) -> None:
    """Both halves must end with the same states, versions and row counts."""

    def summary(ids: list[int]) -> tuple[Any, ...]:
        cases = select(Assignment.case_id).where(Assignment.id.in_(ids))
        return (
            db.session.execute(select(Assignment.state, Assignment.version, func.count())
                               .where(Assignment.id.in_(ids)).group_by(Assignment.state, Assignment.version)).all(),
            db.session.execute(select(Case.state, Case.version, func.count())
                               .where(Case.id.in_(cases)).group_by(Case.state, Case.version)).all(),
            db.session.execute(select(Event.transition, Event.actor_id, func.count(Event.assignment_id), func.count())
                               .where(Event.case_id.in_(cases)).group_by(Event.transition, Event.actor_id)
                               .order_by(Event.transition)).all(),
            db.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.assignment_id.in_(ids))),
        )

    service, raw = summary(service_ids), summary(raw_ids)
    db.session.remove()
    if service != raw:
        raise RuntimeError(f"raw SQL did not change the same rows:\nservice {service}\nraw     {raw}")


def measure(n: int) -> dict[str, Any]:
    """Seed, run both halves; the figures (inside the app context of a migrated database)."""
    clock.freeze(NOW)
    handler_id, service_ids, raw_ids = arrange(n)
    service_s = run_service(handler_id, service_ids)
    plan = service_reminders(n, service_ids[0])
    raw_s = run_raw(handler_id, raw_ids, plan)
    check_same_rows(service_ids, raw_ids)
    service_ms, raw_ms = service_s / n * 1000, raw_s / n * 1000
    ratio = service_s / raw_s
    return {
        "benchmark": "transitions",
        "n": n,
        "rows_per_transition": {"updates": 2, "events": 2, "reminders": len(plan)},
        "service": {"total_s": round(service_s, 3), "per_transition_ms": round(service_ms, 3)},
        "raw_sql": {"total_s": round(raw_s, 3), "per_transition_ms": round(raw_ms, 3)},
        "ratio": round(ratio, 2),
        "targets": {
            "max_ratio": MAX_RATIO, "max_per_transition_ms": MAX_MS,
            "ratio_met": ratio <= MAX_RATIO, "per_transition_met": service_ms <= MAX_MS,
        },
        "machine": machine(),
    }


def run(n: int, base_url: str) -> dict[str, Any]:
    """``measure`` in a fresh database, dropped afterwards."""
    with fresh_app(base_url):
        return measure(n)


def report(r: dict[str, Any]) -> str:
    """The figures as a small table."""
    t = r["targets"]
    yes = {True: "met", False: "MISSED"}
    return "\n".join([
        f"transitions (accept + start), N = {r['n']}, PostgreSQL {r['machine']['postgresql']}",
        f"{'':10}{'total s':>10}{'ms/transition':>16}",
        f"{'service':10}{r['service']['total_s']:>10.3f}{r['service']['per_transition_ms']:>16.3f}",
        f"{'raw SQL':10}{r['raw_sql']['total_s']:>10.3f}{r['raw_sql']['per_transition_ms']:>16.3f}",
        f"ratio service/raw {r['ratio']:.2f} (target <= {t['max_ratio']:g}: {yes[t['ratio_met']]}); "
        f"service {r['service']['per_transition_ms']:.3f} ms (target <= {t['max_per_transition_ms']:g} ms: "
        f"{yes[t['per_transition_met']]})",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="transitions per half (default 10000)")
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help="PostgreSQL server URL; a fresh database is created on it (default %(default)s)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    result = run(args.n, args.database_url)
    print(report(result))
    print(f"written to {write_result('transitions', result)}")


if __name__ == "__main__":
    main()
