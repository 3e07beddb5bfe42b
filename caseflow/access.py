"""Who may see what. Visibility is a query filter, so lists and URLs agree; who may open which
page is the rule book's answer (``pages`` in workflows/base.yaml)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, exists, false, or_, select, true

from caseflow.extensions import db
from caseflow.models import Assignment, Case, CaseCosigner, Reply, User
from caseflow.workflow import engine, spec


def page_required(page: str) -> Callable:
    """Login required, then 403 unless the rule book lets the user open ``page``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not engine.page_allowed(current_user, page):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def case_filter(user: User):
    """SQL condition on ``Case`` that is true exactly for the cases ``user`` may see."""
    scope = spec.scope_of(user.role)
    if scope == "all":
        return true()
    if scope == "unit":
        return exists().where(Assignment.case_id == Case.id, Assignment.unit_id == user.unit_id)
    if scope == "own":
        return or_(
            Case.lead_proposer_id == user.proposer_id,
            exists().where(
                CaseCosigner.case_id == Case.id, CaseCosigner.proposer_id == user.proposer_id
            ),
        )
    return false()


def may_read_draft(user: User, reply: Reply) -> bool:
    """An unsigned reply is its unit's own business, and the business of those who see every case
    (督查科 reviews replies); proposers and other units see a reply once it is signed."""
    return reply.replied_at is not None or spec.scope_of(user.role) == "all" or (
        spec.scope_of(user.role) == "unit" and user.unit_id == reply.assignment.unit_id)


def visible_cases(user: User) -> Select:
    return select(Case).where(case_filter(user))


def get_visible_case(user: User, case_id: int, options: tuple = ()) -> Case:
    """The case (loaded with ``options``), or 404 when it does not exist or the user may not see it
    (no existence leak)."""
    case = db.session.scalars(visible_cases(user).where(Case.id == case_id).options(*options)).first()
    if case is None:
        abort(404)
    return case
