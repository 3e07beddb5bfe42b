"""Case list (search and filters), registration, the unit inbox, the case page and its actions."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select, and_, exists, func, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload
from werkzeug.datastructures import CombinedMultiDict

from caseflow import clock, figures, stats
from caseflow.access import case_filter, get_visible_case, may_read_draft, page_required
from caseflow.errors import PermissionDenied, ServiceError, ValidationError
from caseflow.extensions import csrf, db
from caseflow.i18n import aside
from caseflow.models import (
    Assignment, Attachment, Case, CaseCosigner, Category, CoOpinion, Contact, Disclosure, Feedback, FollowUp, Proposer,
    Reply, Session, Unit,
)
from caseflow.models.assignment import DONE
from caseflow.models.base import BODY_LABELS, BODY_SHORT_LABELS
from caseflow.services import attachments
from caseflow.services.cases import PROPOSER_KIND_BY_BODY, CaseInput, number_taken, proposers_named, register_case
from caseflow.timeline import case_timeline, outsider
from caseflow.web import case_actions
from caseflow.web.auth import safe_next
from caseflow.web.forms import (
    EXPIRED, CaseFilterForm, RegisterForm, SimilarForm, attach_error, db_int, keep_expired, options, token_ok,
)
from caseflow.workflow import engine, spec

bp = Blueprint("cases", __name__, url_prefix="/cases")
PAGE_SIZE = 25


def filter_choices(form: CaseFilterForm) -> None:
    any_ = [("", _("全部"))]
    sessions = db.session.scalars(select(Session).order_by(Session.year.desc(), Session.id))
    categories = db.session.scalars(select(Category).order_by(Category.year.desc(), Category.body, Category.position))
    form.body.choices = options(any_ + list(BODY_LABELS.items()))
    form.session_id.choices = options(any_ + [(str(s.id), f"{s.year} {s.name}") for s in sessions])
    form.unit_id.choices = options(any_ + [(str(u.id),
                                            u.name) for u in db.session.scalars(select(Unit).order_by(Unit.id))])
    form.state.choices = options(any_ + [(s, spec.state_label(spec.BODIES[0], "case", s)) for s in spec.states("case")])
    form.category_id.choices = options(
        any_ + [(str(c.id), aside(c.name, f"{c.year} {BODY_SHORT_LABELS[c.body]}")) for c in categories])


# a unit's own part of each case: what the unit's case list shows, sorts by and calls overdue
OWN = aliased(Assignment, name="own")


def filtered_cases(form: CaseFilterForm) -> list[Select]:
    """The visible cases matching the filters (the list and its export), most urgent first, as
    consecutive parts: the cases with something open by due date (a unit's own part's; for the
    district the earliest of a case's open parts), then the rest, newest first. Two ordered parts
    rather than one sort: the first page reads the few thousand open parts by their index, not
    every case of every year."""
    today = clock.today()
    if engine.works_in_unit(current_user):
        # the unit sees the cases it has a part in (case_filter's rule, as a join it sorts by)
        query = _filtered(select(Case).join(OWN, and_(OWN.case_id == Case.id, OWN.unit_id == current_user.unit_id)),
                          form)
        pending = query.where(OWN.state.not_in(DONE)).order_by(OWN.due_date, Case.id)
        if form.overdue.data:  # the unit's own part is late
            return [pending.where(OWN.due_date < today)]
        return [pending, query.where(OWN.state.in_(DONE)).order_by(Case.id.desc())]
    query = _filtered(select(Case).where(case_filter(current_user)), form)
    open_parts = (select(Assignment.case_id, func.min(Assignment.due_date).label("due"))
                  .where(Assignment.state.not_in(DONE)).group_by(Assignment.case_id).subquery())
    pending = query.join(open_parts, open_parts.c.case_id == Case.id).order_by(open_parts.c.due, Case.id)
    if form.overdue.data:  # some part of the case is late
        return [pending.where(open_parts.c.due < today)]
    nothing_open = ~exists().where(Assignment.case_id == Case.id, Assignment.state.not_in(DONE))
    return [pending, query.where(nothing_open).order_by(Case.id.desc())]


def matching_cases(form: CaseFilterForm) -> Select:
    """The same cases as ``filtered_cases``, as one unordered query (the API pages it by id)."""
    ids = union_all(*(part.order_by(None).with_only_columns(Case.id) for part in filtered_cases(form))).subquery()
    return select(Case).where(Case.id.in_(select(ids.c.id)))


def unit_work(unit_id: int, form: CaseFilterForm) -> Select:
    """A unit's 待办: its assignments that still owe something, on cases matching the filters,
    most urgent first; overdue means the unit's own part is past its due date."""
    query = (select(Assignment).join(Case, Case.id == Assignment.case_id)
             .where(Assignment.unit_id == unit_id, Assignment.state.not_in(DONE),
                    Case.state.not_in(spec.group("case", "void"))))
    if form.overdue.data:
        query = query.where(Assignment.due_date < clock.today())
    return _filtered(query, form).order_by(Assignment.due_date, Assignment.id)


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
    if f["unit_id"]:  # an alias: the 待办 query selects assignments itself (no correlation with it)
        other = aliased(Assignment)
        query = query.where(exists().where(other.case_id == Case.id, other.unit_id == int(f["unit_id"])))
    if f["figure"]:
        behind = stats.Filter(year=f["year"], body=f["body"] or None,
                              unit_id=int(f["unit_id"]) if f["unit_id"] else None,
                              session_id=int(f["session_id"]) if f["session_id"] else None)
        query = query.where(Case.id.in_(stats.cases_behind(behind, f["figure"])))
    if q := (f["q"] or "").strip():
        query = query.where(or_(Case.title.contains(q), Case.number == number) if (number := _case_number(q))
                            else Case.title.contains(q))
    return query


def _case_number(q: str) -> int | None:
    """The number a search like 「第12号」 or 「12」 names (None when it names none the database could hold)."""
    try:
        return db_int(q.removeprefix("第").removesuffix("号"))
    except ValueError:
        return None


def filter_form() -> CaseFilterForm:
    """The list filters from the URL (all of them dropped when one is invalid)."""
    form = CaseFilterForm(request.args)
    filter_choices(form)
    if not form.validate():
        form = CaseFilterForm(formdata=None)
        filter_choices(form)
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


def paged(parts: list[Select], options=()) -> Paged:
    """One page (25 rows) of the ordered ``parts`` read one after the other, and the exact total;
    a page past the end (the filters changed) shows the last one."""
    counts = [db.session.scalar(select(func.count()).select_from(p.order_by(None).subquery())) for p in parts]
    total = sum(counts)
    page = min(max(request.args.get("page", 1, type=db_int), 1), max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))
    skip, rows = (page - 1) * PAGE_SIZE, []
    for part, count in zip(parts, counts):
        if skip >= count:
            skip -= count
            continue
        rows += db.session.scalars(part.options(*options).limit(PAGE_SIZE - len(rows)).offset(skip)).all()
        skip = 0
        if len(rows) == PAGE_SIZE:
            break
    return Paged(rows, total, page, {k: v for k, v in request.args.items() if k != "page" and v})


