"""Reports: the unit year-end summary and the district report (editors and PDFs; long ones
render as background jobs, ``caseflow.web.jobs``), the reply letter."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, HiddenField, StringField, TextAreaField
from sqlalchemy import select
from wtforms.validators import Length, Optional

from caseflow.access import get_visible_case, may_read_draft, page_required
from caseflow.errors import Conflict, ValidationError
from caseflow.extensions import db
from caseflow.models import Reply, Unit
from caseflow.models.base import BODY_SHORT_LABELS
from caseflow.reports import district, unit_summary
from caseflow.reports.letters import reply_letter_pdf
from caseflow.services import jobs
from caseflow.services.report_drafts import (
    DistrictNarrative,
    FeaturedCase,
    UnitNarrative,
    can_write,
    can_write_district,
    district_draft,
    saved_date,
    save_district_draft,
    save_unit_draft,
    unit_draft,
)
from caseflow.web.forms import ChineseDateField, Select, attach_error, options, session_years, status_of, version_of
from caseflow.workflow import engine

bp = Blueprint("reports", __name__, url_prefix="/reports")
FEATURED_SLOTS = 4
INLINE_LIMIT = 100  # cases; a longer report renders in the background


def pdf_response(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}"})


class FeaturedForm(FlaskForm):
    class Meta:
        csrf = False  # part of the outer form, which carries the token

    case = Select(_l("案件"), validators=[Optional()])
    text = TextAreaField(_l("案例内容"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 5})


class UnitReportForm(FlaskForm):
    version = HiddenField()
    written_on = ChineseDateField(_l("落款日期（留空为今天）"), validators=[Optional()])
    measures = TextAreaField(_l("二、办理举措"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 8})
    follow_up = TextAreaField(_l("三、办理“回头看”（补充说明）"), validators=[Optional(), Length(max=20000)],
                              render_kw={"rows": 4})
    cases_intro = TextAreaField(_l("四、特色案例（导语）"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 2})
    featured = FieldList(FormField(FeaturedForm), min_entries=FEATURED_SLOTS, max_entries=FEATURED_SLOTS)
    innovation = TextAreaField(_l("五、创新成效"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 6})


class DistrictReportForm(FlaskForm):
    version = HiddenField()
    written_on = ChineseDateField(_l("落款日期（留空为今天）"), validators=[Optional()])
    issuer = StringField(_l("落款单位"), validators=[Optional(), Length(max=100)],
                         render_kw={"placeholder": _l(district.DEFAULT_ISSUER)})
    overview = TextAreaField(_l("一、总体情况（生成段落之后）"), validators=[Optional(), Length(max=20000)],
                             render_kw={"rows": 4})
    measures = TextAreaField(_l("二、主要做法"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 8})
    problems = TextAreaField(_l("六、存在的问题"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 5})
    next_steps = TextAreaField(_l("六、下一步工作"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 5})


def _unit_for(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or (engine.works_in_unit(current_user) and current_user.unit_id != unit_id):
        abort(404)
    return unit


@bp.route("/")
@page_required("reports")
def index():
    """Which year-end summaries exist to write or read: a unit's own, or every unit's."""
    years = session_years()
    if engine.works_in_unit(current_user):
        units = [current_user.unit]
    else:
        units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)).all()
    return render_template("reports/index.html", units=units, years=years)


@bp.route("/unit/<int:unit_id>/<year:year>", methods=["GET", "POST"])
@page_required("reports")
def unit_report(unit_id: int, year: int):
    unit = _unit_for(unit_id)
    summary = unit_summary.build(unit, year)
    draft = unit_draft(unit.id, year)
    narrative = summary.narrative
    form = UnitReportForm(data={
        "version": draft.version if draft else "", "written_on": saved_date(narrative.written_on),
        "measures": narrative.measures, "follow_up": narrative.follow_up, "cases_intro": narrative.cases_intro,
        "innovation": narrative.innovation,
        "featured": [{"case": f"{f.body}:{f.number}", "text": f.text} for f in narrative.featured]})
    choices = [("", "—")] + [(f"{r.body_key}:{r.number}", _("%(body)s 第%(number)s号 %(title)s",
                                                            body=BODY_SHORT_LABELS[r.body_key],
                                                                         number=r.number, title=r.title[:30]))
                             for r in summary.appendix]
    for slot in form.featured:
        slot.case.choices = options(choices)
    editable = can_write(current_user, unit.id)
    if request.method == "POST" and not editable:
        abort(403)
    if form.validate_on_submit():
        featured = []
        for slot in form.featured:
            if slot.case.data:
                body, number = slot.case.data.split(":")
                featured.append(FeaturedCase(number=int(number), body=body, text=slot.text.data or ""))
        try:
            save_unit_draft(current_user, unit.id, year, UnitNarrative(
                written_on=form.written_on.data.isoformat() if form.written_on.data else "", measures=form.measures.data or "",
                follow_up=form.follow_up.data or "", cases_intro=form.cases_intro.data or "",
                featured=featured, innovation=form.innovation.data or ""),
                version_of(form) if form.version.data else None,
                {(r.body_key, r.number) for r in summary.appendix})
        except (ValidationError, Conflict) as e:
            attach_error(form, e)
        else:
            flash(_("草稿已保存。"), "success")
            return redirect(url_for("reports.unit_report", unit_id=unit.id, year=year))
    return render_template("reports/unit.html", form=form, summary=summary, unit=unit, year=year,
                           editable=editable), status_of(form)


@bp.route("/unit/<int:unit_id>/<year:year>.pdf")
@page_required("reports")
def unit_report_pdf(unit_id: int, year: int):
    unit = _unit_for(unit_id)
    params = {"unit_id": unit.id, "year": year}
    if unit_summary.count_cases(unit.id, year) > INLINE_LIMIT:
        job = jobs.submit(current_user, "unit", params)
        return redirect(url_for("jobs.page", job_id=job.id))
    return pdf_response(unit_summary.render(params, lambda _: None), f"{year}年办理工作总结-{unit.name}.pdf")


@bp.route("/district/<year:year>", methods=["GET", "POST"])
@page_required("district_report")
def district_report(year: int):
    draft = district_draft(year)
    narrative = DistrictNarrative.from_json(draft.sections) if draft else DistrictNarrative()
    form = DistrictReportForm(data={"version": draft.version if draft else "",
                                    "written_on": saved_date(narrative.written_on),
                                    **{k: getattr(narrative, k) for k in ("issuer", *narrative.texts())}})
    editable = can_write_district(current_user)
    if request.method == "POST" and not editable:
        abort(403)
    if form.validate_on_submit():
        texts = {k: getattr(form, k).data or "" for k in narrative.texts()}
        try:
            save_district_draft(current_user, year, DistrictNarrative(
                written_on=form.written_on.data.isoformat() if form.written_on.data else "",
                issuer=(form.issuer.data or "").strip(), **texts),
                version_of(form) if form.version.data else None)
        except (ValidationError, Conflict) as e:
            attach_error(form, e)
        else:
            flash(_("草稿已保存。"), "success")
            return redirect(url_for("reports.district_report", year=year))
    report = district.build(year)
    return render_template("reports/district.html", form=form, report=report, year=year, editable=editable), \
        status_of(form)


@bp.route("/district/<year:year>.pdf")
@page_required("district_report")
def district_report_pdf(year: int):
    params = {"year": year}
    if sum(district.case_counts(year).values()) > INLINE_LIMIT:
        job = jobs.submit(current_user, "district", params)
        return redirect(url_for("jobs.page", job_id=job.id))
    return pdf_response(district.render(params, lambda _: None), f"{year}年建议提案办理情况报告.pdf")


@bp.route("/cases/<int:case_id>/replies/<int:reply_id>/letter.pdf")
@login_required
def reply_letter(case_id: int, reply_id: int):
    return letter_response(current_user, case_id, reply_id)


def letter_response(user, case_id: int, reply_id: int):
    """A reply's letter as a PDF, or 404 when the user may not read it (the API's download too)."""
    case = get_visible_case(user, case_id)
    reply = db.session.get(Reply, reply_id)
    if reply is None or reply.case_id != case.id:
        abort(404)
    if not may_read_draft(user, reply) or case.no_written_reply:
        abort(404)  # 不需要书面答复: the reply is recorded, there is no letter
    return pdf_response(reply_letter_pdf(reply), f"答复函-第{case.number}号.pdf")
