"""No input gives a server error: Hypothesis drives every route of the URL map, as every role and
anonymously, with generated path values, query parameters and form fields.

FUZZ_REQUESTS (default 10,000) is the number of requests over all roles; the terminal summary
prints how many were made and how many answered ≥ 500 (a traceback fails the test at once: the
app runs with TESTING, so an exception reaches the test instead of becoming a 500 page).
Every POST carries the client's real CSRF token (unless the fuzzed fields replace it), so that the
fields reach the forms' validation and the services.
"""
from __future__ import annotations

import logging
import os
import re
from html import unescape
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter

from caseflow.models import LoginSession, User
from caseflow.passwords import hash_password
from caseflow.services import access_links
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.service.world import START, World

REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "10000"))
ROLES = ["anonymous", "admin", "dispatcher", "supervisor", "lead_handler", "lead_leader", "proposer"]
PER_ROLE = -(-REQUESTS // len(ROLES))  # at least REQUESTS in all
ARGUMENT = re.compile(r"<(?:[^>]*:)?(\w+)>")
NAME = re.compile(r'name="([^"]+)"')
VALUE = re.compile(r'value="([^"]{0,60})"')
NUMBER = re.compile(r"(?<=/)\d+(?=[/\"?.])")
FORM_ACTION = re.compile(r'<form method="post" action="(/[^"]*)"')
# numbers around the database's and Python's limits, and a few that parse oddly
ODD_NUMBERS = ["0", "-1", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
               "99999999999999999999", "1e3", "0x10", "１２", "²", "1_000", " 7 ", "", "NaN"]
QUERY_NAMES = ["page", "year", "q", "body", "unit_id", "session_id", "state", "category_id", "overdue", "key_case",
               "figure", "next", "username", "case_id", "lang", "kind", "format", "sort"]


@pytest.fixture
def world(make, db, frozen_clock, monkeypatch):
    """A district with cases at several stages, a personal link, and cheap PDFs (the HTML is still built)."""
    frozen_clock(START)
    w = World(make, db)
    w.open_cases = [w.registered(), w.assigned(), w.replied(), w.evaluated()]
    _, w.token, _ = access_links.create_link(w["dispatcher"], w.proposer_row.id)
    monkeypatch.setattr("caseflow.reports.render.html_to_pdf", lambda html: b"%PDF-1.4 fuzz")
    return w


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _logged_in(app, login, w, role):
    if role == "anonymous":
        return app.test_client()
    return login(w[role])


def _harvest(client, app, w, ints):
    """Field names, values, ids and the targets of forms on the pages the role can open with the ids of
    the world's cases."""
    names, values, actions = set(), set(), set()
    for rule, method in _rules(app):
        if method != "GET":
            continue
        for n in [c.id for c in w.open_cases]:
            path = ARGUMENT.sub(lambda m, r=rule, n=n: _known(r, m.group(1), n, w), rule.rule)
            response = client.get(path)
            if response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
            names.update(NAME.findall(html))
            actions.update(unescape(a) for a in FORM_ACTION.findall(html))
            values.update(VALUE.findall(html))
            ints.extend(int(x) for x in NUMBER.findall(html) if int(x) not in ints and len(x) < 6)
    return sorted(names), sorted(values), sorted(actions)


def _known(rule, arg, n, w):
    converter = rule._converters[arg]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[n % len(converter.items)]
    if isinstance(converter, IntegerConverter):
        return str(n)
    return w.token if arg == "token" else str(n)


def _path_value(converter, ints, w):
    if isinstance(converter, AnyConverter):
        return st.one_of(st.sampled_from(sorted(converter.items)), st.text(max_size=8))
    if isinstance(converter, IntegerConverter):
        return st.one_of(st.sampled_from(ints).map(str), st.sampled_from(ODD_NUMBERS),
                         st.integers(min_value=-(2**70), max_value=2**70).map(str))
    return st.one_of(st.just(w.token), st.just(w.token[:-3] + "abc"), st.text(min_size=1, max_size=30))


def _value(values, ints):
    return st.one_of(st.sampled_from(values or [""]), st.sampled_from(ODD_NUMBERS), st.sampled_from(ints).map(str),
                     st.text(max_size=40), st.dates().map(str), st.just("2025-02-30"), st.just("x" * 5000))


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_input_gives_a_server_error(app, login, world, role, db, caplog, record_property):
    client = _logged_in(app, login, world, role)
    token = csrf_token(client.get("/public/").get_data(as_text=True))
    user = None if role == "anonymous" else world[role]
    ints = sorted({world.session.year, *(c.id for c in world.open_cases), *(u.id for u in world.users.values()),
                   world.lead.id, world.co.id, world.proposer_row.id, world.session.id})
    names, values, actions = _harvest(client, app, world, ints)
    rules = list(_rules(app))
    caplog.set_level(logging.WARNING)

    def relogin_if_signed_out():
        """A fuzzed logout, 全部下线 or password reset ends the role's session: log in again."""
        nonlocal client, token
        if user is None or db.session.query(LoginSession).filter_by(user_id=user.id, ended_at=None).count():
            return
        db.session.get(User, user.id).password_hash = hash_password(PASSWORD)
        db.session.commit()
        client = login(user)
        token = csrf_token(client.get("/public/").get_data(as_text=True))

    fields = st.dictionaries(st.one_of(st.sampled_from(names or ["x"]), st.text(min_size=1, max_size=8)),
                             _value(values, ints), max_size=8)
    queries = st.dictionaries(st.one_of(st.sampled_from(QUERY_NAMES), st.text(min_size=1, max_size=8)),
                              _value(values, ints), max_size=4)
    by_rule = st.sampled_from(rules).flatmap(lambda rm: st.tuples(
        st.just(rm[1]),
        st.fixed_dictionaries({arg: _path_value(conv, ints, world) for arg, conv in rm[0]._converters.items()})
        .map(lambda values, rule=rm[0]: ARGUMENT.sub(lambda m: quote(values[m.group(1)], safe=""), rule.rule)),
        queries, fields if rm[1] == "POST" else st.just({})))
    # the forms the role is offered, posted with fuzzed fields (a case action needs its action and row)
    offered = st.tuples(st.just("POST"), st.sampled_from(actions or ["/logout"]), st.just({}), fields)
    request = st.one_of(by_rule, offered)

    @settings(max_examples=PER_ROLE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request)
    def one_request(req):
        method, path, query, form = req
        relogin_if_signed_out()
        fuzz_counter["requests"] += 1
        try:
            response = client.open(path, method=method, query_string=query,
                                   data={"csrf_token": token, **form} if method == "POST" else form)
        except Exception:  # TESTING: an unhandled exception reaches us instead of a 500 page
            fuzz_counter["server_errors"] += 1
            raise
        if response.status_code >= 500:
            fuzz_counter["server_errors"] += 1
        assert response.status_code < 500, f"{method} {path} {query} {form} → {response.status_code}"

    fuzz_counter = {"requests": 0, "server_errors": 0}
    try:
        one_request()
    finally:  # the terminal summary adds these up (tests/conftest.py)
        record_property("fuzz_requests", fuzz_counter["requests"])
        record_property("fuzz_server_errors", fuzz_counter["server_errors"])
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, tracebacks[0].getMessage()
    assert fuzz_counter["requests"] >= PER_ROLE
