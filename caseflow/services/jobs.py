"""Background jobs: reports too long to render during a request, and 交办清单 imports.

A request queues a ``Job`` row (``submit``, with the uploaded file stored under
``instance/jobs/`` until the job ran) and answers at once. The scheduler process
(``flask scheduler``) polls every ``JOBS_POLL_SECONDS`` and runs what is due, one job at a time
(``run_pending``). To run a job a runner first takes its lease (``caseflow.job_locks``: a lock
that dies with the runner's process), then claims the row: state ``running``, ``attempts + 1``.

A job runs in one transaction that also marks it ``done``: an import has created every case and
says so, or has created nothing. A runner that dies mid-job (SIGKILL, OOM, a lost host) rolls
that transaction back and drops its lease with its process; the next poll finds the job
``running`` without a lease and runs it again — at most ``JOBS_MAX_ATTEMPTS`` claims in all,
then the job is ``failed``. An exception inside a job is recorded and the job failed at once:
running it again would fail the same way.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from caseflow import clock
from caseflow.extensions import db
from caseflow.job_locks import Lease, jobs_dir
from caseflow.models import Job, User
from caseflow.services.base import transaction
from caseflow.workflow import engine

log = logging.getLogger(__name__)
OPEN = ("queued", "running")


@dataclass
class Output:
    result: dict[str, Any] | None = None  # for the job page
    file: bytes | None = None  # kept for download
    suffix: str = ""


Progress = Callable[[int], None]
# kind → function(job, progress) -> Output, registered by the modules that own the kinds
HANDLERS: dict[str, Callable[[Job, Progress], Output]] = {}


class LeaseLost(Exception):
    """The job was claimed again while this runner still worked on it (its lease had lapsed)."""


def pdf_handler(render: Callable[[dict, Progress], bytes]) -> Callable[[Job, Progress], Output]:
    """A report kind's handler: its PDF, kept for download."""
    return lambda job, progress: Output(file=render(job.params, progress), suffix=".pdf")


def submit(actor: User, kind: str, params: dict[str, Any], upload: bytes | None = None,
           suffix: str = "") -> Job:
    """Queue a job (with the file it works on); with ``JOBS_INLINE`` (tests) run it at once."""
    if upload is not None:
        path = jobs_dir() / f"upload-{uuid.uuid4().hex}{suffix}"
        path.write_bytes(upload)
        params = {**params, "upload": path.name}
    with transaction():
        job = Job(kind=kind, params=params, requested_by_id=actor.id)
        db.session.add(job)
    if current_app.config.get("JOBS_INLINE"):
        run_job(job.id)
    return job


def upload_path(job: Job) -> Path:
    return jobs_dir() / job.params["upload"]


def run_pending(stop: threading.Event | None = None) -> int:
    """Run every job that is queued or lost its runner, oldest first; how many ran."""
    ran = 0
    while stop is None or not stop.is_set():
        open_ids = db.session.scalars(select(Job.id).where(Job.state.in_(OPEN)).order_by(Job.id)).all()
        db.session.rollback()  # no read transaction left open while a job runs
        if not any(run_job(job_id) for job_id in open_ids):
            break
        ran += 1
    return ran


def run_job(job_id: int) -> bool:
    """Claim and run one job unless another runner has it or it ended; whether it ran."""
    lease = Lease.take(job_id)
    if lease is None:
        return False
    try:
        job = _claim(job_id)
        if job is not None:
            _execute(job, lease)
        return job is not None
    finally:
        lease.release()


def _claim(job_id: int) -> Job | None:
    with transaction():
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None or job.state not in OPEN:
            return None  # it ended between the listing and the lease
        if job.attempts >= current_app.config["JOBS_MAX_ATTEMPTS"]:
            job.state, job.finished_at = "failed", clock.now()
            job.error = f"后台进程在执行中中断了 {job.attempts} 次，未完成。"
            log.error("job %s failed: its runner died %s times", job.id, job.attempts)
            _discard_upload(job)
            return None
        if job.attempts:
            log.warning("job %s: its runner died, running it again (attempt %s)", job.id, job.attempts + 1)
        job.state, job.progress, job.started_at, job.attempts = "running", 0, clock.now(), job.attempts + 1
    return job


def _execute(job: Job, lease: Lease) -> None:
    job_id, kind, attempt = job.id, job.kind, job.attempts
    try:
        try:
            with transaction():
                output = HANDLERS[kind](job, lease.progress)
                path = None
                if output.file is not None:
                    path = jobs_dir() / f"job-{job_id}{output.suffix}"
                    path.write_bytes(output.file)
                _finish(job_id, attempt, state="done", progress=100, result=output.result,
                        file_path=str(path) if path else None)
        except LeaseLost:
            raise
        except Exception as e:  # recorded for the person waiting on the job page
            log.exception("job %s (%s) failed", job_id, kind)
            with transaction():
                _finish(job_id, attempt, state="failed", error=f"{type(e).__name__}: {e}"[:500])
    except LeaseLost as e:
        log.warning("%s: the other claim's outcome stands", e)
        return
    _discard_upload(db.session.get(Job, job_id))


def _finish(job_id: int, attempt: int, **values: Any) -> None:
    """End the job as this claim's runner; nothing of the claim is kept if it was claimed again."""
    finished = db.session.execute(
        update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.state == "running")
        .values(finished_at=clock.now(), **values).execution_options(synchronize_session=False))
    if finished.rowcount != 1:
        raise LeaseLost(f"job {job_id} was claimed again during attempt {attempt}")


def _discard_upload(job: Job | None) -> None:
    """The uploaded file is kept until its job ended, done or failed."""
    if job is not None and job.state not in OPEN and job.params.get("upload"):
        upload_path(job).unlink(missing_ok=True)


def visible_to(job: Job, user: User) -> bool:
    """Who started it, and whom the rule book lets see others' jobs (dispatchers, admins)."""
    return job.requested_by_id == user.id or engine.page_allowed(user, "jobs_of_others")
