"""What the API reads: vocabularies, cases (the HTML list's filters), one case with everything the
case page shows, the unit's 待办, the dashboard's figures and the files — each through the same
query filter (``caseflow.access``) and functions as the pages."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal
from urllib.parse import urlencode

from flask import send_file
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from caseflow import figures, stats
from caseflow.access import get_visible_case
from caseflow.api import schemas as s
from caseflow.api.core import PREFIX, ApiError, form_errors, json_response, operation
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Category, ResultClass, Session, Unit
from caseflow.models.base import BODIES
from caseflow.services import attachments
from caseflow.services.admin import YEARS
from caseflow.timeline import case_timeline, outsider
from caseflow.web import case_actions
from caseflow.web.cases import case_file, case_related, filter_choices, matching_cases, unit_work
from caseflow.web.dashboard import current_filter
from caseflow.web.forms import CaseFilterForm, session_years
from caseflow.web.reports import letter_response
from caseflow.workflow import engine, spec

Body = Literal[BODIES]  # type: ignore[valid-type]
LIMIT = Field(50, ge=1, le=200, description="每页条数")
ID = Field(None, ge=1, le=s.MAX_ID)
YEAR = Field(None, ge=YEARS[0], le=YEARS[-1], description="年度（系统保存的年度范围内）")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VocabularyQuery(Strict):
    body: Body | None = None
    year: int | None = YEAR


class CaseFilters(Strict):
    """The HTML case list's filters (the same form validates them)."""

    q: str | None = Field(None, max_length=100, description="标题或编号")
    body: Body | None = None
    session_id: int | None = ID
    unit_id: int | None = ID
    state: Literal[spec.states("case")] | None = None  # type: ignore[valid-type]
    category_id: int | None = ID
    overdue: bool | None = None
    key_case: bool | None = None
    figure: Literal[tuple(figures.case_lists())] | None = Field(  # type: ignore[valid-type]
        None, description="统计口径：看板上某个数字背后的案件（与 year 等同用）")
    year: int | None = YEAR
    cursor: str | None = Field(None, pattern=r"^[0-9]{1,10}(,[0-9]{4}-[0-9]{2}-[0-9]{2})?$",
                               description="上一页返回的 next_cursor")
    limit: int = LIMIT
    count: bool = Field(False, description="同时给出符合条件的总数（total；多一次计数查询）")


class CaseListQuery(CaseFilters):
    fields: str | None = Field(None, max_length=300, pattern=r"^[a-z_]+(,[a-z_]+)*$",
                               description="只返回这些字段，逗号分隔，如 id,title,state")


class FiguresQuery(Strict):
    year: int | None = YEAR
    body: Body | None = None
    session_id: int | None = ID
    unit_id: int | None = Field(None, ge=1, le=s.MAX_ID, description="承办单位的人只能看本单位")


def _filter_form(q: CaseFilters) -> CaseFilterForm:
    """The list's own filter form, filled from the API's parameters and validated as on the page."""
    data = MultiDict()
    for name in CaseFilterForm.__dict__:
        value = getattr(q, name, None) if name in CaseFilters.model_fields else None
        if value is True:
            data[name] = "y"
        elif value not in (None, False):
            data[name] = str(value)
    if not data:  # no filter: nothing to check against the choices (three queries saved)
        return CaseFilterForm(formdata=None)
    form = CaseFilterForm(formdata=data)
    filter_choices(form)
    if not form.validate():
        raise ApiError(422, "筛选条件有误。", form_errors(form))
    return form


# -- vocabularies ---------------------------------------------------------------------------------

@operation("/sessions", summary="届次", tag="vocabulary", ok=s.Sessions)
def sessions():
    return s.Sessions(items=db.session.scalars(select(Session).order_by(Session.year.desc(), Session.id)).all())


@operation("/units", summary="承办单位", tag="vocabulary", ok=s.Units)
def units():
    return s.Units(items=db.session.scalars(select(Unit).order_by(Unit.id)).all())


def _vocabulary(model, q: VocabularyQuery):
    query = select(model).order_by(model.year.desc(), model.body, model.position, model.id)
    if q.body:
        query = query.where(model.body == q.body)
    if q.year:
        query = query.where(model.year == q.year)
    return db.session.scalars(query).all()


@operation("/categories", summary="分类", tag="vocabulary", query=VocabularyQuery, ok=s.Categories)
def categories(query: VocabularyQuery):
    return s.Categories(items=_vocabulary(Category, query))


@operation("/result-classes", summary="办理结果分类", tag="vocabulary", query=VocabularyQuery, ok=s.ResultClasses)
def result_classes(query: VocabularyQuery):
    return s.ResultClasses(items=_vocabulary(ResultClass, query))


