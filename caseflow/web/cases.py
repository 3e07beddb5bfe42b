"""Case list (search and filters), registration, the unit inbox, the case page and its actions."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from caseflow import clock, figures, stats
from caseflow.access import case_filter, get_visible_case, may_read_draft, page_required
from caseflow.errors import ServiceError, ValidationError
from caseflow.extensions import csrf, db
from caseflow.models import (
    Assignment, Attachment, Case, Category, CoOpinion, Contact, Disclosure, Feedback, FollowUp, Proposer, Reply,
    Session, Unit,
)
from caseflow.models.assignment import DONE
from caseflow.models.base import BODY_LABELS
from caseflow.services import attachments
from caseflow.services.cases import PROPOSER_KIND_BY_BODY, CaseInput, number_taken, proposers_named, register_case
from caseflow.timeline import case_timeline
from caseflow.web import case_actions
from caseflow.web.auth import safe_next
from caseflow.web.forms import (
    EXPIRED, CaseFilterForm, RegisterForm, attach_error, keep_expired, options, token_ok,
)
from caseflow.workflow import engine, spec

bp = Blueprint("cases", __name__, url_prefix="/cases")
PAGE_SIZE = 25


def _filter_choices(form: CaseFilterForm) -> None:
    any_ = [("", "全部")]
    sessions = db.session.scalars(select(Session).order_by(Session.year.desc(), Session.id))
    categories = db.session.scalars(select(Category).order_by(Category.year.desc(), Category.body, Category.position))
    form.body.choices = options(any_ + list(BODY_LABELS.items()))
    form.session_id.choices = options(any_ + [(str(s.id), f"{s.year} {s.name}") for s in sessions])
    form.unit_id.choices = options(any_ + [(str(u.id), u.name) for u in db.session.scalars(select(Unit).order_by(Unit.id))])
    form.state.choices = options(any_ + [(s, spec.state_label(spec.BODIES[0], "case", s)) for s in spec.states("case")])
    form.category_id.choices = options(
        any_ + [(str(c.id), f"{c.name}（{c.year} {BODY_LABELS[c.body][:2]}）") for c in categories])


def filtered_cases(form: CaseFilterForm):
    """The visible cases matching the filters (the list and its export)."""
    query = select(Case).join(Session, Session.id == Case.session_id).where(case_filter(current_user))
    if form.overdue.data:
        query = query.where(exists().where(Assignment.case_id == Case.id, Assignment.due_date < clock.today(),
                                           Assignment.state.not_in(DONE)))
    return _filtered(query, form)


def unit_work(unit_id: int, form: CaseFilterForm):
    """A unit's 待办: its assignments that still owe something, on cases matching the filters;
    overdue means the unit's own part is past its due date."""
    query = (select(Assignment).join(Case, Case.id == Assignment.case_id).join(Session, Session.id == Case.session_id)
             .where(Assignment.unit_id == unit_id, Assignment.state.not_in(DONE),
                    Case.state.not_in(spec.group("case", "void"))))
    if form.overdue.data:
        query = query.where(Assignment.due_date < clock.today())
    return _filtered(query, form)


def _filtered(query, form: CaseFilterForm):
    f = form.data
    if f["body"]:
        query = query.where(Case.body == f["body"])
    if f["session_id"]:
        query = query.where(Case.session_id == int(f["session_id"]))
    if f["state"]:
        query = query.where(Case.state == f["state"])
    if f["category_id"]:
        query = query.where(Case.category_id == int(f["category_id"]))
    if f["key_case"]:
        query = query.where(Case.key_case.is_(True))
    if f["unit_id"]:
        query = query.where(exists().where(Assignment.case_id == Case.id, Assignment.unit_id == int(f["unit_id"])))
    if f["figure"]:
        behind = stats.Filter(year=f["year"], body=f["body"] or None, unit_id=int(f["unit_id"]) if f["unit_id"] else None,
                              session_id=int(f["session_id"]) if f["session_id"] else None)
        query = query.where(Case.id.in_(stats.cases_behind(behind, f["figure"])))
    if q := (f["q"] or "").strip():
        number = q.removeprefix("第").removesuffix("号")
        query = query.where(or_(Case.title.contains(q), Case.number == int(number)) if number.isdigit()
                            else Case.title.contains(q))
    return query


def filter_form() -> CaseFilterForm:
    """The list filters from the URL (all of them dropped when one is invalid)."""
    form = CaseFilterForm(request.args)
    _filter_choices(form)
    if not form.validate():
        form = CaseFilterForm(formdata=None)
        _filter_choices(form)
    return form


