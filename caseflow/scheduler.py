"""The reminder scheduler, ``flask scheduler``: a process of its own beside the web workers,
which never start it (DESIGN §4). It also runs the background jobs (long reports, 交办清单
imports; ``caseflow.services.jobs``), polling for them every ``JOBS_POLL_SECONDS``.

It polls the ``reminders`` table every ``SCHEDULER_INTERVAL_SECONDS`` (APScheduler
``BlockingScheduler``, Asia/Shanghai) and sends every pending reminder with ``send_on <= today``,
oldest first, so a scheduler that was down catches up when it starts. ``flask scheduler --once``
runs one such sweep and exits (cron, tests).

One active scheduler
    The long-running scheduler polls only while it holds a lock: a session-level advisory lock
    on PostgreSQL (``pg_try_advisory_lock``), ``fcntl.flock`` on ``instance/scheduler.lock`` with
    SQLite. Another one started beside it logs that it is on standby and tries again every
    interval, so it takes over when the active one stops or dies. On PostgreSQL the lock is not
    what keeps a reminder from being sent twice (row claims are, below): ``--once`` runs without
    it there (cron, or several at once to drain a backlog). SQLite has no row locks, so there
    every sweep, ``--once`` too, waits for the file lock.

Exactly-once rule
    1. Claim: a sweep locks a batch of due rows in its transaction, ``SELECT … FOR NO KEY UPDATE
       SKIP LOCKED`` (concurrent sweeps take disjoint rows; NO KEY so that the journal's foreign
       key check below does not wait for the claim). The lock lasts until the batch commits; if
       the process dies the database drops it and the rows are due again.
    2. Check: a reminder whose reason is gone (``delivery.still_due``: case ended, assignment
       answered or returned, due date moved, window closed) is cancelled, not sent.
    3. In-app notices are inserted in the claiming transaction and committed together with
       ``state = 'sent'``; UNIQUE(user_id, reminder_id) makes a retried insert a no-op: exactly once.
    4. E-mail and SMS: the moment the channel has accepted a message, a ``ReminderDelivery`` row
       (reminder, channel, recipient) is committed on its own (PostgreSQL: on a second
       connection, so the claim's locks stay held; SQLite: the single sweep commits its session).
       A reminder that is retried skips whatever that journal holds. Every e-mail carries the
       Message-ID ``<reminder-<id>.<hash of the address>@<BASE_URL host>>``, the same on every
       attempt, so a repeated message is recognisable as such.
    5. After an ``*_overdue`` reminder is sent, the next overdue step (every
       ``overdue_every_days`` of the workflow; the first one after today) is stored as pending.

    What stays at-least-once: a message that the SMTP server (or SMS gateway) accepted just
    before the process died, before its journal row was committed, is sent again, with the same
    Message-ID. Committing the journal per message, not per batch, keeps this to at most one
    message per sweeping process that dies. The journal commits are asynchronous on PostgreSQL
    (``synchronous_commit = off``): a crash of the scheduler cannot lose them, only a crash of
    the database server within its WAL flush delay can, and then those messages are sent again
    (doubled at worst, never lost).

Failed deliveries
    A channel error (SMTP unreachable, an address refused, the SMS gateway failing) leaves the
    reminder pending with ``attempts + 1``, ``last_error`` and ``next_attempt_at`` = now +
    ``REMINDER_RETRY_SECONDS`` × 2^(attempts − 1); after ``REMINDER_MAX_ATTEMPTS`` failures it is
    ``failed`` (``delivery.failed_reminders()``). Messages already delivered are not repeated.
"""
from __future__ import annotations

import fcntl
import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from sqlalchemy import Connection, Select, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Notification, Reminder, ReminderDelivery
from caseflow.services import delivery, jobs, login_sessions, reminders

log = logging.getLogger(__name__)

