"""Excel in and out: the 交办清单 import page, its template, and exports of the case lists."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField
from wtforms.validators import DataRequired

from caseflow import clock
from caseflow.access import page_required
from caseflow.extensions import db
from caseflow.i18n import aside, in_chinese
from caseflow.import_template import template_bytes
from caseflow.models import Assignment, Case, CaseCosigner, Job, Session
from caseflow.models.base import BODY_LABELS
from caseflow.models.case import CONSENT_LABELS
from caseflow.services import import_jobs, importer
from caseflow.web.cases import filter_form, filtered_cases, unit_work
from caseflow.web.forms import Select, attach_error, options, status_of
from caseflow.web.public import published_rows
from caseflow.xlsx import workbook_bytes

bp = Blueprint("sheets", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(FlaskForm):
    session_id = Select(_l("届次"), coerce=int, validators=[DataRequired(_l("请选择届次。"))])
    file = FileField(_l("交办清单（.xlsx）"))
    dry_run = BooleanField(_l("仅检查，不导入"))


def xlsx_download(data: bytes, name: str) -> Response:
    from urllib.parse import quote

    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@bp.route("/cases/import", methods=["GET", "POST"])
@page_required("import_cases")
def import_cases():
    """Upload a 交办清单: checked and imported in the background (the job page shows the outcome)."""
    form = ImportForm()
    form.session_id.choices = options([(s.id, aside(f"{s.year} {s.name}", BODY_LABELS[s.body])) for s in
                                       db.session.scalars(select(Session).order_by(Session.year.desc(), Session.id))])
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.file.errors = [_("请选择要导入的 .xlsx 文件。")]
        else:
            try:
                job = import_jobs.start(current_user, upload.stream, upload.filename,
                                        db.session.get(Session, form.session_id.data), dry_run=form.dry_run.data)
            except importer.ImportRefused as e:
                attach_error(form, e)
            else:
                return redirect(url_for("jobs.page", job_id=job.id))
    status = status_of(form)
    recent = db.session.scalars(select(Job).where(Job.kind == "import", Job.requested_by_id == current_user.id)
                                .order_by(Job.id.desc()).limit(10)).all()
    return render_template("cases/import.html", form=form, labels=importer.COLUMN_LABELS, recent=recent,
                           max_rows=importer.MAX_ROWS, max_mb=importer.MAX_BYTES // 1024 // 1024), status


@bp.route("/cases/import/template.xlsx")
@page_required("import_cases")
@in_chinese
def import_template():
    return xlsx_download(template_bytes(), "交办清单导入模板.xlsx")


# the 交办清单 columns come last, so that an exported list imports again as the same cases
CASE_HEADERS = ["年度", "类别", "编号", "标题", "分类", "领衔", "主办单位", "会办单位", "状态", "办理期限", "重点督办",
                "联名", "交办日期", "公开意愿", "正文"]
CELL_LIMIT = 32767  # characters Excel keeps in a cell


def _case_row(case: Case) -> list:
    leads = [a for a in case.lead_assignments if not a.is_gone]
    return [case.session.year, case.body_label, case.number, case.title,
            case.category.name if case.category else "", case.lead_proposer.name,
            "、".join(a.unit.name for a in leads),
            "、".join(a.unit.name for a in case.assignments if a not in leads and not a.is_gone),
            case.state_label, min((a.due_date for a in leads), default=None), "是" if case.key_case else "",
            "、".join(c.proposer.name for c in case.cosigners), min((a.assigned_on for a in leads), default=None),
            CONSENT_LABELS[case.consent], case.text[:CELL_LIMIT]]


@bp.route("/cases/export.xlsx")
@login_required
@in_chinese
def export_cases():
    """The case list with the filters in the URL, as the list page shows it."""
    loads = (selectinload(Case.assignments).selectinload(Assignment.unit), selectinload(Case.session),
             selectinload(Case.cosigners).selectinload(CaseCosigner.proposer),
             selectinload(Case.category), selectinload(Case.lead_proposer))
    cases = (case for part in filtered_cases(filter_form())
             for case in db.session.scalars(part.options(*loads).execution_options(yield_per=1000)))
    return xlsx_download(workbook_bytes("案件列表", CASE_HEADERS, (_case_row(c) for c in cases),
                                    widths=[6, 12, 8, 50, 10, 10, 24, 30, 10, 12, 8, 20, 12, 12, 40]),
                     f"案件列表-{clock.today().isoformat()}.xlsx")


@bp.route("/cases/inbox/export.xlsx")
@page_required("inbox")
@in_chinese
def export_inbox():
    """The unit's 待办 with the filters in the URL, every page of it, most urgent first."""
    today = clock.today()
    query = unit_work(current_user.unit_id, filter_form()).options(
        selectinload(Assignment.case).selectinload(Case.session))
    rows = ([a.due_date, (a.due_date - today).days, a.case.body_label, a.case.number, a.case.title, a.role_label,
             a.status_label] for a in db.session.scalars(query.execution_options(yield_per=1000)))
    return xlsx_download(workbook_bytes("待办", ["办理期限", "剩余天数", "类别", "编号", "标题", "角色", "状态"], rows,
                                    widths=[12, 10, 12, 8, 50, 8, 14]),
                     f"待办-{today.isoformat()}.xlsx")


@bp.route("/public/export.xlsx")
@in_chinese
def export_public():
    rows = ([case.session.year, case.body_label, case.number, case.title, d.decided_at.astimezone(clock.LOCAL_TZ).date()
             if d.decided_at else None] for d, case, reply in published_rows(request.args))
    return xlsx_download(workbook_bytes("公开答复", ["年度", "类别", "编号", "标题", "公开日期"], rows,
                                    widths=[6, 12, 8, 60, 12]), "公开答复.xlsx")