# -- cases ----------------------------------------------------------------------------------------

def _summary(case: Case) -> dict[str, Any]:
    return s.CaseSummary(
        id=case.id, body=case.body, session_id=case.session_id, number=case.number, title=case.title,
        state=case.state, state_label=spec.state_label(case.body, "case", case.state), category_id=case.category_id,
        key_case=case.key_case, consent=case.consent, registered_at=case.registered_at, version=case.version,
        units=[s.UnitPart(unit_id=a.unit_id, role=a.role, state=a.state, due_date=a.due_date)
               for a in case.assignments]).model_dump(mode="json")


def _cursor(text: str, dated: bool = False) -> tuple[int, date | None]:
    """The (id[, due date]) a next_cursor carries; a forged one (id beyond the database's, bad date) → 422."""
    last_id, _, due = text.partition(",")
    try:
        if int(last_id) > s.MAX_ID:
            raise ValueError(last_id)
        return int(last_id), date.fromisoformat(due) if dated else None
    except ValueError:
        raise ApiError(422, "cursor 无效。", [s.FieldError(field="cursor", detail="格式不正确。")]) from None


@operation("/cases", summary="案件列表", tag="cases", query=CaseListQuery, ok=s.CasePage)
def case_list(query: CaseListQuery):
    """与网页案件列表相同的筛选（同一表单校验、同一查询）；按 id 排序，cursor 分页，fields 裁剪字段。"""
    wanted = set(query.fields.split(",")) if query.fields else None
    if wanted and (unknown := wanted - set(s.CaseSummary.model_fields)):
        raise ApiError(422, "fields 中有不存在的字段：" + "、".join(sorted(unknown)) + "。",
                       [s.FieldError(field="fields", detail="不存在的字段：" + "、".join(sorted(unknown)))])
    filtered = matching_cases(_filter_form(query))
    page = filtered
    if query.cursor:
        page = page.where(Case.id > _cursor(query.cursor)[0])
    rows = db.session.scalars(page.options(selectinload(Case.assignments)).order_by(Case.id)
                              .limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    items = [_summary(c) for c in rows]
    if wanted:
        items = [{k: v for k, v in item.items() if k in wanted} for item in items]
    return json_response({"items": items, "total": _count(filtered) if query.count else None,
                          "next_cursor": str(rows[-1].id) if more else None})


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def action_url(case: Case, kind: str, target_id: int, name: str) -> str:
    middle = "" if kind == "case" else f"/{kind}s/{target_id}"
    return f"{PREFIX}/cases/{case.id}{middle}/actions/{name}"


def expected_version(name: str, case: Case, row, user) -> int | None:
    """The version the page's form would carry for this action (If-Match), None when it has none."""
    offer = case_actions.OFFERS[name]
    if not hasattr(offer.form, "version"):
        return None
    data = {"version": getattr(row, "version", None)}
    if offer.prefill:
        data.update(offer.prefill(case, row, user))
    return data["version"] if data.get("reply_id", True) else None  # a new draft has no version yet


def case_detail(case: Case) -> s.CaseDetail:
    related = case_related(current_user, case)

    def reply(r) -> s.ReplyOut:
        letter = None if case.no_written_reply else f"{PREFIX}/cases/{case.id}/replies/{r.id}/letter.pdf"
        return s.ReplyOut.model_validate({**_columns(r), "letter": letter})

    staff = not outsider(current_user)  # a proposer's token reads the events as their case page shows them
    events = [s.EventOut(id=e.event.id, assignment_id=e.event.assignment_id, actor_id=e.event.actor_id if staff else None,
                         at=e.at, transition=e.event.transition, from_state=e.event.from_state,
                         to_state=e.event.to_state, comment=e.comment) for e in case_timeline(case, current_user)]
    actions = [s.ActionOut(action=a.name, label=a.label, target=_kind(a.target), target_id=a.target.id,
                           url=action_url(case, _kind(a.target), a.target.id, a.name),
                           version=expected_version(a.name, case, a.target, current_user))
               for a in case_actions.available(current_user, case)]
    return s.CaseDetail(
        **{k: getattr(case, k) for k in ("id", "body", "session_id", "number", "title", "text", "state", "category_id",
                                          "lead_proposer_id", "consent", "no_written_reply", "key_case",
                                          "merged_into_id", "registered_at", "version")},
        state_label=spec.state_label(case.body, "case", case.state),
        assignments=[s.AssignmentOut(**_columns(a), unit_name=a.unit.name,
                                     state_label=spec.state_label(case.body, "assignment", a.state))
                     for a in sorted(case.assignments, key=lambda a: a.id)],
        drafts=[reply(r) for r in related["drafts"]], replies=[reply(r) for r in related["replies"]],
        feedback=related["feedback"], follow_ups=related["follow_ups"], disclosures=related["disclosures"],
        events=events,
        files=[s.FileOut(**_columns(f), url=f"{PREFIX}/cases/{case.id}/files/{f.id}") for f in related["files"]],
        actions=actions)


def _columns(row) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}