ADVISORY_KEY = 0x63666C6F77  # "cflow": the same fixed key in every scheduler process
JOURNAL_INSERT = insert(ReminderDelivery.__table__).inline()
# the sent and the cancelled rows of a batch, each in one statement
REMINDERS_SETTLED = (update(Reminder.__table__).where(Reminder.__table__.c.id.in_(bindparam("ids", expanding=True)))
                     .values(state=bindparam("state"), sent_at=bindparam("sent_at"), next_attempt_at=None))
# executed with one parameter set per retried row: ``rid`` and the columns to SET (see _retry)
REMINDER_UPDATE = update(Reminder.__table__).where(Reminder.__table__.c.id == bindparam("rid"))


@dataclass
class Tally:
    sent: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.cancelled} cancelled, {self.retried} to retry, {self.failed} failed"


class Undelivered(Exception):
    """A channel did not take one or more messages of a reminder."""


class Journal:
    """Where e-mails and SMS are recorded the moment they went out (rule 4 of the module docstring)."""

    def __init__(self) -> None:
        self._own: Connection | None = None
        if db.session.get_bind().dialect.name == "postgresql":
            self._own = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._own.exec_driver_sql("SET synchronous_commit TO off")

    def delivered(self, reminder_ids: list[int]) -> set[tuple[int, str, str]]:
        rows = db.session.execute(select(ReminderDelivery.reminder_id, ReminderDelivery.channel,
                                         ReminderDelivery.recipient)
                                  .where(ReminderDelivery.reminder_id.in_(reminder_ids)))
        return {tuple(r) for r in rows}

    def record(self, reminder_id: int, channel: str, recipient: str, message_id: str) -> None:
        row = {"reminder_id": reminder_id, "channel": channel, "recipient": recipient,
               "message_id": message_id, "delivered_at": clock.now()}
        if self._own is not None:
            self._own.execute(JOURNAL_INSERT, row)
        else:
            db.session.execute(JOURNAL_INSERT, row)
            db.session.commit()

    def close(self) -> None:
        if self._own is not None:
            try:
                self._own.exec_driver_sql("RESET synchronous_commit")
            finally:
                self._own.close()


def _due(limit: int) -> Select:
    """Claim the oldest due reminders that no other sweep holds."""
    return (
        select(Reminder.id, Reminder.case_id, Reminder.assignment_id, Reminder.target, Reminder.kind,
               Reminder.deadline, Reminder.send_on, Reminder.attempts, Reminder.last_error)
        .where(Reminder.state == "pending", Reminder.send_on <= clock.today(),
               or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= clock.now()))
        .order_by(Reminder.send_on, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )


def sweep(stop: threading.Event | None = None) -> Tally:
    """Send every due reminder, batch by batch, until none is due (or ``stop`` is set)."""
    config = current_app.config
    tally = Tally()
    journal = Journal()
    try:
        while stop is None or not stop.is_set():
            batch = db.session.execute(_due(config["SCHEDULER_BATCH_SIZE"])).all()
            if not batch:
                db.session.rollback()
                break
            _send_batch(batch, journal, config, tally)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        journal.close()
    return tally


def _send_batch(batch: list[Any], journal: Journal, config: Mapping[str, Any], tally: Tally) -> None:
    now, today = clock.now(), clock.today()
    about = delivery.load_context(batch)
    by_unit, dispatchers = delivery.people(a.unit_id for a in about.values() if a.unit_id)
    done = journal.delivered([r.id for r in batch])
    mailer, sms = delivery.Mailer(config), delivery.sms_sender(config)
    sent: list[int] = []
    cancelled: list[int] = []
    retries: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    next_steps: list[dict[str, Any]] = []
    try:
        for r in batch:
            a = about[r.id]
            if not delivery.still_due(r, a):
                cancelled.append(r.id)
                tally.cancelled += 1
                continue
            notice = delivery.compose(r, a, today, config["BASE_URL"])
            people = delivery.recipients_of(r, by_unit.get(a.unit_id, []), dispatchers)
            notices += [{"user_id": p.user_id, "reminder_id": r.id, "case_id": a.case_id,
                         "title": notice.title, "body": notice.text} for p in people]
            try:
                _deliver(r, notice, people, mailer, sms, journal, done, config, now)
            except Undelivered as e:
                retries.append(_retry(r, e, now, config, tally))
                continue
            sent.append(r.id)
            tally.sent += 1
            if delivery.is_overdue(r.kind):
                next_steps.append({
                    "case_id": r.case_id, "assignment_id": r.assignment_id, "target": r.target, "kind": r.kind,
                    "deadline": r.deadline,
                    "send_on": reminders.overdue_step(a.body, r.deadline, today + timedelta(days=1)),
                })
    finally:
        mailer.close()
    _insert_ignoring_duplicates(Notification, notices)
    _insert_ignoring_duplicates(Reminder, next_steps)
    for ids, state, sent_at in ((sent, "sent", now), (cancelled, "cancelled", None)):
        if ids:
            db.session.execute(REMINDERS_SETTLED, {"ids": ids, "state": state, "sent_at": sent_at})
    if retries:
        db.session.execute(REMINDER_UPDATE, retries)