@bp.route("/")
@login_required
def index():
    form = filter_form()
    listed = paged(filtered_cases(form),
                   (selectinload(Case.assignments).joinedload(Assignment.unit), joinedload(Case.session)))
    return render_template("cases/list.html", listed=listed, form=form, today=clock.today(),
                           figure_label=figures.case_lists().get(form.figure.data or "", ""),
                           without_figure={k: v for k, v in listed.args.items() if k not in ("figure", "year")})


@bp.route("/inbox")
@page_required("inbox")
def inbox():
    """The unit's open assignments, most urgent first, and the drafts waiting for the leader (or,
    returned, for the handler)."""
    form = filter_form()
    listed = paged([unit_work(current_user.unit_id, form)], (joinedload(Assignment.case).joinedload(Case.session),))
    drafts = db.session.scalars(
        select(Reply).join(Assignment, Assignment.id == Reply.assignment_id)
        .where(Assignment.unit_id == current_user.unit_id, Reply.replied_at.is_(None))
        .options(joinedload(Reply.assignment).joinedload(Assignment.case)).order_by(Reply.id)
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
    people = register_choices(form, body)
    valid = form.validate_on_submit()
    if valid:
        try:
            case = register_case(current_user, case_input(form, body),
                                 uploads=form.attachments.data or [])
        except ValidationError as e:
            attach_error(form, e)
        else:
            flash(_("已登记 %(name)s %(number_label)s。",
                    name=case.session.name, number_label=case.number_label), "success")
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


def register_choices(form: RegisterForm, body: str) -> list[Proposer]:
    """The body's sessions, categories and 代表/委员 as the form's choices (the people too)."""
    people = db.session.scalars(select(Proposer).where(Proposer.kind == PROPOSER_KIND_BY_BODY[body])
                                .order_by(Proposer.name)).all()
    form.session_id.choices = options([(s.id, f"{s.year} {s.name}") for s in db.session.scalars(
        select(Session).where(Session.body == body).order_by(Session.year.desc(), Session.id))])
    form.category_id.choices = options([(0, "—")] + [(c.id, aside(c.name, c.year)) for c in db.session.scalars(
        select(Category).where(Category.body == body).order_by(Category.year.desc(), Category.position))])
    form.lead_proposer_id.choices = options([(0, _("请选择"))] + [(p.id, _person(p)) for p in people])
    return people


def case_input(form: RegisterForm, body: str) -> CaseInput:
    """The registration service's input from a valid form (co-signers looked up by name)."""
    return CaseInput(body=body, session_id=form.session_id.data, number=form.number.data,
                     title=form.title.data, text=form.text.data or "",
                     category_id=form.category_id.data or None,
                     lead_proposer_id=form.lead_proposer_id.data or None,
                     cosigner_ids=proposers_named(body, [entry.data or "" for entry in form.cosigners]),
                     consent=form.consent.data, no_written_reply=form.no_written_reply.data,
                     key_case=form.key_case.data)


def _person(p: Proposer) -> str:
    return aside(p.name, p.organization or p.group) if p.organization or p.group else p.name


def _case_page(case: Case, bound: tuple[str, int, object] | None = None, status: int = 200,
               refusal: str = ""):
    actions = []
    for offered in case_actions.available(current_user, case):
        key = (offered.name, offered.target.id)
        form = bound[2] if bound and bound[:2] == key else case_actions.build_form(
            offered.name, case, offered.target, current_user)
        actions.append((offered, form))
    related = case_related(current_user, case)
    return render_template("cases/detail.html", case=case, timeline=case_timeline(case, current_user),
                           internal=not outsider(current_user), today=clock.today(),
                           actions=actions, target_label=case_actions.target_label, refusal=refusal,
                           suggestion=_suggestion(case, actions), similar=_similar_cases(case),
                           merged_here=db.session.scalars(select(Case).where(Case.merged_into_id == case.id)
                                                          .order_by(Case.number)).all(),
                           **related), status


def case_related(user, case: Case) -> dict[str, list]:
    """What the case page shows beside the case (the API's case resource too): drafts the user may
    read, signed replies, co-opinions, contacts, feedback, follow-ups, disclosures and files; a
    proposer gets none of the offices' internal records (caseflow/timeline.py)."""
    staff = not outsider(user)
    replies = _rows(Reply, case, Reply.id)
    return {
        "drafts": [d for d in replies if staff and d.replied_at is None and may_read_draft(user, d)],
        "replies": sorted((r for r in replies if r.replied_at is not None), key=lambda r: r.replied_at),
        "opinions": _rows(CoOpinion, case, CoOpinion.sent_at, selectinload(CoOpinion.attachment)) if staff else [],
        "contacts": _rows(Contact, case, Contact.contacted_on) if staff else [],
        "feedback": _rows(Feedback, case, Feedback.ordinal),
        "follow_ups": _rows(FollowUp, case, FollowUp.recorded_at) if staff else [],
        "disclosures": _rows(Disclosure, case, Disclosure.id),
        "files": db.session.scalars(visible_files(user, case.id).order_by(Attachment.id)).all(),
    }


def _rows(model, case: Case, order, *options) -> list:
    """The rows of ``model`` that belong to ``case``, in ``order``."""
    return db.session.scalars(select(model).where(model.case_id == case.id).options(*options).order_by(order)).all()


SUGGESTED_ON = "assign"  # the action whose form shows 智能交办


def _suggestion(case: Case, actions: list):
    """智能交办 beside the 交办 form. The suggestion service (scikit-learn) is imported on first use,
    here and below, so that the app starts without it."""
    if not any(offered.name == SUGGESTED_ON for offered, _form in actions):
        return None
    from caseflow.services import suggestions

    try:
        return suggestions.suggest_units(current_user, case.id)
    except PermissionDenied:
        return None


def _similar_cases(case: Case):
    """相似件 and 往年类似 on the case page, for staff (each sees only the cases they may see)."""
    if case.state in spec.group("case", "void"):
        return None
    from caseflow.services import suggestions

    try:
        return suggestions.similar_cases(current_user, case.id)
    except PermissionDenied:
        return None


@bp.post("/similar")
@login_required
def similar():
    """查找相似件 while registering: the title (and body) typed so far against the stored cases."""
    if not engine.may_take(current_user, "register"):
        abort(403)
    form = SimilarForm()
    if not form.validate():
        return render_template("cases/_similar.html", similar=None, form=form), 422
    from caseflow.services import suggestions

    try:
        hints = suggestions.similar_to(current_user, form.session_id.data, form.title.data,
                                       form.category_id.data or None, form.text.data or "")
    except ServiceError as e:
        abort(e.status)
    return render_template("cases/_similar.html", similar=hints, form=form)


# what the case page shows of the case itself, read with it (not one lazy load per row)
CASE_PAGE = (joinedload(Case.session), joinedload(Case.category), joinedload(Case.lead_proposer),
             selectinload(Case.cosigners).joinedload(CaseCosigner.proposer),
             selectinload(Case.assignments).joinedload(Assignment.unit))


@bp.route("/<int:case_id>")
@login_required
def detail(case_id: int):
    return _case_page(get_visible_case(current_user, case_id, CASE_PAGE))


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
    form = case_actions.build_form(key, case, row, current_user,
                                   formdata=CombinedMultiDict((request.files, request.form)))
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
            flash(str(offer.done), "success")
            # a quick action from a list (签收 on 待办) goes back to that list
            return redirect(safe_next(request.form.get("next")) if request.form.get("next")
                            else url_for("cases.detail", case_id=case.id))
    db.session.rollback()
    db.session.expire_all()
    return _case_page(get_visible_case(current_user, case_id, CASE_PAGE), (key, target, form), status)


@bp.route("/<int:case_id>/files/<int:attachment_id>")
@login_required
def attachment(case_id: int, attachment_id: int):
    file = case_file(current_user, case_id, attachment_id)
    return send_file(attachments.path_of(file), mimetype=file.content_type, as_attachment=True,
                     download_name=file.filename)


def visible_files(user, case_id: int):
    """The files of a case ``user`` may open: a proposer not those of 会办意见 or of unsigned drafts."""
    query = select(Attachment).where(Attachment.case_id == case_id)
    if outsider(user):
        internal = (select(CoOpinion.attachment_id).where(CoOpinion.case_id == case_id)
                    .union(select(Reply.attachment_id).where(Reply.case_id == case_id, Reply.replied_at.is_(None))))
        query = query.where(Attachment.id.not_in(internal))
    return query


def case_file(user, case_id: int, attachment_id: int) -> Attachment:
    """A file of a case the user may see, or 404."""
    case = get_visible_case(user, case_id)
    file = db.session.scalar(visible_files(user, case.id).where(Attachment.id == attachment_id))
    if file is None:
        abort(404)
    return file
