"""Administration: accounts, units, sessions (届次), the per-year vocabularies, the holiday calendar.

Every service checks that the actor is an admin, validates its input with a Chinese message
naming the form field it belongs to, and commits once.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from caseflow import clock, facts
from caseflow.deadlines import CalendarDataMissing, load_calendar, supported_chinesecalendar_years
from caseflow.errors import PermissionDenied, ValidationError
from caseflow.extensions import db
from caseflow.models import Case, Category, Proposer, ResultClass, Session, Unit, User
from caseflow.models.base import BODIES, BODY_LABELS
from caseflow.models.unit import UNIT_KINDS
from caseflow.passwords import hash_password
from caseflow.services import holidays, login_sessions, security_log, users
from caseflow.services.base import get, transaction
from caseflow.workflow import engine, spec

YEARS = range(2000, 2101)
VOCABULARIES: dict[str, type[Category] | type[ResultClass]] = {"category": Category, "result_class": ResultClass}


def _require_admin(actor: User) -> None:
    if not engine.page_allowed(actor, "administration"):
        raise PermissionDenied(_("只有系统管理员可以执行此操作。"))


def _text(value: str | None, field: str, label: str, max_len: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(_("请填写%(label)s。", label=label), field)
    if len(value) > max_len:
        raise ValidationError(_("%(label)s过长（最多%(max_len)s字）。", label=label, max_len=max_len), field)
    return value


def _year(year: int | None, field: str = "year") -> int:
    if year not in YEARS:
        raise ValidationError(_("年度应在 %(first)s–%(last)s 之间。", first=YEARS[0], last=YEARS[-1]), field)
    return year


def _body(body: str) -> str:
    if body not in BODIES:
        raise ValidationError(_("请选择类别。"), "body")
    return body


# -- accounts -------------------------------------------------------------------------------

def create_account(actor: User, *, username: str, name: str, role: str, password: str, unit_id: int | None = None,
                   proposer_id: int | None = None, email: str = "") -> User:
    """A new account; a handler or unit leader needs an active unit, a proposer account a proposer."""
    _require_admin(actor)
    with transaction():
        unit = get(Unit, unit_id) if unit_id and role in spec.roles_with_scope("unit") else None
        if unit is not None and not unit.active:
            raise ValidationError(_("该承办单位已停用，不能新增账号。"), "unit")
        proposer = get(Proposer, proposer_id) if proposer_id and role == "proposer" else None
        user = users.create_user(username=username, name=_text(name, "name", _("姓名"), 50), role=role,
                                 password=password, unit=unit, proposer=proposer, email=email.strip() or None,
                                 commit=False)
    return user


def set_user_active(actor: User, user_id: int, version: int, active: bool) -> User:
    """停用 / 启用 an account; a deactivated user can no longer log in (open sessions end too)."""
    _require_admin(actor)
    with transaction():
        user = get(User, user_id, version)
        if user.id == actor.id and not active:
            raise ValidationError(_("不能停用自己的账号。"))
        user.active = active
        if not active:
            ended = login_sessions.end_all(user.id)
            security_log.record("account_deactivated", user=user, actor=actor, detail=f"结束登录：{ended}")
    return user


def reset_password(actor: User, user_id: int, version: int, password: str) -> User:
    _require_admin(actor)
    with transaction():
        user = get(User, user_id, version)
        if len(password or "") < users.MIN_PASSWORD_LENGTH:
            raise ValidationError(_("密码至少需要 %(length)s 位。", length=users.MIN_PASSWORD_LENGTH), "password")
        user.password_hash = hash_password(password)
        ended = login_sessions.end_all(user.id)
        security_log.record("password_reset", user=user, actor=actor, detail=f"结束登录：{ended}")
    return user


def sign_out_everywhere(actor: User, user_id: int) -> int:
    """全部下线: end every open session of an account (its cookies stop working at once)."""
    _require_admin(actor)
    with transaction():
        user = get(User, user_id)
        ended = login_sessions.end_all(user.id)
        security_log.record("sessions_ended", user=user, actor=actor, detail=f"结束登录：{ended}")
    return ended


# -- units ----------------------------------------------------------------------------------

def _unit_fields(name: str, short_name: str, kind: str, unit_id: int | None = None) -> dict[str, str]:
    name = _text(name, "name", _("单位名称"), 100)
    if kind not in UNIT_KINDS:
        raise ValidationError(_("请选择单位类型。"), "kind")
    if db.session.scalar(select(Unit.id).where(Unit.name == name, Unit.id != unit_id)):
        raise ValidationError(_("已有名为“%(name)s”的单位。", name=name), "name")
    return {"name": name, "short_name": _text(short_name, "short_name", _("简称"), 50, required=False), "kind": kind}


def create_unit(actor: User, name: str, short_name: str = "", kind: str = "department") -> Unit:
    _require_admin(actor)
    with transaction():
        unit = Unit(**_unit_fields(name, short_name, kind))
        db.session.add(unit)
    return unit


def update_unit(actor: User, unit_id: int, version: int, name: str, short_name: str, kind: str) -> Unit:
    """Rename a unit (its cases and accounts follow: they refer to it by id)."""
    _require_admin(actor)
    with transaction():
        unit = get(Unit, unit_id, version)
        for key, value in _unit_fields(name, short_name, kind, unit.id).items():
            setattr(unit, key, value)
    return unit


def set_unit_active(actor: User, unit_id: int, version: int, active: bool) -> Unit:
    """A deactivated unit is no longer offered for 交办 or new accounts; its history stays."""
    _require_admin(actor)
    with transaction():
        unit = get(Unit, unit_id, version)
        unit.active = active
    return unit


# -- sessions -------------------------------------------------------------------------------

def _session_fields(body: str, name: str, term: int | None, meeting: int | None, year: int | None,
                    session_id: int | None = None) -> dict[str, object]:
    name = _text(name, "name", _("届次名称"), 100)
    for field, label, value in (("term", _("届"), term), ("meeting", _("次"), meeting)):
        if not isinstance(value, int) or value < 1:
            raise ValidationError(_("“%(label)s”必须是正整数。", label=label), field)
    _year(year)
    if db.session.scalar(select(Session.id).where(Session.body == body, Session.term == term,
                                                  Session.meeting == meeting, Session.id != session_id)):
        raise ValidationError(_("%(body)s已有第%(term)s届第%(meeting)s次会议。",
                                body=BODY_LABELS[body], term=term, meeting=meeting), "meeting")
    return {"name": name, "term": term, "meeting": meeting, "year": year}


def create_session(actor: User, body: str, name: str, term: int | None, meeting: int | None,
                   year: int | None) -> Session:
    _require_admin(actor)
    with transaction():
        session = Session(body=_body(body), **_session_fields(body, name, term, meeting, year))
        db.session.add(session)
    return session


def update_session(actor: User, session_id: int, name: str, term: int | None, meeting: int | None,
                   year: int | None) -> Session:
    """Correct a session; its body never changes, its year only while it has no cases."""
    _require_admin(actor)
    with transaction():
        session = get(Session, session_id)
        values = _session_fields(session.body, name, term, meeting, year, session.id)
        if year != session.year and db.session.scalar(select(Case.id).where(Case.session_id == session.id).limit(1)):
            raise ValidationError(_("该届次已有案件，不能修改年度。"), "year")
        for key, value in values.items():
            setattr(session, key, value)
    return session


# -- categories and result classes ------------------------------------------------------------

def _taken(model: type, body: str, year: int, column: str, value: str, item_id: int | None = None) -> bool:
    return db.session.scalar(select(model.id).where(model.body == body, model.year == year,
                                                    getattr(model, column) == value, model.id != item_id)) is not None


def _next_position(model: type, body: str, year: int) -> int:
    return (db.session.scalar(select(func.max(model.position)).where(model.body == body, model.year == year))
            or 0) + 1


def _category_name(name: str, body: str, year: int, item_id: int | None = None) -> str:
    name = _text(name, "name", _("分类名称"), 50)
    if _taken(Category, body, year, "name", name, item_id):
        raise ValidationError(_("%(year)s年已有分类“%(name)s”。", year=year, name=name), "name")
    return name


def _class_label(label: str, body: str, year: int, item_id: int | None = None) -> str:
    label = _text(label, "label", _("结果分类名称"), 30)
    if _taken(ResultClass, body, year, "label", label, item_id):
        raise ValidationError(_("%(year)s年已有结果分类“%(label)s”。", year=year, label=label), "label")
    return label


def add_category(actor: User, body: str, year: int, name: str) -> Category:
    _require_admin(actor)
    with transaction():
        body, year = _body(body), _year(year)
        category = Category(body=body, year=year, name=_category_name(name, body, year),
                            position=_next_position(Category, body, year))
        db.session.add(category)
    return category


def rename_category(actor: User, category_id: int, name: str) -> Category:
    _require_admin(actor)
    with transaction():
        category = get(Category, category_id)
        category.name = _category_name(name, category.body, category.year, category.id)
    return category


def add_result_class(actor: User, body: str, year: int, code: str, label: str, adopted: bool) -> ResultClass:
    """A result class; ``adopted`` ones count in 解决采纳率."""
    _require_admin(actor)
    with transaction():
        body, year = _body(body), _year(year)
        code = _text(code, "code", _("代码"), 10)
        if _taken(ResultClass, body, year, "code", code):
            raise ValidationError(_("%(year)s年已有代码为“%(code)s”的结果分类。", year=year, code=code), "code")
        result_class = ResultClass(body=body, year=year, code=code, label=_class_label(label, body, year),
                                   adopted=adopted, position=_next_position(ResultClass, body, year))
        db.session.add(result_class)
    return result_class


def update_result_class(actor: User, class_id: int, label: str, adopted: bool) -> ResultClass:
    _require_admin(actor)
    with transaction():
        result_class = get(ResultClass, class_id)
        result_class.label = _class_label(label, result_class.body, result_class.year, result_class.id)
        result_class.adopted = adopted
    return result_class


def vocabulary(kind: str, body: str, year: int) -> list:
    """The categories or result classes of ``body`` and ``year`` in their order."""
    model = VOCABULARIES[kind]
    return list(db.session.scalars(select(model).where(model.body == body, model.year == year)
                                   .order_by(model.position, model.id)))


def move_item(actor: User, kind: str, item_id: int, step: int) -> None:
    """Move an item one place up (step -1) or down (+1); positions are renumbered 1, 2, 3 …"""
    _require_admin(actor)
    with transaction():
        item = get(VOCABULARIES[kind], item_id)
        items = vocabulary(kind, item.body, item.year)
        i = items.index(item)
        j = min(max(i + step, 0), len(items) - 1)
        items[i], items[j] = items[j], items[i]
        for position, row in enumerate(items, start=1):
            row.position = position
        if kind == "result_class":  # a 回头看 conversion compares the classes' order
            facts.mark_year(item.body, item.year)


def copy_vocabulary(actor: User, body: str, from_year: int, to_year: int | None) -> int:
    """Copy a year's categories and result classes to a year that has none; returns the rows copied."""
    _require_admin(actor)
    with transaction():
        body, from_year = _body(body), _year(from_year)
        _year(to_year, "to_year")
        if any(vocabulary(kind, body, to_year) for kind in VOCABULARIES):
            raise ValidationError(_("%(to_year)s年已有分类或结果分类，未复制。", to_year=to_year), "to_year")
        count = 0
        for c in vocabulary("category", body, from_year):
            db.session.add(Category(body=body, year=to_year, name=c.name, position=c.position))
            count += 1
        for rc in vocabulary("result_class", body, from_year):
            db.session.add(ResultClass(body=body, year=to_year, code=rc.code, label=rc.label, adopted=rc.adopted,
                                       position=rc.position))
            count += 1
        if not count:
            raise ValidationError(_("%(from_year)s年没有可复制的分类或结果分类。", from_year=from_year), "to_year")
    return count


