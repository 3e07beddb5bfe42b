"""The proposer's personal link (/p/<token>): their own cases, the replies, the evaluation form;
and the page where the dispatcher issues and revokes those links (/admin/proposers)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from caseflow import clock
from caseflow.access import get_visible_case, page_required, visible_cases
from caseflow.errors import NotFound, ValidationError
from caseflow.extensions import db
from caseflow.models import Case, Feedback, Proposer, Reply, Session
from caseflow.models.proposer import PROPOSER_KIND_LABELS
from caseflow.services import access_links
from caseflow.services.feedback import evaluate_merged, give_feedback
from caseflow.web.forms import FeedbackForm, attach_error, version_of
from caseflow.workflow import engine
from caseflow.workflow.engine import LinkActor

bp = Blueprint("personal", __name__)  # the proposers' personal links
NEW_LINK = "new_access_link"  # session key: the URL of a link just created, shown once


@bp.after_request
def private(response):
    """The token is a credential: keep its pages out of caches and search engines."""
    if request.endpoint in ("personal.home", "personal.feedback"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _actor(token: str) -> LinkActor:
    proposer = access_links.resolve(token)
    if proposer is None:
        raise NotFound(_("该链接无效、已过期或已撤销，请联系督查科获取新的链接。"))
    return LinkActor(proposer.id)


def _home(token: str, actor: LinkActor, bound: tuple[int, FeedbackForm] | None = None, status: int = 200):
    """The proposer's cases, each with its units, replies, evaluations and (when due) the feedback form."""
    cases = db.session.scalars(
        visible_cases(actor).join(Session, Session.id == Case.session_id)
        .options(selectinload(Case.assignments), selectinload(Case.cosigners))
        .order_by(Session.year.desc(), Case.body, Case.number)
    ).all()
    ids = [c.id for c in cases]
    # a merged case is answered by the reply of the case it was merged into
    answered_by = {c.id: c.merged_into_id or c.id for c in cases}
    replies = db.session.scalars(select(Reply).where(Reply.case_id.in_(set(answered_by.values())),
                                                     Reply.replied_at.is_not(None)).order_by(Reply.replied_at)).all()
    feedback = db.session.scalars(select(Feedback).where(Feedback.case_id.in_(ids)).order_by(Feedback.ordinal)).all()
    forms = {c.id: bound[1] if bound and bound[0] == c.id else
             FeedbackForm(formdata=None, prefix=f"fb{c.id}", data={"version": c.version})
             for c in cases if _evaluation(actor, c)}
    cases = sorted(cases, key=lambda c: c.id not in forms)  # waiting for the evaluation first
    return render_template("proposer/home.html", token=token, proposer=db.session.get(Proposer, actor.proposer_id),
                           cases=cases, forms=forms, replies=replies, feedback=feedback, answered_by=answered_by), status


def _evaluation(actor: LinkActor, case: Case):
    """The service that takes the proposer's evaluation of ``case`` now (its own reply's, or 并案
    the primary's), or None when nothing is to be evaluated."""
    for name, service in (("give_feedback", give_feedback), ("evaluate_merged", evaluate_merged)):
        if engine.allowed(actor, name, case=case, explain=False):
            return service
    return None


@bp.route("/p/<token>")
def home(token: str):
    return _home(token, _actor(token))


@bp.post("/p/<token>/cases/<int:case_id>/feedback")
def feedback(token: str, case_id: int):
    """满意 / 基本满意 close the evaluation; 不满意 (with a reason) sends the case back for 重新办理."""
    actor = _actor(token)
    case = get_visible_case(actor, case_id)  # another proposer's case: 404
    form = FeedbackForm(prefix=f"fb{case.id}")
    service = _evaluation(actor, case) or give_feedback  # nothing to evaluate: give_feedback says why
    if form.validate():
        try:
            service(actor, case.id, version_of(form), form.overall.data, attitude=form.attitude.data or None,
                          result=form.result.data or None, comment=form.comment.data or "", channel="link")
        except ValidationError as e:
            attach_error(form, e)
        else:
            if form.overall.data != "dissatisfied":
                message = _("%(number)s：感谢您的评价，已记录。", number=case.number_label)
            elif service is evaluate_merged:  # the primary's course is its own proposer's
                message = _("%(number)s：您的意见已记录，督查科会与您联系。", number=case.number_label)
            else:
                message = _("%(number)s：您的意见已记录，该件将重新办理，承办单位会再次答复您。", number=case.number_label)
            flash(message, "success")
            return redirect(url_for(".home", token=token))
    return _home(token, actor, (case.id, form), 422)


# -- the dispatcher's side ------------------------------------------------------------------

@bp.route("/admin/proposers")
@page_required("proposer_links")
def links():
    q = request.args.get("q", "").strip()[:50]
    query = select(Proposer).order_by(Proposer.kind, Proposer.name)
    if q:
        query = query.where(or_(Proposer.name.contains(q), Proposer.organization.contains(q),
                                Proposer.group.contains(q)))
    proposers = db.session.scalars(query).all()
    return render_template("admin/proposers.html", proposers=proposers, q=q, kinds=PROPOSER_KIND_LABELS,
                           links=access_links.active_links([p.id for p in proposers]),
                           new_link=session.pop(NEW_LINK, None))


@bp.post("/admin/proposers/<int:proposer_id>/links")
@page_required("proposer_links")
def create_link(proposer_id: int):
    link, token, revoked = access_links.create_link(current_user, proposer_id)
    url = current_app.config["BASE_URL"].rstrip("/") + url_for(".home", token=token)
    session[NEW_LINK] = {"name": db.session.get(Proposer, proposer_id).name, "url": url,
                         "expires": link.expires_at.astimezone(clock.LOCAL_TZ).date().isoformat(), "revoked": revoked}
    return redirect(url_for(".links", q=request.args.get("q", "")))


@bp.post("/admin/proposers/links/<int:link_id>/revoke")
@page_required("proposer_links")
def revoke_link(link_id: int):
    try:
        access_links.revoke_link(current_user, link_id)
    except ValidationError as e:
        flash(e.message, "warning")
    else:
        flash(_("链接已撤销，持有该链接的人将无法再打开。"), "success")
    return redirect(url_for(".links", q=request.args.get("q", "")))
