"""The pages through gunicorn (``gunicorn.conf.py``, as ``make run`` starts it) on the 200,000-case
dataset, with a real login and CSRF, against each page's own SQL sent raw in the same run.

For each page: ``--n`` requests by one client on a kept-alive connection, alternating with a raw
replay of every statement that page sends (captured once through the Flask test client in this
process, same user and parameters, sent on a DBAPI connection); p50/p95 of both and the number of
statements. Then the case page under ``--clients`` concurrent clients for ``--seconds``: req/s and
latency. The clock is frozen at the dataset's date in both processes (``benchmarks.http_app``).

The database is built once and reused: an empty one is migrated, filled by
``benchmarks.make_dataset`` and its statistics' facts computed (several minutes).

    python -m benchmarks.http --database-url URL [--n 200] [--clients 8] [--seconds 15]
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import flask_migrate
from sqlalchemy import text

from benchmarks import make_dataset
from benchmarks.common import machine, write_result
from benchmarks.dashboard import logged_in, percentile, statements_of
from caseflow import clock, create_app, facts
from caseflow.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {  # page kind: (p50 ms, p95 ms, times its own SQL at p50), the aims; None: no aim
    "list": (20.0, 50.0, 3.0),
    "case": (20.0, None, None),
    "dashboard": (None, 50.0, 2.0),
}


class Client:
    """One browser: a kept-alive connection and its cookies."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, url, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # the server closed the connection after its keep-alive time: reconnect, as a browser does
            self.connection.close()
            self.connection.request(method, url, body=body, headers=headers)
            response = self.connection.getresponse()
        page = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, page

    def get(self, url: str) -> None:
        status, _ = self.request("GET", url)
        if status != 200:
            raise RuntimeError(f"GET {url}: {status}")

    def login(self, username: str, password: str) -> Client:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _ = self.request("POST", "/login", {"username": username, "password": password, "csrf_token": token})
        if status != 302:
            raise RuntimeError(f"login of {username} failed: {status}")
        return self


@contextmanager
def gunicorn(database_url: str, instance: str) -> Iterator[int]:
    """gunicorn with the project's configuration on a free port, serving ``benchmarks.http_app``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "CASEFLOW_INSTANCE": instance}
    process = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--config", "gunicorn.conf.py",
                                "--bind", f"127.0.0.1:{port}", "benchmarks.http_app:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def prepare() -> dict[str, Any]:
    """Migrate (and on an empty database, build) the dataset; what the pages are asked about."""
    flask_migrate.upgrade()
    if not db.session.scalar(text("SELECT EXISTS (SELECT 1 FROM cases)")):
        db.session.commit()
        data = make_dataset.fill(db.engine.url.render_as_string(hide_password=False))
        facts.rebuild()
        print(f"dataset built in {data.seconds:.0f} s, and its facts")
    q = lambda sql: db.session.execute(text(sql)).first()  # noqa: E731
    done = "('returned', 'opinion_sent', 'answered')"
    unit_id, open_parts = q(f"SELECT unit_id, count(*) FROM assignments WHERE state NOT IN {done} "
                            "GROUP BY unit_id ORDER BY 2 DESC, 1 LIMIT 1")
    year, = q("SELECT year FROM assignment_facts GROUP BY year ORDER BY count(*) DESC, year DESC LIMIT 1")
    handler, = q(f"SELECT username FROM users WHERE unit_id = {unit_id} AND role = 'handler' ORDER BY id LIMIT 1")
    dispatcher, = q("SELECT username FROM users WHERE role = 'dispatcher' ORDER BY id LIMIT 1")
    # the case page: the case of the unit's most urgent open part
    case_id, = q(f"SELECT case_id FROM assignments WHERE unit_id = {unit_id} AND state NOT IN {done} "
                 "ORDER BY due_date, id LIMIT 1")
    counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}"))
              for t in ("cases", "assignments", "events", "assignment_facts")}
    db.session.rollback()
    return {"rows": counts, "unit_id": unit_id, "unit_open_parts": open_parts, "year": year, "case_id": case_id,
            "handler": handler, "dispatcher": dispatcher}


def pages(d: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """name → (kind, user, URL)."""
    h, dsp, year = d["handler"], d["dispatcher"], d["year"]
    return {
        "待办 (busiest unit)": ("list", h, "/cases/inbox"),
        "case list (that unit, overdue)": ("list", h, "/cases/?overdue=y"),
        "case list (district)": ("list", dsp, "/cases/"),
        "case page": ("case", h, f"/cases/{d['case_id']}"),
        "dashboard (district)": ("dashboard", dsp, f"/dashboard/?year={year}"),
        "dashboard (busiest unit)": ("dashboard", dsp, f"/dashboard/?year={year}&unit_id={d['unit_id']}"),
    }


def measure(client: Client, statements: list[tuple[str, Any]], url: str, n: int) -> dict[str, Any]:
    """``n`` requests and ``n`` raw replays of the page's statements, alternately; milliseconds."""
    page, raw = [], []
    client.get(url)  # once unmeasured: the connection may have idled past its keep-alive time
    connection = db.engine.raw_connection()  # the engine's session settings (jit off), outside the ORM
    try:
        for _ in range(n):
            started = time.perf_counter()
            client.get(url)
            page.append((time.perf_counter() - started) * 1000)
            cursor = connection.cursor()
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            raw.append((time.perf_counter() - started) * 1000)
            connection.rollback()
    finally:
        connection.close()
    return {"url": url, "requests": n, "statements": len(statements),
            "page_p50_ms": round(percentile(page, 50), 1), "page_p95_ms": round(percentile(page, 95), 1),
            "sql_p50_ms": round(percentile(raw, 50), 1), "sql_p95_ms": round(percentile(raw, 95), 1)}


