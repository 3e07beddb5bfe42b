"""Reports too long to render during a request (more than ~100 cases) become a job row:
rendered in the background with its progress stored, the finished PDF kept for download."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import ReportJob, User
from caseflow.services.base import transaction

INLINE_LIMIT = 100  # cases; beyond this a report renders in the background

# kind → function(params, progress) -> PDF bytes; registered by the report modules
RENDERERS: dict[str, Callable[[dict, Callable[[int], None]], bytes]] = {}


def job_path(job: ReportJob) -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "reports" / f"job-{job.id}.pdf"


def start(actor: User, kind: str, params: dict) -> ReportJob:
    """Queue a job and start rendering it in a worker thread (inline when REPORT_JOBS_INLINE)."""
    with transaction():
        job = ReportJob(kind=kind, params=params, requested_by_id=actor.id)
        db.session.add(job)
    app = current_app._get_current_object()
    if app.config.get("REPORT_JOBS_INLINE"):
        run(job.id)
    else:
        threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True, name=f"report-{job.id}").start()
    return job


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()


def run(job_id: int) -> None:
    """Render one job, storing progress as it goes; a failure is recorded on the row."""
    job = db.session.get(ReportJob, job_id)

    def progress(percent: int) -> None:
        job.progress = max(0, min(percent, 100))
        db.session.commit()

    job.state = "running"
    progress(1)
    try:
        pdf = RENDERERS[job.kind](job.params, progress)
        path = job_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        job.file_path, job.state, job.finished_at = str(path), "done", clock.now()
        progress(100)
    except Exception as e:  # recorded for the person waiting on the job page
        db.session.rollback()
        job.state, job.error, job.finished_at = "failed", f"{type(e).__name__}: {e}"[:500], clock.now()
        db.session.commit()
        current_app.logger.exception("report job %s failed", job_id)
