"""What every service shares: loading rows at the version the user saw, one commit."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from caseflow import facts
from caseflow.errors import Conflict, NotFound, ValidationError
from caseflow.extensions import db

T = TypeVar("T")

# fragments of the database's error text (PostgreSQL names the constraint, SQLite
# the columns) → the message a user understands, and the field it belongs to
CONSTRAINT_MESSAGES = [
    (("uq_cases_body_session_id_number", "cases.body, cases.session_id, cases.number"),
     _l("本届次已有相同编号的案件。"), "number"),
    (("uq_users_username", "users.username"), _l("用户名已存在。"), "username"),
    (("uq_assignments_case_id_unit_id", "assignments.case_id, assignments.unit_id"),
     _l("该单位已是本件的承办单位。"), "units"),
    (("ck_users_unit_role_has_unit",), _l("经办人和单位负责人必须属于一个承办单位。"), "unit"),
    (("lead_proposer_id",), _l("请指定领衔代表/提案者。"), "lead_proposer"),
    (("uq_units_name", "units.name"), _l("已有同名的单位。"), "name"),
    (("uq_sessions_body_term_meeting", "sessions.body, sessions.term, sessions.meeting"),
     _l("该届次已存在（同一类别的届和次不能重复）。"), "meeting"),
]


_depth: ContextVar[int] = ContextVar("transaction_depth", default=0)


@contextmanager
def transaction() -> Iterator[None]:
    """Commit once at the end; on any error roll back everything and explain it.

    A nested use (an import running many services) joins the outer transaction: only the
    outermost one commits or rolls back, so a batch is all-or-nothing.
    """
    if _depth.get():
        yield  # the outermost transaction flushes and commits
        return
    token = _depth.set(1)
    try:
        yield
        facts.refresh_marked()  # the statistics' facts of the cases this transaction changed
        db.session.commit()
    except StaleDataError:
        _roll_back()
        raise Conflict() from None
    except IntegrityError as e:
        _roll_back()
        raise integrity_message(e) from e
    except BaseException:
        _roll_back()
        raise
    finally:
        _depth.reset(token)


def _roll_back() -> None:
    facts.forget_marked()
    db.session.rollback()


def integrity_message(e: IntegrityError) -> ValidationError:
    text = str(e.orig)
    for fragments, message, field in CONSTRAINT_MESSAGES:
        if any(f in text for f in fragments):
            return ValidationError(message, field)
    return ValidationError(_("数据不符合约束，未保存。"))


@cache
def _load_with() -> dict[type, tuple]:
    """What the services always read next: loading it with the row saves round trips (an
    assignment, its case and the case's other assignments in one statement)."""
    from caseflow.models import Assignment, Case

    return {
        Assignment: (joinedload(Assignment.case).joinedload(Case.assignments),),
        Case: (selectinload(Case.assignments),),
    }


def get(model: type[T], row_id: int, version: int | None = None) -> T:
    """The row, or NotFound; Conflict when ``version`` is given and is not the current one."""
    row = db.session.get(model, row_id, options=_load_with().get(model, ()))
    if row is None:
        raise NotFound(_("记录不存在。"))
    if version is not None and row.version != version:
        raise Conflict()
    return row
