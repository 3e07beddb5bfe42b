"""The database refuses bad rows by itself (CHECK, UNIQUE, FK, NOT NULL, triggers)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from caseflow.models import Event
from caseflow.workflow import spec


def _refused(db, statement, **params):
    with pytest.raises((IntegrityError, DBAPIError)):
        with db.session.begin_nested():
            db.session.execute(text(statement), params)


def test_duplicate_number_in_same_session_refused(db, make):
    case = make.case(number=10)
    _refused(db, "INSERT INTO cases (body, session_id, number, title, text, lead_proposer_id, consent,"
                 " no_written_reply, key_case, state, registered_at, version)"
                 " VALUES (:body, :sid, 10, 'x', '', :lead, 'full', false, false, 'registered', CURRENT_TIMESTAMP, 1)",
             body=case.body, sid=case.session_id, lead=case.lead_proposer_id)


def test_same_number_in_another_session_allowed(db, make):
    a = make.case(number=10)
    b = make.case(number=10)
    assert a.number == b.number and a.session_id != b.session_id


def test_case_body_must_match_its_session(db, make):
    npc = make.session(body="npc_suggestion")
    proposer = make.proposer()
    _refused(db, "INSERT INTO cases (body, session_id, number, title, text, lead_proposer_id, consent,"
                 " no_written_reply, key_case, state, registered_at, version)"
                 " VALUES ('cppcc_proposal', :sid, 1, 'x', '', :lead, 'full', false, false, 'registered', CURRENT_TIMESTAMP, 1)",
             sid=npc.id, lead=proposer.id)


def test_case_without_lead_proposer_refused(db, make):
    session = make.session()
    _refused(db, "INSERT INTO cases (body, session_id, number, title, text, consent, no_written_reply, key_case,"
                 " state, registered_at, version)"
                 " VALUES (:body, :sid, 1, 'x', '', 'full', false, false, 'registered', CURRENT_TIMESTAMP, 1)",
             body=session.body, sid=session.id)


@pytest.mark.parametrize("column, value", [("state", "bogus"), ("consent", "maybe"), ("body", "court_case")])
def test_bad_enum_values_refused(db, make, column, value):
    case = make.case()
    _refused(db, f"UPDATE cases SET {column} = :v WHERE id = :id", v=value, id=case.id)


def test_every_workflow_state_is_accepted_by_the_check_constraint(db, make):
    """Each machine's CHECK holds exactly the rule book's states: every one is stored, a near miss
    is refused."""
    case = make.case()
    for table, machine in (("cases", "case"), ("assignments", "assignment"), ("disclosures", "disclosure")):
        row_id = {"cases": case.id}.get(table) or _row_of(db, make, table, case)
        for state in spec.states(machine):
            with db.session.begin_nested():
                db.session.execute(text(f"UPDATE {table} SET state = :s WHERE id = :id"), {"s": state, "id": row_id})
            assert db.session.execute(text(f"SELECT state FROM {table} WHERE id = :id"),
                                      {"id": row_id}).scalar_one() == state
        _refused(db, f"UPDATE {table} SET state = :s WHERE id = :id", s=spec.states(machine)[0] + "x", id=row_id)


def _row_of(db, make, table: str, case) -> int:
    """An assignment (or a reply's disclosure) of ``case``, written directly."""
    from datetime import date

    from caseflow.models import Assignment, Disclosure, Reply

    unit = make.unit()
    a = Assignment(case_id=case.id, unit_id=unit.id, role="lead", state="pending", original_due_date=date(2025, 6, 1),
                   due_date=date(2025, 6, 1))
    db.session.add(a)
    db.session.flush()
    if table == "assignments":
        return a.id
    reply = Reply(case_id=case.id, assignment_id=a.id, ordinal=1)
    db.session.add(reply)
    db.session.flush()
    d = Disclosure(case_id=case.id, reply_id=reply.id, scope="full", published_text="公开文本", reason="理由")
    db.session.add(d)
    db.session.flush()
    return d.id


def test_handler_without_unit_refused(db, make):
    _refused(db, "INSERT INTO users (username, name, password_hash, role, active, created_at, version)"
                 " VALUES ('h', 'h', 'x', 'handler', true, CURRENT_TIMESTAMP, 1)")


def test_unknown_role_refused(db):
    _refused(db, "INSERT INTO users (username, name, password_hash, role, active, created_at, version)"
                 " VALUES ('h', 'h', 'x', 'boss', true, CURRENT_TIMESTAMP, 1)")


def test_foreign_keys_enforced(db, make):
    case = make.case()
    _refused(db, "UPDATE cases SET lead_proposer_id = 999999 WHERE id = :id", id=case.id)


def test_events_are_append_only(db, make):
    case = make.case()
    db.session.add(Event(case_id=case.id, transition="register", to_state="registered"))
    db.session.flush()
    _refused(db, "UPDATE events SET comment = 'changed' WHERE case_id = :id", id=case.id)
    _refused(db, "DELETE FROM events WHERE case_id = :id", id=case.id)
    assert db.session.query(Event).filter_by(case_id=case.id).count() == 1


def test_stale_version_write_is_refused(db, make):
    """version_id_col: an UPDATE that expects an old version changes nothing."""
    from sqlalchemy.orm.exc import StaleDataError

    case = make.case()
    db.session.execute(text("UPDATE cases SET version = version + 1 WHERE id = :id"), {"id": case.id})
    case.title = "新标题"
    with pytest.raises(StaleDataError):
        db.session.flush()
