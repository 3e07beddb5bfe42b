"""Background jobs as their owner sees them: progress while queued or running, then the result
(a report's PDF, an import's errors or created cases) and its file. Only who started a job, the
dispatchers and the admins see it; anyone else gets 404."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Blueprint, abort, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseflow import clock
from caseflow.extensions import db
from caseflow.job_locks import published_progress
from caseflow.models import Job
from caseflow.services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
KIND_LABELS = {"unit": _l("年度办理工作总结"), "district": _l("全区办理情况报告"), "import": _l("导入交办清单")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STALLED = timedelta(seconds=30)  # queued this long: the scheduler process is probably not running


def _visible(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not jobs.visible_to(job, current_user):
        abort(404)
    return job


@bp.route("/<int:job_id>")
@login_required
def page(job_id: int):
    job = _visible(job_id)
    stalled = job.state == "queued" and clock.now() - job.created_at > STALLED
    return render_template("jobs/job.html", job=job, label=KIND_LABELS[job.kind], progress=published_progress(job),
                           stalled=stalled, result=job.result or {})


@bp.route("/<int:job_id>/download")
@login_required
def download(job_id: int):
    job = _visible(job_id)
    if job.state != "done" or not job.file_path:
        abort(404)
    if job.kind == "import":
        name = f"{Path(job.params['filename']).stem or '交办清单'}-错误标注.xlsx"
        return send_file(job.file_path, mimetype=XLSX, as_attachment=True, download_name=name)
    return send_file(job.file_path, mimetype="application/pdf", download_name=f"report-{job.id}.pdf")