def judged(kind: str, f: dict[str, Any]) -> dict[str, Any]:
    p50, p95, ratio = TARGETS[kind]
    f["ratio_p50"] = round(f["page_p50_ms"] / f["sql_p50_ms"], 2)
    f["ratio_p95"] = round(f["page_p95_ms"] / f["sql_p95_ms"], 2)
    aims = []
    if p50 is not None:
        aims.append((f"p50 <= {p50:.0f} ms", f["page_p50_ms"] <= p50))
    if p95 is not None:
        aims.append((f"p95 <= {p95:.0f} ms", f["page_p95_ms"] <= p95))
    if ratio is not None:  # the dashboard's aim is on p95, the lists' on the typical request
        which = "ratio_p95" if kind == "dashboard" else "ratio_p50"
        aims.append((f"<= {ratio:.0f}x its SQL ({which[6:]})", f[which] <= ratio))
    f["aims"] = {name: met for name, met in aims}
    return f


def concurrent(port: int, cookies: dict[str, str], url: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads requesting ``url`` back to back for ``seconds``, each on its own connection."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def run() -> None:
        c = Client(port)
        c.cookies = dict(cookies)
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            c.get(url)
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"url": url, "clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies),
            "req_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a database of its own for this benchmark (built on first use, then reused)")
    parser.add_argument("--n", type=int, default=200, help="requests per page")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0, help="of the concurrent run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as instance:
        os.environ["CASEFLOW_INSTANCE"] = instance
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
        with app.app_context():
            data = prepare()
            clock.freeze(make_dataset.NOW)
            asked = pages(data)
            # every statement each page sends, captured through the test client as the same user (each
            # request in an app context of its own, as a server's: flask_login keeps the user in ``g``)
            test_clients = {}
            for user in {u for _, u, _ in asked.values()}:
                with app.app_context():
                    test_clients[user] = logged_in(app, user, make_dataset.PASSWORD)
            captured = {}
            for name, (_, user, url) in asked.items():
                with app.app_context():
                    captured[name] = statements_of(test_clients[user], url)
            with gunicorn(args.database_url, instance) as port:
                browsers = {u: Client(port).login(u, make_dataset.PASSWORD) for u in test_clients}
                for _, user, url in asked.values():  # warm the server (plans, caches, templates) once
                    browsers[user].get(url)
                figures = {name: judged(kind, measure(browsers[user], captured[name], url, args.n))
                           for name, (kind, user, url) in asked.items()}
                _, user, url = asked["case page"]
                load = concurrent(port, browsers[user].cookies, url, args.clients, args.seconds)
            # the machine is shared: how busy it was says how much of the figures is queueing for a core
            result = {"benchmark": "http", "server": "gunicorn -c gunicorn.conf.py (2 gthread workers x 4 threads)",
                      "dataset": data, "now": make_dataset.NOW.isoformat(), "pages": figures,
                      "case_page_concurrent": load, "machine": {**machine(), "load_average_1_5_15": os.getloadavg()}}
            clock.freeze(None)
    for name, f in figures.items():
        aims = ", ".join(f"{a}: {'met' if ok else 'MISSED'}" for a, ok in f["aims"].items())
        print(f"{name:32} p50 {f['page_p50_ms']:6.1f} / p95 {f['page_p95_ms']:6.1f} ms; its SQL "
              f"({f['statements']} statements) p50 {f['sql_p50_ms']:6.1f} / p95 {f['sql_p95_ms']:6.1f} ms "
              f"(x{f['ratio_p50']} / x{f['ratio_p95']}); {aims}")
    print(f"case page, {load['clients']} clients: {load['req_per_s']} req/s, p50 {load['p50_ms']} ms, "
          f"p95 {load['p95_ms']} ms ({load['requests']} requests in {load['seconds']} s)")
    print(f"written to {write_result('http', result)}")


if __name__ == "__main__":
    main()
