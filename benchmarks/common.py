"""What the benchmarks share: a fresh PostgreSQL database per run and the machine's description."""
from __future__ import annotations

import json
import os
import platform
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from caseflow import clock, create_app
from caseflow.extensions import db

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def fresh_app(base_url: str = DEFAULT_URL) -> Iterator[Flask]:
    """An app on a new, migrated database ``caseflow_bench_<random>`` (inside its app context),
    dropped afterwards; instance files go to a temporary folder."""
    server = make_url(base_url)
    name = f"caseflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as instance:
            os.environ["CASEFLOW_INSTANCE"] = instance
            app = create_app({"SQLALCHEMY_DATABASE_URI": server.set(database=name).render_as_string(hide_password=False)})
            with app.app_context():
                try:
                    flask_migrate.upgrade()
                    yield app
                finally:
                    db.session.remove()
                    db.engine.dispose()
    finally:
        clock.freeze(None)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def machine() -> dict[str, Any]:
    """Where the figures were measured (call inside the app context)."""
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": db.session.scalar(text("SHOW server_version")),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path
