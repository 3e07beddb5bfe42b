"""Background jobs through the API: the 交办清单 import answers 202 with a job to poll, as the page
does (a large file would outlast the request's timeout); its result and error workbook come here."""
from __future__ import annotations

from pathlib import Path

from flask import send_file
from flask_login import current_user

from caseflow.api import schemas as s
from caseflow.api.core import PREFIX, ApiError, operation
from caseflow.extensions import db
from caseflow.job_locks import published_progress
from caseflow.models import Job
from caseflow.services import jobs

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not jobs.visible_to(job, current_user):
        raise ApiError(404)
    return job


def job_out(job: Job) -> s.JobOut:
    done = job.state == "done"
    return s.JobOut(id=job.id, kind=job.kind, state=job.state, progress=published_progress(job),
                    url=f"{PREFIX}/jobs/{job.id}", error=job.error if job.state == "failed" else None,
                    result=_import_result(job.result) if done and job.kind == "import" else None,
                    file_url=f"{PREFIX}/jobs/{job.id}/file" if done and job.file_path else None)


def _import_result(summary: dict) -> s.ImportOut:
    def notes(rows: list) -> list[s.FieldError]:
        return [s.FieldError(field=f"第{row}行 {column}", detail=reason) for row, column, reason in rows]

    return s.ImportOut(dry_run=summary["dry_run"], sheet=summary.get("sheet", ""),
                       planned=summary.get("planned", 0), created=summary.get("case_ids", []),
                       new_proposers=summary.get("new_proposers", []), warnings=notes(summary.get("warnings", [])),
                       errors=notes(summary.get("errors", [])), refused=summary.get("refused"))


@operation("/jobs/<int:job_id>", summary="后台任务", tag="actions", ok=s.JobOut, errors=(404,))
def job(job_id: int):
    """导入等后台任务的进度与结果；只有发起人、督查科和管理员能看到。"""
    return job_out(_visible(job_id))


@operation("/jobs/<int:job_id>/file", summary="后台任务的文件", tag="actions", media=XLSX, errors=(404,))
def job_file(job_id: int):
    """导入有错误时：原表格，错误单元格标红并附原因。"""
    job = _visible(job_id)
    if job.state != "done" or not job.file_path or job.kind != "import":
        raise ApiError(404)
    name = f"{Path(job.params['filename']).stem or '交办清单'}-错误标注.xlsx"
    return send_file(job.file_path, mimetype=XLSX, as_attachment=True, download_name=name)
