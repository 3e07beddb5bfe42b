"""Serve caseflow for the browser tests: ``python -m tests.browser.serve DATABASE_URL PORT_FILE``.

Runs in its own process, so the per-test rollback fixture of tests/conftest.py (which swaps
``caseflow.extensions.db.session`` in the test process) can never reach the live app's requests.
First it does what ``flask db upgrade`` and ``flask seed-demo`` do (the same functions, in one
process to save two interpreter starts): migrate the empty database, walk the demo district
through the real services. Then it binds a free port on 127.0.0.1 and writes it to PORT_FILE.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import make_server

from caseflow import create_app
from caseflow.demo.seed import seed_demo


def main(database_url: str, port_file: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "live", "TESTING": False})
    with app.app_context():
        upgrade()
        result = seed_demo()
        print(f"seeded {result.created} demo cases", flush=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    partial = Path(f"{port_file}.tmp")
    partial.write_text(str(server.server_port))
    os.replace(partial, port_file)  # the test process never reads half a number
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:3])
