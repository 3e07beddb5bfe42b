"""Who may see what. Visibility is a query filter, so lists and URLs agree."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, exists, or_, select

from caseflow.extensions import db
from caseflow.models import Assignment, Case, CaseCosigner, User

SEE_ALL = ("admin", "dispatcher", "supervisor")


def roles_required(*roles: str) -> Callable:
    """Login required, then 403 unless the user has one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def case_filter(user: User):
    """SQL condition on ``Case`` that is true exactly for the cases ``user`` may see."""
    if user.role in SEE_ALL:
        return True
    if user.role in ("handler", "unit_leader"):
        return exists().where(Assignment.case_id == Case.id, Assignment.unit_id == user.unit_id)
    if user.role == "proposer":
        return or_(
            Case.lead_proposer_id == user.proposer_id,
            exists().where(
                CaseCosigner.case_id == Case.id, CaseCosigner.proposer_id == user.proposer_id
            ),
        )
    return False


def visible_cases(user: User) -> Select:
    return select(Case).where(case_filter(user))


def get_visible_case(user: User, case_id: int) -> Case:
    """The case, or 404 when it does not exist or the user may not see it (no existence leak)."""
    case = db.session.scalars(visible_cases(user).where(Case.id == case_id)).first()
    if case is None:
        abort(404)
    return case
