"""The lease a runner holds on the job it runs, and the channel its progress goes through.

The lease is a lock that the operating system or the database drops when the runner's process
dies, however it dies (SIGKILL, OOM, a lost host), so a job is never stuck with a dead owner and
never run by two live ones — the same two mechanisms as the scheduler's instance lock:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock(JOB_LOCK_CLASS, job id)``) on
  a connection of its own, which also writes the job's progress (autocommit, outside the job's
  transaction). Server-side TCP keepalives bound how long a vanished host keeps it: about 30 s.
- SQLite: ``fcntl.flock`` on ``instance/jobs/job-<id>.lock``; the progress is written into that
  file, because SQLite admits one writer and the import holds the write lock for its whole
  transaction.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, text, update

from caseflow.extensions import db
from caseflow.models import Job

JOB_LOCK_CLASS = 0x6A6F62  # "job": the first key of every job's advisory lock


def jobs_dir() -> Path:
    path = Path(current_app.config["INSTANCE_DIR"]) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _lock_file(job_id: int) -> Path:
    return jobs_dir() / f"job-{job_id}.lock"


class Lease:
    """Held while this process runs job ``job_id``; ``take`` answers None when another one has it."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self._conn: Connection | None = None
        self._fd: int | None = None
        self._last = -1

    @classmethod
    def take(cls, job_id: int) -> Lease | None:
        lease = cls(job_id)
        return lease if lease._acquire() else None

    def _acquire(self) -> bool:
        if db.engine.dialect.name == "postgresql":
            conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("SELECT set_config('tcp_keepalives_idle', '10', false), "
                              "set_config('tcp_keepalives_interval', '5', false), "
                              "set_config('tcp_keepalives_count', '4', false)"))
            if conn.scalar(text("SELECT pg_try_advisory_lock(:c, :j)"), {"c": JOB_LOCK_CLASS, "j": self.job_id}):
                self._conn = conn
                return True
            conn.close()
            return False
        fd = os.open(_lock_file(self.job_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)  # a progress left by an earlier, interrupted attempt
        self._fd = fd
        return True

    def progress(self, percent: int) -> None:
        """Publish the job's progress (0–100) for the job page."""
        percent = max(0, min(int(percent), 100))
        if percent == self._last:
            return
        self._last = percent
        if self._conn is not None:
            self._conn.execute(update(Job).where(Job.id == self.job_id, Job.state == "running")
                               .values(progress=percent))
        elif self._fd is not None:
            os.pwrite(self._fd, f"{percent:3d}".encode(), 0)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.scalar(text("SELECT pg_advisory_unlock(:c, :j)"), {"c": JOB_LOCK_CLASS, "j": self.job_id})
            finally:
                self._conn.close()
                self._conn = None
        if self._fd is not None:
            os.close(self._fd)  # drops the flock; the file stays (another runner may have it open)
            self._fd = None


def published_progress(job: Job) -> int:
    """The progress of a running job as its runner last published it."""
    if job.state != "running" or db.engine.dialect.name == "postgresql":
        return job.progress
    try:
        return int(_lock_file(job.id).read_text())
    except (OSError, ValueError):  # no file, or nothing published yet
        return job.progress
