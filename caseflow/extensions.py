"""Extension instances, created unbound and initialised in the app factory."""
from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event

from caseflow.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def configure_sqlite(engine) -> None:
    """SQLite: enforce foreign keys, and let SQLAlchemy (not pysqlite) open transactions,
    so SAVEPOINTs and the per-test rollback behave as on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        dbapi_connection.execute("PRAGMA busy_timeout = 5000")

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN")


def configure_postgresql(engine) -> None:
    """PostgreSQL session settings.

    No JIT compilation: the statistics' per-assignment subqueries give the planner cost estimates
    in the millions, so it compiles them, which takes longer (about a second) than running them.
    Always a plan for the actual parameters: psycopg prepares a statement run five times, and the
    server then switches to a generic plan, which cannot use a partial index (the open assignments'
    due dates) and misjudges how much of the data a year or a unit is; planning takes far less
    than either costs. Random reads priced as on an SSD or from memory (random_page_cost 1.1, not
    the spinning disk's 4): otherwise the planner reads every case to join the few thousand open
    ones of the case list's first page (100 ms instead of 17 at 200,000 cases)."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "do_connect")
    def on_connect(_dialect, _record, _cargs, cparams):
        settings = "-c jit=off -c plan_cache_mode=force_custom_plan -c random_page_cost=1.1"
        cparams["options"] = " ".join(filter(None, (cparams.get("options"), settings)))
