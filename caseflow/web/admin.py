"""系统管理: accounts, units, sessions (届次), categories and result classes, the holiday calendar.

Every route below /admin is for administrators; each form is validated here and handed to one
service in ``caseflow.services.admin`` (or ``holidays.set_day``), which re-checks and commits.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseflow import clock
from caseflow.access import page_required
from caseflow.errors import Conflict, ValidationError
from caseflow.extensions import db
from caseflow.i18n import aside
from caseflow.models import Case, Category, Proposer, SecurityEvent, Session, Unit, User
from caseflow.models.base import BODIES, BODY_LABELS
from caseflow.models.proposer import PROPOSER_KIND_LABELS
from caseflow.models.unit import UNIT_KIND_LABELS
from caseflow.services import admin, holidays, login_sessions
from caseflow.services.base import get
from caseflow.web.admin_forms import (
    CategoryForm, CopyYearForm, HolidayForm, HolidayImportForm, PasswordForm, ResultClassForm, RulesForm,
    SecurityFilterForm, SessionForm, UnitForm, UserForm,
)
from caseflow.web.forms import VersionedForm, attach_error, db_int, options, status_of, version_of
from caseflow.workflow.can import explain

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_global(admin.missing_calendar_years, "missing_calendar_years")
BODY_ROUTE = f"<any({', '.join(BODIES)}):body>"
MOVES = {"up": -1, "down": 1}


@bp.before_request
@page_required("administration")
def admins_only() -> None:
    """Anonymous users go to the login page, everyone else but an admin gets 403."""


def submitted(form: FlaskForm, action: Callable[[], object], done: str, typed: bool = True) -> bool:
    """Validate ``form`` and run the service; its refusal is shown next to the field it names. A
    form with ``typed`` input is re-shown after a 409 (row changed meanwhile) with what was typed;
    a bare button gets the 409 page."""
    if not form.validate_on_submit():
        return False
    try:
        action()
    except (ValidationError, Conflict) as e:
        if isinstance(e, Conflict) and not typed:
            raise
        attach_error(form, e)
        return False
    flash(done, "success")
    return True


def flash_errors(form: FlaskForm) -> None:
    """Errors of a form that has no field to show them next to (a button)."""
    for message in form.form_errors:
        flash(str(message), "danger")


def page(template: str, *forms: FlaskForm | None, **context):
    """Render an admin page: 422 when one of its forms carries errors."""
    return render_template(f"admin/{template}", **context), status_of(*forms)


@bp.route("/")
def index():
    return redirect(url_for(".users"))


# -- the rule book, asked for one user and one case ----------------------------------------------

@bp.route("/rules")
def rules():
    """What a user may do on a case, and why not: the question behind “I cannot press 签收”."""
    form = RulesForm(request.args)
    user = case = None
    if request.args and form.validate():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        case = db.session.get(Case, form.case_id.data)
        if user is None:
            form.username.errors = [_("没有这个用户名。")]
        if case is None:
            form.case_id.errors = [_("没有这个案件。")]
    lines = explain(user, case) if user and case else []
    return page("rules.html", form, form=form, user=user, case=case, lines=lines)


# -- the security log ------------------------------------------------------------------------

SECURITY_PAGE = 200


@bp.route("/security")
def security():
    """Logins, throttling, passwords, sessions and personal links, newest first, filtered from the URL."""
    form = SecurityFilterForm(request.args)
    query = select(SecurityEvent).options(selectinload(SecurityEvent.actor)).order_by(SecurityEvent.id.desc())
    if form.validate():
        if form.kind.data:
            query = query.where(SecurityEvent.kind == form.kind.data)
        if name := (form.username.data or "").strip():
            query = query.where(SecurityEvent.username.contains(name))
        if address := (form.address.data or "").strip():
            query = query.where(SecurityEvent.remote_addr == address)
        if form.since.data:  # whole days in local time
            query = query.where(SecurityEvent.at >= datetime.combine(form.since.data, time.min, clock.LOCAL_TZ))
        if form.until.data:
            query = query.where(SecurityEvent.at <= datetime.combine(form.until.data, time.max, clock.LOCAL_TZ))
    rows = db.session.scalars(query.limit(SECURITY_PAGE)).all()
    return page("security.html", form, form=form, rows=rows, limit=SECURITY_PAGE)


# -- accounts -------------------------------------------------------------------------------

@bp.route("/users")
def users():
    rows = db.session.scalars(select(User).options(selectinload(User.unit), selectinload(User.proposer))
                              .order_by(User.active.desc(), User.role, User.username)).all()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name))
    proposers = db.session.scalars(select(Proposer).order_by(Proposer.kind, Proposer.name))
    form.unit.choices = options([(0, "—"), *((u.id, u.name) for u in units)])
    form.proposer.choices = options([(0, "—"), *((p.id, aside(p.name, PROPOSER_KIND_LABELS[p.kind]))
                                                 for p in proposers)])
    if submitted(form, lambda: admin.create_account(
            current_user, username=form.username.data, name=form.name.data, role=form.role.data,
            password=form.password.data, unit_id=form.unit.data or None, proposer_id=form.proposer.data or None,
            email=form.email.data or ""), _("已创建用户 %(username)s。", username=form.username.data)):
        return redirect(url_for(".users"))
    return page("user_new.html", form, form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    """An account: reset its password (POST here), deactivate or reactivate it."""
    row = get(User, user_id)
    form = PasswordForm(data={"version": row.version})
    if submitted(form, lambda: admin.reset_password(current_user, row.id, version_of(form), form.password.data),
                 _("已重置 %(username)s 的密码。", username=row.username)):
        return redirect(url_for(".user", user_id=row.id))
    return page("user.html", form, row=row, form=form, toggle=VersionedForm(data={"version": row.version}),
                open_sessions=login_sessions.open_count(row.id))


@bp.post("/users/<int:user_id>/sign-out")
def user_sign_out(user_id: int):
    """全部下线: every session of the account ends (a stolen cookie too); CSRFProtect checks the token."""
    count = admin.sign_out_everywhere(current_user, user_id)
    flash(_("已结束该账号的 %(count)s 处登录。", count=count), "success")
    return redirect(url_for(".user", user_id=user_id))


def _set_active(service, row_id: int, active: bool, message: str):
    """Activate or deactivate a row (account or unit) with the version the admin saw."""
    form = VersionedForm()
    if not submitted(form, lambda: service(current_user, row_id, version_of(form), active), message, typed=False):
        flash_errors(form)


@bp.post("/users/<int:user_id>/<any(activate, deactivate):action>")
def user_active(user_id: int, action: str):
    active = action == "activate"
    _set_active(admin.set_user_active, user_id, active, _("账号已启用。") if active else _("账号已停用。"))
    return redirect(url_for(".user", user_id=user_id))


# -- units ----------------------------------------------------------------------------------

@bp.route("/units", methods=["GET", "POST"])
def units():
    form = UnitForm()
    if submitted(form, lambda: admin.create_unit(current_user, form.name.data, form.short_name.data or "",
                                                 form.kind.data),
                 _("已新增承办单位“%(name)s”。", name=form.name.data)):
        return redirect(url_for(".units"))
    counts = dict(db.session.execute(select(User.unit_id, func.count()).where(User.unit_id.is_not(None))
                                     .group_by(User.unit_id)).all())
    rows = db.session.scalars(select(Unit).order_by(Unit.active.desc(), Unit.id)).all()
    return page("units.html", form, units=rows, counts=counts, form=form, kind_labels=UNIT_KIND_LABELS)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int):
    row = get(Unit, unit_id)
    form = UnitForm(obj=row)
    if submitted(form, lambda: admin.update_unit(current_user, row.id, version_of(form), form.name.data,
                                                 form.short_name.data or "", form.kind.data),
                 _("已保存承办单位“%(name)s”。", name=form.name.data)):
        return redirect(url_for(".units"))
    return page("unit.html", form, row=row, form=form, toggle=VersionedForm(data={"version": row.version}))


@bp.post("/units/<int:unit_id>/<any(activate, deactivate):action>")
def unit_active(unit_id: int, action: str):
    active = action == "activate"
    _set_active(admin.set_unit_active, unit_id, active,
                _("单位已启用。") if active else _("单位已停用，不再出现在交办和新账号的选项中。"))
    return redirect(url_for(".unit", unit_id=unit_id))


# -- sessions -------------------------------------------------------------------------------

@bp.route("/sessions", methods=["GET", "POST"])
def sessions():
    form = SessionForm()
    if submitted(form, lambda: admin.create_session(current_user, form.body.data, form.name.data, form.term.data,
                                                    form.meeting.data, form.year.data),
                 _("已新增届次“%(name)s”。", name=form.name.data)):
        return redirect(url_for(".sessions"))
    counts = dict(db.session.execute(select(Case.session_id, func.count()).group_by(Case.session_id)).all())
    rows = db.session.scalars(select(Session).order_by(Session.year.desc(), Session.body, Session.term.desc(),
                                                       Session.meeting.desc())).all()
    return page("sessions.html", form, sessions=rows, counts=counts, form=form)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
def session(session_id: int):
    row = get(Session, session_id)
    form = SessionForm(obj=row)
    del form.body
    if submitted(form, lambda: admin.update_session(current_user, row.id, form.name.data, form.term.data,
                                                    form.meeting.data, form.year.data),
                 _("已保存届次“%(name)s”。", name=form.name.data)):
        return redirect(url_for(".sessions"))
    return page("session.html", form, row=row, form=form)


# -- categories and result classes ------------------------------------------------------------

def _rename_form(kind: str, item, formdata=None) -> FlaskForm:
    prefix = f"{kind}-{item.id}"
    if kind == "category":
        return CategoryForm(formdata=formdata, prefix=prefix, obj=item)
    form = ResultClassForm(formdata=formdata, prefix=prefix, obj=item)
    del form.code
    return form


def _vocabulary_page(body: str, year: int, bound: dict[str, FlaskForm] | None = None):
    """Both vocabularies of ``body`` and ``year``; ``bound`` holds the posted forms, by key."""
    bound = bound or {}
    lists = {kind: [(item, bound.get(f"{kind}-{item.id}") or _rename_form(kind, item))
                    for item in admin.vocabulary(kind, body, year)] for kind in admin.VOCABULARIES}
    forms = {"category": bound.get("category") or CategoryForm(prefix="new-category"),
             "result_class": bound.get("result_class") or ResultClassForm(prefix="new-result_class"),
             "copy": bound.get("copy") or CopyYearForm(prefix="copy", data={"to_year": year + 1})}
    years = sorted({*admin.years_in_use(), year, year + 1}, reverse=True)
    return page("vocabulary.html", *bound.values(), body=body, year=year, years=years, bodies=BODY_LABELS,
                lists=lists, forms=forms)


def _back(body: str, year: int):
    return redirect(url_for(".vocabulary", body=body, year=year))


@bp.route("/vocabulary")
def vocabulary():
    body = request.args.get("body") if request.args.get("body") in BODIES else BODIES[0]
    year = request.args.get("year", type=db_int)
    if year not in admin.YEARS:  # by default the latest year that has a vocabulary
        year = db.session.scalar(select(func.max(Category.year)).where(Category.body == body)) or clock.today().year
    return _vocabulary_page(body, year)


@bp.post(f"/vocabulary/{BODY_ROUTE}/<year:year>/category")
def add_category(body: str, year: int):
    form = CategoryForm(prefix="new-category")
    if submitted(form, lambda: admin.add_category(current_user, body, year, form.name.data),
                 _("已新增分类“%(name)s”。", name=form.name.data)):
        return _back(body, year)
    return _vocabulary_page(body, year, {"category": form})


@bp.post(f"/vocabulary/{BODY_ROUTE}/<year:year>/result_class")
def add_result_class(body: str, year: int):
    form = ResultClassForm(prefix="new-result_class")
    if submitted(form, lambda: admin.add_result_class(current_user, body, year, form.code.data, form.label.data,
                                                      form.adopted.data),
                 _("已新增结果分类“%(name)s”。", name=form.label.data)):
        return _back(body, year)
    return _vocabulary_page(body, year, {"result_class": form})


@bp.post("/vocabulary/category/<int:item_id>")
def rename_category(item_id: int):
    item = get(admin.VOCABULARIES["category"], item_id)
    form = _rename_form("category", item, request.form)
    if submitted(form, lambda: admin.rename_category(current_user, item.id, form.name.data), _("已保存。")):
        return _back(item.body, item.year)
    return _vocabulary_page(item.body, item.year, {f"category-{item.id}": form})


@bp.post("/vocabulary/result_class/<int:item_id>")
def update_result_class(item_id: int):
    item = get(admin.VOCABULARIES["result_class"], item_id)
    form = _rename_form("result_class", item, request.form)
    if submitted(form, lambda: admin.update_result_class(current_user, item.id, form.label.data, form.adopted.data),
                 _("已保存。")):
        return _back(item.body, item.year)
    return _vocabulary_page(item.body, item.year, {f"result_class-{item.id}": form})


@bp.post("/vocabulary/<any(category, result_class):kind>/<int:item_id>/<any(up, down):direction>")
def move(kind: str, item_id: int, direction: str):
    item = get(admin.VOCABULARIES[kind], item_id)
    admin.move_item(current_user, kind, item.id, MOVES[direction])
    return _back(item.body, item.year)


@bp.post(f"/vocabulary/{BODY_ROUTE}/<year:year>/copy")
def copy_vocabulary(body: str, year: int):
    form = CopyYearForm(prefix="copy")
    if submitted(form, lambda: admin.copy_vocabulary(current_user, body, year, form.to_year.data),
                 _("已将%(year)s年的分类和结果分类复制到%(to)s年。", year=year, to=form.to_year.data)):
        return _back(body, form.to_year.data)
    return _vocabulary_page(body, year, {"copy": form})


# -- holiday calendar -----------------------------------------------------------------------

def _holidays_page(year: int, edit: HolidayForm | None = None, load: HolidayImportForm | None = None):
    edit = edit or HolidayForm(prefix="day")
    load = load or HolidayImportForm(prefix="import", data={"year": year})
    return page("holidays.html", edit, load, year=year, entries=holidays.entries_of_year(year), edit=edit, load=load)


@bp.route("/holidays")
def holidays_page():
    year = request.args.get("year", clock.today().year, type=db_int)
    return _holidays_page(year if year in admin.YEARS else clock.today().year)


@bp.post("/holidays/day")
def holiday_day():
    form = HolidayForm(prefix="day")
    if submitted(form, lambda: holidays.set_day(current_user, form.day.data, form.kind.data == "work",
                                                form.name.data or ""),
                 _("节假日设置已保存；未结案件按工作日计算的期限已重新计算。")):
        return redirect(url_for(".holidays_page", year=form.day.data.year))
    return _holidays_page(form.day.data.year if form.day.data else clock.today().year, edit=form)


@bp.post("/holidays/import")
def holiday_import():
    form = HolidayImportForm(prefix="import")
    if submitted(form, lambda: admin.import_holiday_year(current_user, form.year.data, form.replace.data),
                 _("已导入 %(year)s 年的节假日和调休数据。", year=form.year.data)):
        return redirect(url_for(".holidays_page", year=form.year.data))
    year = form.year.data if form.year.data in admin.YEARS else clock.today().year
    return _holidays_page(year, load=form)
