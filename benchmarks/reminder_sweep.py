"""The reminder scheduler on PostgreSQL: N due reminders swept to a local SMTP sink.

In one fresh database (``benchmarks.common.fresh_app``: created, migrated, dropped at the end) it
seeds, with INSERT … SELECT, N open lead assignments spread over 100 units, each unit with one
handler who has an e-mail address, and one ``reply_due`` reminder per assignment due today. Then
it times ``flask scheduler --once`` (``--workers`` of them side by side: row claims keep them
apart) until every reminder is swept, each message going over SMTP (one connection per batch) to
an aiosmtpd sink in a process of its own, which offers PIPELINING as mail relays do. It checks that every reminder is ``sent``, with one
notification and one journal row, and that the sink got N distinct Message-IDs, none twice.
The figures go to ``benchmarks/results/reminder_sweep.json``.

    python -m benchmarks.reminder_sweep [--n 100000] [--workers 1 4] [--batch 1000] [--database-url URL]

On a 2-core machine the sink, PostgreSQL and the schedulers share the CPU; one scheduler (what
the long-running ``flask scheduler`` is) mostly waits on the SMTP and journal round trips, so
several ``--once`` sweeps side by side are what drains a large backlog quickly.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import func, select, text

from benchmarks.common import DEFAULT_URL, fresh_app, machine, write_result
from caseflow import clock
from caseflow.config import PROJECT_ROOT
from caseflow.extensions import db
from caseflow.models import Notification, Reminder, ReminderDelivery

UNITS = 100
TARGET_S = 60.0
MESSAGE_ID = re.compile(rb"^Message-ID: (.+?)\r?$", re.M | re.I)


def sink(port: int, control: Connection) -> None:
    """An aiosmtpd server counting Message-IDs until told to stop; answers with the counts."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self) -> None:
            self.seen: Counter = Counter()

        async def handle_DATA(self, server, session, envelope):
            self.seen[MESSAGE_ID.search(envelope.content).group(1)] += 1
            return "250 OK"

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]]  # as mail relays do

    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    control.recv()
    controller.stop()
    control.send((sum(handler.seen.values()), len(handler.seen),
                  sum(1 for n in handler.seen.values() if n > 1)))


def arrange(n: int) -> None:
    """N open lead assignments (100 units, one handler each) with a reminder due today."""
    now, today = clock.now(), clock.today()
    with db.engine.begin() as c:
        session_id = c.execute(text(
            "INSERT INTO sessions (body, name, term, meeting, year) VALUES "
            "('cppcc_proposal', '政协第一届第一次会议', 1, 1, :year) RETURNING id"), {"year": today.year}).scalar_one()
        proposer_id = c.execute(text(
            "INSERT INTO proposers (name, kind, type, organization, \"group\", version) "
            "VALUES ('委员甲', 'member', 'individual', '', '', 1) RETURNING id")).scalar_one()
        c.execute(text(
            "INSERT INTO units (name, short_name, kind, active, version) "
            "SELECT '测试单位' || k, '', 'department', true, 1 FROM generate_series(1, :units) k"), {"units": UNITS})
        c.execute(text(
            "INSERT INTO users (username, name, password_hash, role, unit_id, email, active, created_at, version) "
            "SELECT 'handler' || id, '经办人' || id, 'x', 'handler', id, 'handler' || id || '@example.com', true, :now, 1 "
            "FROM units"), {"now": now})
        c.execute(text(
            "INSERT INTO cases (body, session_id, number, title, text, lead_proposer_id, consent, no_written_reply, "
            "key_case, state, registered_at, version) "
            "SELECT 'cppcc_proposal', :session_id, g, '关于第' || g || '件事的提案', '', :proposer_id, 'full', false, "
            "false, 'in_progress', :now, 1 FROM generate_series(1, :n) g"),
            {"session_id": session_id, "proposer_id": proposer_id, "now": now, "n": n})
        c.execute(text(
            "INSERT INTO assignments (case_id, unit_id, role, state, assigned_at, original_due_date, due_date, version) "
            "SELECT c.id, u.id, 'lead', 'accepted', :now, :today, :today, 1 FROM cases c "
            "JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM units) u ON u.k = c.number % :units"),
            {"now": now, "today": today, "units": UNITS})
        c.execute(text(
            "INSERT INTO reminders (case_id, assignment_id, target, kind, deadline, send_on, state, attempts, "
            "created_at) SELECT case_id, id, 'assignment:' || id, 'reply_due', :today, :today, 'pending', 0, :now "
            "FROM assignments"), {"now": now, "today": today})
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def sweep(workers: int, batch: int, port: int) -> float:
    """Run ``workers`` × ``flask scheduler --once`` on the database; seconds until all ended."""
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "SCHEDULER_BATCH_SIZE": str(batch)}
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "--once"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise RuntimeError(f"scheduler failed:\n{err}")
    return time.perf_counter() - start


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def measure(n: int, workers: int, batch: int) -> dict[str, Any]:
    """Seed, sweep, check; the figures of one run (inside the app context of a fresh database)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    control, child_end = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=sink, args=(port, child_end), daemon=True)
    server.start()
    try:
        control.recv()
        arrange(n)
        seconds = sweep(workers, batch, port)
    finally:
        control.send("stop")
        messages, distinct, doubled = control.recv()
        server.join(10)
    rows = {"sent": count(Reminder, Reminder.state == "sent"), "notifications": count(Notification),
            "journal": count(ReminderDelivery)}
    if rows != {"sent": n, "notifications": n, "journal": n} or (messages, distinct, doubled) != (n, n, 0):
        raise RuntimeError(f"not every reminder exactly once: {rows}, sink {messages} messages, "
                           f"{distinct} Message-IDs, {doubled} doubled")
    return {"workers": workers, "total_s": round(seconds, 2), "per_second": round(n / seconds),
            "target_met": seconds <= TARGET_S,
            "sink": {"messages": messages, "distinct_message_ids": distinct, "doubled": doubled}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[4],
                        help="scheduler processes side by side; several values: one run (and database) each")
    parser.add_argument("--batch", type=int, default=1000, help="SCHEDULER_BATCH_SIZE")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    runs = []
    for workers in args.workers:
        with fresh_app(args.database_url):
            runs.append(measure(args.n, workers, args.batch))
            where = machine()
        r = runs[-1]
        print(f"reminder sweep: {args.n} reminders, {workers} scheduler process(es), batch {args.batch}: "
              f"{r['total_s']:.1f} s, {r['per_second']} reminders/s (target <= {TARGET_S:g} s: "
              f"{'met' if r['target_met'] else 'MISSED'}); sink: {r['sink']['distinct_message_ids']} Message-IDs, "
              f"{r['sink']['doubled']} doubled")
    path = write_result("reminder_sweep", {"benchmark": "reminder_sweep", "n": args.n, "batch_size": args.batch,
                                           "target_s": TARGET_S, "runs": runs, "machine": where})
    print(f"written to {path.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