# -- holiday calendar -----------------------------------------------------------------------

def import_holiday_year(actor: User, year: int | None, replace: bool = False) -> int:
    """A year's holidays and 调休 workdays from chinesecalendar; a year with entries only if ``replace``."""
    _require_admin(actor)
    with transaction():
        _year(year)
        if not replace and holidays.years_with_entries([year]):
            raise ValidationError(_("%(year)s年已有节假日数据（可能含管理员的修改）；如需覆盖，请勾选“覆盖已有数据”。", year=year),
                                  "replace")
        try:
            count = holidays.import_chinesecalendar([year], commit=False)
        except CalendarDataMissing:
            covered = supported_chinesecalendar_years()
            raise ValidationError(_("chinesecalendar 没有%(year)s年的数据（支持 %(first)s–%(last)s 年），请逐日维护。",
                                    year=year, first=covered[0], last=covered[-1]), "year") from None
    return count


def years_in_use() -> list[int]:
    """Years whose working days matter: every session's year, this year and the next."""
    today = clock.today()
    return sorted({*db.session.scalars(select(Session.year).distinct()), today.year, today.year + 1})


def missing_calendar_years() -> list[int]:
    """Years in use without any Holiday entry (their working days fall back to Monday–Friday)."""
    years = years_in_use()
    return load_calendar(db.session, years).missing_years(years)