def _kind(target) -> str:
    return "assignment" if isinstance(target, Assignment) else "case" if isinstance(target, Case) else "disclosure"


def case_response(case: Case, status: int = 200):
    detail = case_detail(case)
    return json_response(detail.model_dump(mode="json"), status, headers={"ETag": f'"{case.version}"'})


@operation("/cases/<int:case_id>", summary="一件案件", tag="cases", ok=s.CaseDetail, errors=(404,))
def case(case_id: int):
    """案件及其交办、答复（含本单位可见的答复稿）、评价、回头看、公开、事件、附件，以及令牌用户现在可执行的操作。"""
    return case_response(get_visible_case(current_user, case_id))


@operation("/cases/<int:case_id>/files/<int:file_id>", summary="下载附件", tag="cases", media="*/*", errors=(404,))
def case_file_download(case_id: int, file_id: int):
    file = case_file(current_user, case_id, file_id)
    return send_file(attachments.path_of(file), mimetype=file.content_type, as_attachment=True,
                     download_name=file.filename)


@operation("/cases/<int:case_id>/replies/<int:reply_id>/letter.pdf", summary="下载答复函", tag="cases",
           media="application/pdf", errors=(404,))
def reply_letter(case_id: int, reply_id: int):
    return letter_response(current_user, case_id, reply_id)


# -- 待办 -------------------------------------------------------------------------------------------

@operation("/inbox", summary="本单位待办", tag="cases", query=CaseFilters, ok=s.InboxPage, errors=(403,))
def inbox(query: CaseFilters):
    """令牌所属单位尚未办完的交办（与网页待办相同的查询），按期限、id 排序，cursor 分页。"""
    if not engine.page_allowed(current_user, "inbox"):
        raise ApiError(403, "只有承办单位的经办人和负责人有待办。")
    work = unit_work(current_user.unit_id, _filter_form(query))
    total = _count(work) if query.count else None
    if query.cursor:
        last_id, due_date = _cursor(query.cursor, dated=True)
        work = work.where(or_(Assignment.due_date > due_date,
                              and_(Assignment.due_date == due_date, Assignment.id > last_id)))
    rows = db.session.scalars(work.options(selectinload(Assignment.unit), selectinload(Assignment.case))
                              .order_by(Assignment.due_date, Assignment.id)
                              .limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    items = [s.InboxItem(case_id=a.case.id, case_number=a.case.number, case_title=a.case.title,
                         session_id=a.case.session_id,
                         assignment=s.AssignmentOut(**_columns(a), unit_name=a.unit.name,
                                                    state_label=spec.state_label(a.case.body, "assignment", a.state)))
             for a in rows]
    return s.InboxPage(items=items, total=total,
                       next_cursor=f"{rows[-1].id},{rows[-1].due_date.isoformat()}" if more else None)


# -- figures ----------------------------------------------------------------------------------------

def _figures(x: stats.Figures, f: stats.Filter, unit_id: int | None) -> list[s.FigureOut]:
    out = []
    for fig in figures.FIGURES:
        value = fig.value(x)
        rate = isinstance(value, stats.Rate)
        link = {"figure": fig.counts, "year": f.year, "body": f.body, "session_id": f.session_id, "unit_id": unit_id}
        out.append(s.FigureOut(key=fig.key, label=fig.label, kind=fig.kind, value=fig.number(x),
                               numerator=value.numerator if rate else None,
                               denominator=value.denominator if rate else None,
                               cases=f"{PREFIX}/cases?" + urlencode({k: v for k, v in link.items() if v is not None})))
    return out


@operation("/figures", summary="统计数字（DESIGN §5）", tag="figures", query=FiguresQuery, ok=s.FiguresOut, errors=(403,))
def figures_view(query: FiguresQuery):
    """与看板相同的筛选和函数（caseflow.stats、caseflow.figures）：全区（或本单位）合计与各单位。"""
    if not engine.page_allowed(current_user, "dashboard"):
        raise ApiError(403, "没有查看统计的权限。")
    f = current_filter(session_years())
    return s.FiguresOut(year=f.year, body=f.body, session_id=f.session_id, unit_id=f.unit_id,
                        total=_figures(stats.summary(f), f, f.unit_id),
                        units=[s.UnitFiguresOut(unit_id=u.unit_id, unit_name=u.unit_name,
                                                figures=_figures(u.figures, f, u.unit_id))
                               for u in stats.unit_table(f)])
