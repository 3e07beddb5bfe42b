"""The dashboard on PostgreSQL at 200,000 cases / 500,000 assignments: GET /dashboard/ for the
busiest year, for the district and for its busiest unit, as the dispatcher through the Flask test
client, against the same SQL statements (captured during one request, same parameters) sent raw
on a DBAPI connection of the same engine, run alternately, in the same run.

    python -m benchmarks.dashboard [--cases 200000] [--n 20] [--database-url URL]
"""
from __future__ import annotations

import argparse
import math
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from benchmarks import make_dataset
from benchmarks.common import DEFAULT_URL, fresh_app, machine, write_result
from caseflow import clock
from caseflow.extensions import db

MAX_P95_MS, MAX_RATIO = 50.0, 2.0  # the targets


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def logged_in(app: Flask, username: str, password: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    if client.post("/login", data={"username": username, "password": password, "csrf_token": token}).status_code != 302:
        raise RuntimeError("login failed")
    return client


def statements_of(client, url: str) -> list[tuple[str, Any]]:
    """Every statement (with its parameters) that one request sends."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        get(client, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return sent


def get(client, url: str) -> None:
    status = client.get(url).status_code
    if status != 200:
        raise RuntimeError(f"{url}: {status}")


def measure(client, url: str, n: int) -> dict[str, Any]:
    """``n`` requests and ``n`` raw replays of their statements, alternately; milliseconds."""
    statements = statements_of(client, url)
    page, raw = [], []
    per_statement: dict[int, list[float]] = defaultdict(list)
    connection = db.engine.raw_connection()  # the engine's settings (jit off), outside the ORM
    try:
        for _ in range(n):
            started = time.perf_counter()
            get(client, url)
            page.append((time.perf_counter() - started) * 1000)
            cursor = connection.cursor()
            started = time.perf_counter()
            for i, (statement, parameters) in enumerate(statements):
                t = time.perf_counter()
                cursor.execute(statement, parameters)
                cursor.fetchall()
                per_statement[i].append((time.perf_counter() - t) * 1000)
            connection.rollback()
            raw.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    slowest = sorted(per_statement, key=lambda i: -percentile(per_statement[i], 50))[:6]
    p = {name: (round(percentile(xs, 50), 1), round(percentile(xs, 95), 1))
         for name, xs in (("page", page), ("raw", raw))}
    return {
        "url": url, "requests": n, "statements": len(statements),
        "page_p50_ms": p["page"][0], "page_p95_ms": p["page"][1], "raw_p50_ms": p["raw"][0], "raw_p95_ms": p["raw"][1],
        "ratio_p95": round(p["page"][1] / p["raw"][1], 2),
        "target": f"p95 <= {MAX_P95_MS:.0f} ms and <= {MAX_RATIO:.0f}x raw",
        "target_met": p["page"][1] <= MAX_P95_MS and p["page"][1] <= MAX_RATIO * p["raw"][1],
        "slowest_statements_p50_ms": [
            {"ms": round(percentile(per_statement[i], 50), 1), "sql": " ".join(statements[i][0].split())[:110]}
            for i in slowest],
    }


def arguments(doc: str, argv: list[str] | None, n: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--n", type=int, default=n, help="requests per URL")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    return parser.parse_args(argv)


@contextmanager
def filled_district(args: argparse.Namespace) -> Iterator[tuple[Flask, make_dataset.Dataset]]:
    """A fresh database filled by make_dataset, the clock frozen at its end (inside the app context)."""
    with fresh_app(args.database_url) as app:
        data = make_dataset.fill(db.engine.url.render_as_string(hide_password=False), args.cases)
        print(f"dataset: {data.counts['cases']:,} cases, {data.counts['assignments']:,} assignments, "
              f"{data.counts['events']:,} events in {data.seconds:.0f} s")
        clock.freeze(make_dataset.NOW)
        yield app, data


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv, 20)
    with filled_district(args) as (app, data):
        client = logged_in(app, data.dispatcher, data.password)
        district = f"/dashboard/?year={data.busy_year}"
        urls = {"district": district, "unit": f"{district}&unit_id={data.busy_unit_id}"}
        for url in urls.values():  # warm the caches (rows, plans, templates) once for both halves
            get(client, url)
        figures = {name: measure(client, url, args.n) for name, url in urls.items()}
        result = {"benchmark": "dashboard", "dataset": {
            "rows": data.counts, "years": [data.years[0], data.years[-1]], "year": data.busy_year,
            "unit_id": data.busy_unit_id, "build_s": round(data.seconds, 1)}, **figures, "machine": machine()}
    for name, f in figures.items():
        print(f"{name} {f['url']}: page p50 {f['page_p50_ms']:.0f} ms / p95 {f['page_p95_ms']:.0f} ms, raw SQL "
              f"({f['statements']} statements) p50 {f['raw_p50_ms']:.0f} ms / p95 {f['raw_p95_ms']:.0f} ms, "
              f"×{f['ratio_p95']}; target {f['target']}: {'met' if f['target_met'] else 'MISSED'}")
    print(f"written to {write_result('dashboard', result)}")


if __name__ == "__main__":
    main()
