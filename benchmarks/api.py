"""The JSON API on PostgreSQL at 200,000 cases: the case list (first page, 25 rows) and the busiest
unit's 待办 as JSON through /api/v1 with a token, beside the same lists as HTML pages (logged in) and
the SQL statements each request sends replayed raw, alternately, in the same run.

    python -m benchmarks.api [--cases 200000] [--n 30] [--database-url URL]
"""
from __future__ import annotations

from flask import g, request_started

from benchmarks.common import machine, write_result
from benchmarks.dashboard import arguments, filled_district, get, logged_in, measure
from caseflow.extensions import db
from caseflow.models import User
from caseflow.services.api_tokens import create_token

TARGET_P50_MS = 10.0  # the aim for the JSON lists


def api_client(app, username: str):
    """A test client sending a fresh token of ``username`` with every request (no cookie)."""
    user = db.session.query(User).filter_by(username=username).one()
    _token, secret = create_token(user, user.id, "benchmark")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__, argv, 30)
    with filled_district(args) as (app, data):
        # requests run inside this app context: a fresh ``g`` for each, as a server gives (else the
        # previous request's user, cached in g, answers for the next client)
        request_started.connect(lambda sender, **kw: g._get_current_object().__dict__.clear(), app, weak=False)
        handler = f"u{data.busy_unit_id}_handler"
        clients = {
            "json_cases": (api_client(app, data.dispatcher), "/api/v1/cases?limit=25"),
            "html_cases": (logged_in(app, data.dispatcher, data.password), "/cases/"),
            "json_inbox": (api_client(app, handler), "/api/v1/inbox?limit=25"),
            "html_inbox": (logged_in(app, handler, data.password), "/cases/inbox"),
        }
        for client, url in clients.values():  # warm the caches (rows, plans, templates) once for all
            get(client, url)
        figures = {name: measure(client, url, args.n) for name, (client, url) in clients.items()}
        for name, f in figures.items():  # the aim is the JSON lists'; the pages are the comparison
            f.pop("target"), f.pop("target_met")
            if name.startswith("json"):
                f.update(target=f"p50 <= {TARGET_P50_MS:.0f} ms", target_met=f["page_p50_ms"] <= TARGET_P50_MS)
        result = {"benchmark": "api", "dataset": {"rows": data.counts, "unit_id": data.busy_unit_id,
                                                  "build_s": round(data.seconds, 1)},
                  **figures, "machine": machine()}
    for name, f in figures.items():
        target = f" target {f['target']}: {'met' if f['target_met'] else 'MISSED'}" if name.startswith("json") else ""
        print(f"{name} {f['url']}: p50 {f['page_p50_ms']:.1f} ms / p95 {f['page_p95_ms']:.1f} ms, raw SQL "
              f"({f['statements']} statements) p50 {f['raw_p50_ms']:.1f} ms / p95 {f['raw_p95_ms']:.1f} ms;{target}")
    print(f"written to {write_result('api', result)}")


if __name__ == "__main__":
    main()