@dataclass(frozen=True)
class Paged:
    rows: list
    total: int
    page: int
    args: dict  # the filters, to carry into the other pages' links and the export

    @property
    def pages(self) -> int:
        return max((self.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def paged(query, order, options=()) -> Paged:
    """One page of ``query`` (25 rows in ``order``) and its exact total; a page past the end (the
    filters changed) shows the last one."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = min(max(request.args.get("page", 1, type=int), 1), max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))
    rows = db.session.scalars(query.options(*options).order_by(*order).limit(PAGE_SIZE)
                              .offset((page - 1) * PAGE_SIZE)).all()
    return Paged(rows, total, page, {k: v for k, v in request.args.items() if k != "page" and v})


@bp.route("/")
@login_required
def index():
    form = filter_form()
    listed = paged(filtered_cases(form), (Session.year.desc(), Case.body, Case.number),
                   (selectinload(Case.assignments).selectinload(Assignment.unit), selectinload(Case.session)))
    return render_template("cases/list.html", listed=listed, form=form, today=clock.today(),
                           figure_label=figures.case_lists().get(form.figure.data or "", ""),
                           without_figure={k: v for k, v in listed.args.items() if k not in ("figure", "year")})


@bp.route("/inbox")
@page_required("inbox")
def inbox():
    """The unit's open assignments, most urgent first, and the drafts waiting for the leader (or,
    returned, for the handler)."""
    form = filter_form()
    listed = paged(unit_work(current_user.unit_id, form), (Assignment.due_date, Assignment.id),
                   (selectinload(Assignment.case).selectinload(Case.session),))
    drafts = db.session.scalars(
        select(Reply).join(Assignment, Assignment.id == Reply.assignment_id)
        .where(Assignment.unit_id == current_user.unit_id, Reply.replied_at.is_(None))
        .options(selectinload(Reply.assignment).selectinload(Assignment.case)).order_by(Reply.id)
    ).all()
    signs = engine.may_take(current_user, "sign_reply")
    waiting = [d for d in drafts if bool(d.returned_note) != signs]  # the leader's to sign, the handler's to revise
    quick = {a.id for a in listed.rows if engine.allowed(current_user, "accept", case=a.case, assignment=a,
                                                         explain=False)}
    return render_template("cases/inbox.html", listed=listed, form=form, drafts=waiting, signs=signs, quick=quick,
                           today=clock.today())


@bp.route("/new")
@login_required
def register_start():
    """登记 opens on the body of the newest session (the page offers the other)."""
    if not engine.may_take(current_user, "register"):
        abort(403)
    newest = db.session.scalar(select(Session.body).order_by(Session.year.desc(), Session.id.desc()).limit(1))
    return redirect(url_for(".register", body=newest or spec.BODIES[-1]))


@bp.route(f"/new/<any({', '.join(spec.BODIES)}):body>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token and keeps what was typed when it failed
@login_required
def register(body: str):
    """登记 of one body's item: its sessions, categories and 代表/委员 only; co-signers in order."""
    if not engine.may_take(current_user, "register"):
        abort(403)
    form = RegisterForm()
    kind = PROPOSER_KIND_BY_BODY[body]
    people = db.session.scalars(select(Proposer).where(Proposer.kind == kind).order_by(Proposer.name)).all()
    form.session_id.choices = options([(s.id, f"{s.year} {s.name}") for s in db.session.scalars(
        select(Session).where(Session.body == body).order_by(Session.year.desc(), Session.id))])
    form.category_id.choices = options([(0, "—")] + [(c.id, f"{c.name}（{c.year}）") for c in db.session.scalars(
        select(Category).where(Category.body == body).order_by(Category.year.desc(), Category.position))])
    form.lead_proposer_id.choices = options([(0, "请选择")] + [(p.id, _person(p)) for p in people])
    valid = form.validate_on_submit()
    if valid:
        try:
            data = CaseInput(body=body, session_id=form.session_id.data, number=form.number.data,
                             title=form.title.data, text=form.text.data or "",
                             category_id=form.category_id.data or None,
                             lead_proposer_id=form.lead_proposer_id.data or None,
                             cosigner_ids=proposers_named(body, [entry.data or "" for entry in form.cosigners]),
                             consent=form.consent.data, no_written_reply=form.no_written_reply.data,
                             key_case=form.key_case.data)
            case = register_case(current_user, data, uploads=request.files.getlist(form.attachments.name))
        except ValidationError as e:
            attach_error(form, e)
        else:
            flash(f"已登记 {case.session.name} {case.number_label}。", "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    keep_expired(form)
    if form.is_submitted() and not valid and not form.number.errors and form.number.data and form.session_id.data:
        # the other fields failed: still say now that the number is taken, not after the next submit
        session = db.session.get(Session, form.session_id.data)
        if session is not None and (message := number_taken(session, form.number.data)):
            form.number.errors = [*form.number.errors, message]
    return render_template("cases/register.html", form=form, body=body, people=[_person(p) for p in people],
                           body_labels=BODY_LABELS), \
        422 if form.errors else 200


def _person(p: Proposer) -> str:
    return f"{p.name}（{p.organization or p.group}）" if p.organization or p.group else p.name


def _case_page(case: Case, bound: tuple[str, int, object] | None = None, status: int = 200,
               refusal: str = ""):
    actions = []
    for offered in case_actions.available(current_user, case):
        key = (offered.name, offered.target.id)
        form = bound[2] if bound and bound[:2] == key else case_actions.build_form(
            offered.name, case, offered.target, current_user)
        actions.append((offered, form))
    related = {
        "drafts": [d for d in db.session.scalars(select(Reply).where(Reply.case_id == case.id,
                                                                     Reply.replied_at.is_(None)).order_by(Reply.id))
                   if may_read_draft(current_user, d)],
        "replies": db.session.scalars(select(Reply).where(Reply.case_id == case.id, Reply.replied_at.is_not(None))
                                      .order_by(Reply.replied_at)).all(),
        "opinions": db.session.scalars(select(CoOpinion).where(CoOpinion.case_id == case.id)
                                       .order_by(CoOpinion.sent_at)).all(),
        "contacts": db.session.scalars(select(Contact).where(Contact.case_id == case.id)
                                       .order_by(Contact.contacted_on)).all(),
        "feedback": db.session.scalars(select(Feedback).where(Feedback.case_id == case.id)
                                       .order_by(Feedback.ordinal)).all(),
        "follow_ups": db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)
                                         .order_by(FollowUp.recorded_at)).all(),
        "disclosures": db.session.scalars(select(Disclosure).where(Disclosure.case_id == case.id)
                                          .order_by(Disclosure.id)).all(),
        "files": db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)
                                    .order_by(Attachment.id)).all(),
    }
    return render_template("cases/detail.html", case=case, timeline=case_timeline(case), today=clock.today(),
                           actions=actions, target_label=case_actions.target_label, refusal=refusal,
                           **related), status


