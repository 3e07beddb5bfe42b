"""The statistics' facts: one ``AssignmentFact`` row per assignment, derived from the event log and
the source rows (replies, co-opinions, feedback, contacts, disclosures, follow-ups).

One definition serves both ways of writing them: :func:`source` is the SQL that computes the rows,
run for the cases a transaction touched (every Event the engine writes marks its case, unless its
action says ``counted: false`` in the rule book, and ``services.base.transaction`` refreshes the
marked cases before it commits), or for every case (``flask stats rebuild``). ``--check``
compares the stored rows with a fresh computation.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Date, Delete, Insert, Integer, Select, and_, bindparam, case, cast, delete, exists, func, insert, select, text,
    true,
)
from sqlalchemy.orm import aliased

from caseflow.extensions import db
from caseflow.models import (
    Assignment, Case, CoOpinion, Contact, Disclosure, Event, Feedback, FollowUp, Reply, ResultClass, Session,
)
from caseflow.models.assignment import DONE
from caseflow.models.fact import AssignmentFact
from caseflow.workflow import spec

DIRTY = "facts_dirty_cases"  # session.info key: the cases whose facts the transaction must refresh


# -- SQL of both dialects ----------------------------------------------------------------------------

def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def local_date(column: Any) -> Any:
    """The Shanghai date of a UTC timestamp (UTC+8 all year: China has no summer time)."""
    if postgres():
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours", type_=Date)


def local_month(column: Any) -> Any:
    """202503: the Shanghai year and month of a UTC timestamp, as one integer."""
    if postgres():
        local = func.timezone("Asia/Shanghai", column)
        return cast(func.extract("year", local) * 100 + func.extract("month", local), Integer)
    return cast(func.strftime("%Y%m", column, "+8 hours"), Integer)


def days_between(later: Any, earlier: Any) -> Any:
    if postgres():
        return later - earlier
    return func.julianday(later) - func.julianday(earlier)


def _json_date(value: Any) -> Any:
    return cast(value, Date) if postgres() else func.date(value, type_=Date)


# -- the computation -------------------------------------------------------------------------------

def _assigned_due(case_id: Any, unit_id: Any) -> Any:
    """The due date given at 交办 (or 追加交办), from the event's payload."""
    if postgres():
        unit = func.json_array_elements(Event.payload["units"]).table_valued("value").alias("unit")
        due, unit_of = unit.c.value.op("->>")("due_date"), cast(unit.c.value.op("->>")("unit_id"), Integer)
    else:
        unit = func.json_each(Event.payload, "$.units").table_valued("value").alias("unit")
        due, unit_of = func.json_extract(unit.c.value, "$.due_date"), func.json_extract(unit.c.value, "$.unit_id")
    return (select(_json_date(due)).select_from(Event).join(unit, true())
            .where(Event.case_id == case_id, Event.transition.in_(("assign", "add_units")), unit_of == unit_id)
            .order_by(Event.at).limit(1).scalar_subquery())


def _due_then(moment: Any, extensions: bool) -> Any:
    """The due date in force at ``moment``: the last approved 延期 (when ``extensions``) or calendar
    recomputation before it, else the one given at 交办. Read from the events, because 重新办理
    overwrites the assignment's due dates.

    The 交办 due date is the assignment's ``original_due_date`` unless 重新办理 (``reopen``) or a
    calendar recomputation (``due_recomputed``) rewrote it, and both record an event: only then is
    the 交办 event's JSON read."""
    changes = ["due_recomputed"] + (["approve_extension"] if extensions else [])
    changed = (select(_json_date(Event.payload["new_due"].as_string()))
               .where(Event.assignment_id == Assignment.id, Event.transition.in_(changes), Event.at < moment)
               .order_by(Event.at.desc(), Event.id.desc()).limit(1).scalar_subquery())
    rewritten = exists().where(Event.assignment_id == Assignment.id,
                               Event.transition.in_(("reopen", "due_recomputed")))
    original = Assignment.original_due_date
    assigned = case((rewritten, func.coalesce(_assigned_due(Assignment.case_id, Assignment.unit_id), original)),
                    else_=original)
    return func.coalesce(changed, assigned)


