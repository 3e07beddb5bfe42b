"""Two transitions on one row at the same moment, over two real PostgreSQL connections:
exactly one wins, the other is told the row changed (409), and one event is written."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from caseflow.errors import Conflict
from caseflow.models import Assignment, Event, User
from caseflow.services import assignments, base
from tests.service.world import START, World

pytestmark = pytest.mark.postgres


def test_two_concurrent_transitions_exactly_one_wins(app, committed, make, monkeypatch, frozen_clock):
    frozen_clock(START)
    w = World(make, committed)
    a = w.lead_of(w.assigned(co=False))
    a_id, version = a.id, a.version
    handler_id, other_id = w["lead_handler"].id, w.make.user("handler", unit=w.lead).id
    committed.session.remove()

    both_loaded = threading.Barrier(2, timeout=10)
    real_get = base.get

    def get_then_wait(model, row_id, version=None):
        row = real_get(model, row_id, version)
        both_loaded.wait()  # both threads hold version 1 before either writes
        return row

    monkeypatch.setattr(assignments, "get", get_then_wait)
    results = {}

    def run(name, call, user_id):
        with app.app_context():
            frozen_clock(START)
            try:
                call(committed.session.get(User, user_id))
                results[name] = "ok"
            except Conflict:
                results[name] = "conflict"
            except Exception as e:  # reported by the assertion below
                results[name] = repr(e)
            finally:
                committed.session.remove()

    threads = [
        threading.Thread(target=run, args=("accept", lambda u: assignments.accept(u, a_id, version), handler_id)),
        threading.Thread(target=run, args=("return", lambda u: assignments.request_return(
            u, a_id, version, "不属本单位职责"), other_id)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results.values()) == ["conflict", "ok"], results
    with app.app_context():
        row = committed.session.get(Assignment, a_id)
        winner = "accept" if results["accept"] == "ok" else "return"
        assert row.state == {"accept": "accepted", "return": "return_requested"}[winner]
        assert row.version == version + 1
        n = committed.session.scalar(select(func.count()).select_from(Event).where(
            Event.assignment_id == a_id, Event.transition.in_(("accept", "request_return"))))
        assert n == 1