def _deliver(r: Any, notice: delivery.Notice, people: list[delivery.Recipient], mailer: delivery.Mailer,
             sms: delivery.SmsSender, journal: Journal, done: set[tuple[int, str, str]],
             config: Mapping[str, Any], now: datetime) -> None:
    """E-mail and SMS to everyone not yet reached; every recipient is tried before failing."""
    errors = []
    for p in people:
        for channel, address in (("email", p.email), ("sms", p.phone)):
            if not address or (r.id, channel, address) in done:
                continue
            message_id = ""
            try:
                if channel == "email":
                    message_id = delivery.message_id(r.id, address, config["BASE_URL"])
                    mailer.send(address, delivery.email(notice, p, message_id, config["MAIL_SENDER"], now))
                else:
                    sms.send(address, notice.sms)
            except Exception as e:  # whatever the channel raised: retried later, never blocks the sweep
                errors.append(f"{channel} {address}: {type(e).__name__}: {e}")
                continue
            journal.record(r.id, channel, address, message_id)
            done.add((r.id, channel, address))
    if errors:
        raise Undelivered("; ".join(errors))


def _retry(r: Any, error: Exception, now: datetime, config: Mapping[str, Any], tally: Tally) -> dict[str, Any]:
    """The parameters of REMINDER_UPDATE for claimed row ``r`` that a channel did not take."""
    attempts = r.attempts + 1
    change = {"rid": r.id, "attempts": attempts, "last_error": str(error)[:2000], "sent_at": None}
    if attempts >= config["REMINDER_MAX_ATTEMPTS"]:
        log.error("reminder %s failed after %s attempts: %s", r.id, attempts, error)
        tally.failed += 1
        return {**change, "state": "failed", "next_attempt_at": None}
    tally.retried += 1
    delay = timedelta(seconds=config["REMINDER_RETRY_SECONDS"] * 2 ** (attempts - 1))
    return {**change, "state": "pending", "next_attempt_at": now + delay}


def _insert_ignoring_duplicates(model: type, rows: list[dict[str, Any]]) -> None:
    """Insert the rows but those a unique key already holds (a batch retried after a crash).

    On PostgreSQL in one statement over arrays: an executemany runs one INSERT per row there."""
    if not rows:
        return
    table = model.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)
        return
    names = list(rows[0])
    arrays = (bindparam(name, [row[name] for row in rows], type_=postgresql.ARRAY(table.c[name].type)) for name in names)
    source = func.unnest(*arrays).table_valued(*names).render_derived()
    db.session.execute(postgresql.insert(table).from_select(names, select(*source.c)).on_conflict_do_nothing())