def source() -> Select:
    """The fact rows of every assignment that counts, in the order of ``COLUMNS``."""
    # 首次答复 is reply 1: a reply can only be drafted once the one before was sent
    first = aliased(Reply, name="first_reply")
    replied_on = local_date(first.replied_at)
    answered_at = func.coalesce(first.replied_at, CoOpinion.sent_at)
    latest_class = (select(Reply.result_class_id)
                    .where(Reply.assignment_id == Assignment.id, Reply.replied_at.is_not(None))
                    .order_by(Reply.replied_at.desc(), Reply.id.desc()).limit(1)
                    .correlate(Assignment).scalar_subquery())
    before_reply = Contact.contacted_on <= func.coalesce(replied_on, Contact.contacted_on)
    original, current = aliased(ResultClass), aliased(ResultClass)
    disclosed = (select(Disclosure.id).join(Reply, Reply.id == Disclosure.reply_id)
                 .where(Reply.assignment_id == Assignment.id))
    query = (
        select(
            Assignment.id, Assignment.case_id, Assignment.unit_id, Case.body, Case.session_id, Session.year,
            Assignment.role.in_(spec.answering_roles()),
            and_(Assignment.state.not_in(DONE), Case.state.not_in(spec.group("case", "ended"))),
            local_date(Assignment.assigned_at), local_month(Assignment.assigned_at), Assignment.due_date,
            first.replied_at, replied_on, local_month(first.replied_at),
            local_date(CoOpinion.sent_at),
            _due_then(answered_at, extensions=True), _due_then(answered_at, extensions=False),
            latest_class,
            select(Feedback.overall).where(Feedback.case_id == Assignment.case_id, Feedback.ordinal == 1)
            .scalar_subquery(),
            select(Feedback.overall).where(Feedback.case_id == Assignment.case_id, Feedback.overall != "no_response")
            .order_by(Feedback.ordinal.desc()).limit(1).scalar_subquery(),
            exists().where(Contact.assignment_id == Assignment.id, Contact.kind == "meeting", before_reply),
            exists().where(Contact.assignment_id == Assignment.id, before_reply),
            exists(disclosed.where(Disclosure.state.in_(spec.group("disclosure", "on_portal")))),
            exists(disclosed.where(Disclosure.state.in_(spec.group("disclosure", "kept_private")))),
            exists().where(FollowUp.assignment_id == Assignment.id),
            exists(select(FollowUp.id)
                   .join(original, original.id == FollowUp.original_result_class_id)
                   .join(current, current.id == FollowUp.current_result_class_id)
                   .where(FollowUp.assignment_id == Assignment.id, current.position < original.position)),
        )
        .join(Case, Case.id == Assignment.case_id)
        .join(Session, Session.id == Case.session_id)
        .outerjoin(first, and_(first.assignment_id == Assignment.id, first.ordinal == 1, first.replied_at.is_not(None)))
        .outerjoin(CoOpinion, CoOpinion.assignment_id == Assignment.id)
        .where(Assignment.state.not_in(spec.group("assignment", "gone")), Case.state.not_in(spec.group("case", "void")))
    )
    return query


COLUMNS = ("assignment_id", "case_id", "unit_id", "body", "session_id", "year", "lead", "open", "assigned_on",
           "assigned_ym", "due_date", "replied_at", "replied_on", "replied_ym", "opinion_on", "due_then",
           "due_then_assigned", "class_id", "first_overall", "final_overall", "met", "contacted", "published",
           "withheld", "followed_up", "converted")


@cache
def _refresh_statements(dialect: str) -> tuple[Delete, Insert]:
    """The two statements of :func:`refresh`, built once per dialect: building ``source`` took
    longer than running it for one case (every service's commit runs them)."""
    case_ids = bindparam("case_ids", expanding=True)
    facts = AssignmentFact.__table__  # Core statements: the ORM would take the parameters for rows
    return (delete(facts).where(facts.c.case_id.in_(case_ids)),
            insert(facts).from_select(COLUMNS, source().where(Assignment.case_id.in_(case_ids))))