@bp.route("/<int:case_id>")
@login_required
def detail(case_id: int):
    return _case_page(get_visible_case(current_user, case_id))


@bp.post("/<int:case_id>/do/<key>/<int:target>")
@csrf.exempt  # the action's form checks its own token and keeps what was typed when it failed
@login_required
def act(case_id: int, key: str, target: int):
    """Post one action's form; errors come back next to the fields, on the case page, with what
    was typed. An action the rule book refuses now (say, a colleague signed for it a minute ago)
    shows the case as it is with the reason."""
    case = get_visible_case(current_user, case_id)
    offer = case_actions.OFFERS.get(key)
    row = case_actions.target_of(case, key, target) if offer else None
    if row is None:
        abort(404)
    decision = engine.allowed(current_user, key, case=case, **case_actions.rows_of(row))
    if not decision:
        return _case_page(case, status=decision.error().status, refusal=decision.reason)
    form = case_actions.build_form(key, case, row, current_user, formdata=request.form)
    status = 422
    if not token_ok():
        form.validate()  # the fields' own messages, beside the one that matters
        form.form_errors.append(EXPIRED)
        status = 400
    elif form.validate():
        try:
            offer.run(current_user, case, row, form)
        except ServiceError as e:
            attach_error(form, e)
            status = 422 if isinstance(e, ValidationError) else e.status
        else:
            flash(offer.done, "success")
            # a quick action from a list (签收 on 待办) goes back to that list
            return redirect(safe_next(request.form.get("next")) if request.form.get("next")
                            else url_for("cases.detail", case_id=case.id))
    db.session.rollback()
    db.session.expire_all()
    return _case_page(get_visible_case(current_user, case_id), (key, target, form), status)


@bp.route("/<int:case_id>/files/<int:attachment_id>")
@login_required
def attachment(case_id: int, attachment_id: int):
    case = get_visible_case(current_user, case_id)
    file = db.session.get(Attachment, attachment_id)
    if file is None or file.case_id != case.id:
        abort(404)
    return send_file(attachments.path_of(file), mimetype=file.content_type, as_attachment=True,
                     download_name=file.filename)