class InstanceLock:
    """Lets one long-running scheduler poll at a time (see the module docstring)."""

    def __init__(self, app: Flask):
        self.app = app
        self.held = False
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._logged: bool | None = None

    def acquire(self) -> bool:
        """Whether this process holds the lock now, taking it if it is free."""
        self.held = (self.held and self._alive()) or self._take()
        if self.held != self._logged:
            if self.held:
                log.info("active: this scheduler sends the reminders")
            else:
                log.info("standby: another scheduler is active; trying again every poll")
            self._logged = self.held
        return self.held

    def _postgres(self) -> bool:
        return db.engine.dialect.name == "postgresql"

    def _take(self) -> bool:
        if self._postgres():
            if self._conn is None:
                self._conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return bool(self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}))
        if self._file is None:
            path = Path(self.app.config["INSTANCE_DIR"]) / "scheduler.lock"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _alive(self) -> bool:
        """A lost database connection took its advisory lock with it."""
        if self._conn is None:
            return True
        try:
            self._conn.scalar(text("SELECT 1"))
            return True
        except Exception:
            log.warning("lost the database connection that held the scheduler lock")
            self._conn.invalidate()
            self._conn = None
            return False

    def release(self) -> None:
        if self._conn is not None:
            if self.held:
                self._conn.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            self._conn.close()
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self.held = False


def run_once(app: Flask) -> Tally:
    """One sweep; with SQLite it first waits for the file lock (no row locks there)."""
    lock = InstanceLock(app) if db.engine.dialect.name == "sqlite" else None
    while lock is not None and not lock.acquire():
        time.sleep(1)
    try:
        return sweep()
    finally:
        if lock is not None:
            lock.release()


def run_forever(app: Flask, interval: float) -> None:
    """Poll every ``interval`` seconds until SIGTERM or SIGINT (which let the current batch finish)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    lock = InstanceLock(app)
    stopping = threading.Event()
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    busy = threading.Lock()  # reminders and jobs take turns: SQLite admits one writer

    def every(work: Callable[[], None], name: str, **period: float) -> None:
        """Run ``work`` periodically in the app's context, taking turns with the others (``busy``)."""
        def job() -> None:
            with app.app_context(), busy:
                try:
                    work()
                finally:
                    db.session.remove()
        scheduler.add_job(job, "interval", **period, next_run_time=datetime.now(clock.LOCAL_TZ),
                          max_instances=1, coalesce=True, id=name)

    def reminders() -> None:
        if lock.acquire():
            tally = sweep(stopping)
            if tally != Tally():
                log.info("sweep: %s", tally)

    def background_jobs() -> None:
        """caseflow.services.jobs: every scheduler runs them, active or on standby."""
        if ran := jobs.run_pending(stopping):
            log.info("jobs: %s run", ran)

    def stop(signum: int, _frame: Any) -> None:
        if scheduler.running:
            log.info("stopping (%s): the current batch is finished first", signal.Signals(signum).name)
            stopping.set()
            scheduler.shutdown(wait=True)

    every(reminders, "reminders", seconds=interval)
    every(background_jobs, "jobs", seconds=app.config["JOBS_POLL_SECONDS"])
    every(lambda: log.info("pruned login rows (sessions, attempts): %s", login_sessions.prune()), "prune", hours=6)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started: polling every %g s", interval)
    scheduler.start()
    with app.app_context():
        lock.release()
    log.info("scheduler stopped")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Send what is due now and run the queued jobs, then exit (cron, tests).")
@click.option("--interval", type=float, help="Seconds between polls (default: SCHEDULER_INTERVAL_SECONDS).")
def scheduler_command(once: bool, interval: float | None) -> None:
    """Send the due reminders (every minute) and run the background jobs (every second), or once with --once.

    Run one per deployment, never inside the web workers; a second one waits on standby.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # not "skipped: maximum number of running instances reached" at every poll during a long sweep
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("transitions").setLevel(logging.WARNING)  # not a line per state change of an import
    app = current_app._get_current_object()
    if once:
        log.info("sweep: %s", run_once(app))
        log.info("jobs: %s run", jobs.run_pending())
        log.info("pruned login rows (sessions, attempts): %s", login_sessions.prune())
    else:
        run_forever(app, interval or app.config["SCHEDULER_INTERVAL_SECONDS"])