def refresh(case_ids: Iterable[int]) -> None:
    """Write the facts of these cases' assignments anew (in the caller's transaction)."""
    ids = sorted(set(case_ids))
    remove, add = _refresh_statements(db.session.get_bind().dialect.name)
    db.session.execute(remove, {"case_ids": ids})
    db.session.execute(add, {"case_ids": ids})


# -- the transaction's changed cases -----------------------------------------------------------------

def mark(case: Case | int) -> None:
    """The case (or the case of this id) changed in this transaction: its facts are refreshed
    before the commit."""
    db.session.info.setdefault(DIRTY, set()).add(case)


def mark_year(body: str, year: int) -> None:
    """Every case of a body's year: a change of its result classes' order (回头看 conversions)."""
    for case_id in db.session.scalars(select(AssignmentFact.case_id).distinct().where(
            AssignmentFact.body == body, AssignmentFact.year == year)):
        mark(case_id)


def refresh_marked() -> None:
    """Refresh the marked cases' facts: the last statements of a service's transaction
    (``services.base.transaction`` commits next)."""
    marked = db.session.info.pop(DIRTY, set())
    if not marked:
        return
    db.session.flush()
    case_ids = [c if isinstance(c, int) else c.id for c in marked]
    if not postgres():
        refresh(case_ids)
        return
    # On PostgreSQL the statements go out together (psycopg's pipeline: one round trip, not one
    # each). Planning the facts' query for a case took longer than running it, at every commit: once
    # psycopg has prepared it (its fifth run on a connection) the server keeps one plan, which fits
    # any few cases (by the case_id index). Only until the commit, so the pages' plans stay custom
    # (extensions.configure_postgresql).
    with db.session.connection().connection.driver_connection.pipeline():
        db.session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        refresh(case_ids)


def forget_marked() -> None:
    db.session.info.pop(DIRTY, None)


# -- rebuild and check ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    assignment_id: int
    column: str  # "(missing)" or "(extra)" for a whole row
    stored: Any
    computed: Any


def rebuild(missing_only: bool = False) -> int:
    """Compute the facts of every case (or only of cases that have none yet); the rows written."""
    if missing_only:
        query = source().where(~exists().where(AssignmentFact.case_id == Assignment.case_id))
    else:
        db.session.execute(delete(AssignmentFact))
        query = source()
    # an INSERT's rowcount is kept only when asked for: psycopg's closed cursor says -1
    result = db.session.execute(insert(AssignmentFact).from_select(COLUMNS, query),
                                execution_options={"preserve_rowcount": True})
    db.session.commit()
    if postgres():  # the planner's statistics of the rewritten table (autovacuum would take a while)
        db.session.execute(text("ANALYZE assignment_facts"))
        db.session.commit()
    return result.rowcount


def differences(limit: int = 100, case_ids: Iterable[int] | None = None) -> list[Difference]:
    """Where the stored facts (of every case, or of these) differ from a fresh computation (at most
    ``limit`` of them)."""
    fresh, kept = source(), select(*(getattr(AssignmentFact, c) for c in COLUMNS))
    if case_ids is not None:
        fresh, kept = fresh.where(Assignment.case_id.in_(case_ids)), kept.where(AssignmentFact.case_id.in_(case_ids))
    computed = {row[0]: row for row in db.session.execute(fresh)}
    stored = {row[0]: row for row in db.session.execute(kept)}
    found = []
    for key in sorted(computed.keys() | stored.keys()):
        if key not in stored:
            found.append(Difference(key, "(missing)", None, computed[key]))
        elif key not in computed:
            found.append(Difference(key, "(extra)", stored[key], None))
        else:
            found += [Difference(key, name, a, b) for name, a, b in zip(COLUMNS, stored[key], computed[key])
                      if _normal(a) != _normal(b)]
    return found[:limit]


def _normal(value: Any) -> Any:
    """A computed SQLite value as the stored column reads it (0/1 for booleans, text dates)."""
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if hasattr(value, "isoformat") and not isinstance(value, int) else value
