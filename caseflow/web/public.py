"""The public disclosure portal: published replies only, no login, no contact data."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from caseflow.extensions import db
from caseflow.models import Assignment, Case, Disclosure, Reply, Session, Unit
from caseflow.models.base import BODY_LABELS
from caseflow.web.forms import session_years
from caseflow.workflow import spec

bp = Blueprint("public", __name__, url_prefix="/public")
PAGE_SIZE = 30


def _published():
    """Published disclosures joined to their case and reply: the only rows this portal reads."""
    return (
        select(Disclosure, Case, Reply)
        .join(Case, Case.id == Disclosure.case_id)
        .join(Reply, Reply.id == Disclosure.reply_id)
        .join(Session, Session.id == Case.session_id)
        .where(Disclosure.state.in_(spec.group("disclosure", "on_portal")))
    )


def published_query(args):
    """Published replies matching the portal's filters (year, body, unit, free text)."""
    query = _published()
    year = args.get("year", type=int)
    if year:
        query = query.where(Session.year == year)
    if (body := args.get("body")) in BODY_LABELS:
        query = query.where(Case.body == body)
    if unit_id := args.get("unit_id", type=int):
        query = query.where(Reply.assignment_id.in_(select(Assignment.id).where(Assignment.unit_id == unit_id)))
    if q := args.get("q", "").strip()[:100]:
        query = query.where(or_(Case.title.contains(q), Disclosure.published_text.contains(q)))
    return query.order_by(Disclosure.decided_at.desc(), Disclosure.id.desc())


def published_rows(args):
    return db.session.execute(published_query(args).options(selectinload(Case.session))).all()


@bp.route("/")
def index():
    args = request.args
    query = published_query(args)
    page = max(args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.options(selectinload(Case.session)).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)).all()
    years = session_years()
    return render_template("public/index.html", rows=rows, total=total, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), units=units, years=years,
                           bodies=BODY_LABELS, args=args)


@bp.route("/<int:disclosure_id>")
def detail(disclosure_id: int):
    row = db.session.execute(_published().where(Disclosure.id == disclosure_id)).first()
    if row is None:  # unpublished, withheld or unknown: the same answer
        abort(404)
    disclosure, case, reply = row
    unit = db.session.get(Assignment, reply.assignment_id).unit
    return render_template("public/detail.html", disclosure=disclosure, case=case, reply=reply, unit=unit)
