"""Shared fixtures: a migrated database per run, per-test rollback, factories,
a frozen clock, an SMTP sink and logged-in clients.

TEST_DATABASE_URL chooses the database: unset, a SQLite file in a temp folder;
a PostgreSQL URL, a fresh database created on that server for this run.
"""
from __future__ import annotations

import os
import re
import smtplib
import socket
import uuid
from collections import Counter
from datetime import date, datetime, time

import flask_sqlalchemy.session
import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from caseflow import clock

BASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_POSTGRES = BASE_URL.startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are left out of the SQLite run (they run in the PostgreSQL run)."""
    if IS_POSTGRES:
        return
    kept = [i for i in items if "postgres" not in i.keywords]
    config.hook.pytest_deselected(items=[i for i in items if "postgres" in i.keywords])
    items[:] = kept


class ThrowawayDatabase:
    """A fresh database on the TEST_DATABASE_URL server, dropped at the end of the run."""

    def __init__(self, purpose: str = "test"):
        server = make_url(BASE_URL)
        self.name = f"caseflow_{purpose}_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = server.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    database = ThrowawayDatabase()
    yield database.url
    database.drop()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ["CASEFLOW_INSTANCE"] = str(tmp_path_factory.mktemp("instance"))
    from flask_migrate import upgrade

    from caseflow import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
    })
    with app.app_context():
        upgrade()
    # Tests keep an app context pushed (for db.session), and requests reuse it; give
    # each request a fresh ``g`` as in production, or CSRF and login caches leak across.
    request_started.connect(lambda sender, **kw: g._get_current_object().__dict__.clear(), app, weak=False)
    yield app
    from caseflow.extensions import db

    with app.app_context():
        db.engine.dispose()


class _BoundSession(flask_sqlalchemy.session.Session):
    """Uses the test's connection for every table (Flask-SQLAlchemy would pick the engine)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def db(app):
    """Each test runs in a transaction that is rolled back; services' commits are savepoints."""
    from caseflow.extensions import db as _db

    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": _BoundSession}
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            outer.rollback()
            connection.close()
            _db.session = original


@pytest.fixture(autouse=True)
def frozen_clock():
    """``frozen_clock(date or aware datetime)`` freezes caseflow's clock; it runs again after the test."""

    def freeze(moment):
        if isinstance(moment, date) and not isinstance(moment, datetime):
            moment = datetime.combine(moment, time(10), clock.LOCAL_TZ)
        clock.freeze(moment)

    yield freeze
    clock.freeze(None)


@pytest.fixture(autouse=True)
def no_real_mail(monkeypatch):
    """Mail may only go to the local SMTP sink."""
    real_connect = smtplib.SMTP.connect

    def guarded(self, host="localhost", port=0, source_address=None):
        if host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"a test tried to send mail to {host}")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


@pytest.fixture
def smtp_sink():
    """A real SMTP server on 127.0.0.1; ``.messages`` holds what it received. It offers PIPELINING
    as mail relays do (``.pipelining = False``: not) and refuses the addresses in ``.refused``."""
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []
            self.pipelining = True
            self.refused: set[str] = set()

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in self.refused:
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Sink()
    with socket.socket() as probe:  # a free port (aiosmtpd checks readiness on the port it is given)
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def make(db):
    from tests.factories import Factories

    return Factories(db.session)


@pytest.fixture
def fresh_models():
    """智能交办 models are cached per database: one built on an earlier test's rolled-back rows
    must not answer here."""
    from caseflow.services import suggestions

    suggestions.forget_models()
    yield
    suggestions.forget_models()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def login(app):
    """``login(user)`` returns a test client logged in through the real login form."""
    from tests.factories import PASSWORD

    def _login(user):
        c = app.test_client()
        page = c.get("/login").get_data(as_text=True)
        r = c.post("/login", data={"username": user.username, "password": PASSWORD,
                                   "csrf_token": csrf_token(page)})
        assert r.status_code == 302, r.get_data(as_text=True)
        return c

    return _login


@pytest.fixture
def committed(app, db):
    """Real commits, seen by other connections, threads and processes; tables emptied afterwards."""
    test_session = db.session
    db.session = db._make_scoped_session({})
    try:
        yield db
    finally:
        db.session.remove()
        db.session = test_session
        with db.engine.begin() as c:
            if IS_POSTGRES:
                tables = ", ".join(t.name for t in db.metadata.sorted_tables)
                c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            else:  # these tests write no events (which refuse DELETE)
                for table in reversed(db.metadata.sorted_tables):
                    c.execute(table.delete())


# -- Schemathesis figures (tests/api/test_schemathesis.py): operations, requests, server errors, summed
# over the xdist workers and printed at the end of the run ------------------------------------------
COUNTS: Counter = Counter()
OPERATIONS: set[str] = set()


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # an xdist worker hands its counts to the controller
        session.config.workeroutput["schemathesis"] = {**COUNTS, "operations": sorted(OPERATIONS)}


def pytest_testnodedown(node, error):
    out = getattr(node, "workeroutput", {}).get("schemathesis", {})
    OPERATIONS.update(out.pop("operations", []))
    COUNTS.update(out)


def pytest_terminal_summary(terminalreporter):
    """The fuzz test's figures (tests/web/test_fuzz.py, from the reports' user properties) and
    Schemathesis's, each summed over the xdist workers."""
    totals: dict[str, int] = {}
    for report in (r for key in ("passed", "failed") for r in terminalreporter.stats.get(key, [])):
        for name, value in getattr(report, "user_properties", ()):
            if name.startswith("fuzz_"):
                totals[name] = totals.get(name, 0) + value
    if totals:
        terminalreporter.write_line(f"fuzz: {totals.get('fuzz_requests', 0)} requests, "
                                    f"{totals.get('fuzz_server_errors', 0)} server errors (status ≥ 500)")
    if COUNTS:
        terminalreporter.write_line(
            f"Schemathesis: {len(OPERATIONS)} operations, {COUNTS['requests']} requests "
            f"({COUNTS['stateful_requests']} of them following links), {COUNTS['server_errors']} server errors")
