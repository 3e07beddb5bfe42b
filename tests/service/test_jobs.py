"""Background jobs (caseflow.services.jobs): queued by a request, run by the scheduler process,
one transaction each, retried when their runner dies and failed after the last attempt.

In-process tests use the per-test rollback; the kill tests run ``flask scheduler --once`` as real
processes against a database of their own (SQLite file or PostgreSQL database), since a job
that imports writes events, which the shared tables' cleanup could not delete on SQLite.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession

from caseflow.config import PROJECT_ROOT
from caseflow.job_locks import JOB_LOCK_CLASS, Lease, jobs_dir, published_progress
from caseflow.models import Case, Event, Job
from caseflow.services import import_jobs, jobs
from tests.conftest import IS_POSTGRES
from tests.factories import Factories
from tests.service.test_importer import row, xlsx
from tests.service.world import sheet_world


@pytest.fixture
def w(make, db, frozen_clock):
    return sheet_world(make, db, frozen_clock)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def queue_import(w, rows, dry_run=False) -> Job:
    return import_jobs.start(w["dispatcher"], xlsx(rows), "清单.xlsx", w.session, dry_run=dry_run)


def test_an_import_waits_in_the_queue_then_the_runner_imports_it_in_one_go(w, db):
    job = queue_import(w, [row(n) for n in range(1, 4)])
    upload = jobs.upload_path(job)
    assert (job.state, job.attempts, upload.exists(), count(db, Case)) == ("queued", 0, True, 0)
    assert jobs.run_pending() == 1
    db.session.refresh(job)
    assert (job.state, job.progress, job.attempts) == ("done", 100, 1)
    assert job.result["created"] == 3 and [c[1] for c in job.result["cases"]] == [1, 2, 3]
    assert count(db, Case) == 3 and not upload.exists()  # the upload is gone once the job ran
    assert jobs.run_pending() == 0


def test_an_import_with_bad_rows_keeps_the_marked_workbook_and_writes_nothing(w, db):
    job = queue_import(w, [row(1), row(2, 标题="", 主办="不存在的单位"), row(3, 公开="随便")])
    jobs.run_pending()
    db.session.refresh(job)
    assert job.state == "done" and count(db, Case) == 0
    assert [(r, c) for r, c, _ in job.result["errors"]] == [(3, "标题"), (3, "主办单位"), (4, "公开意愿")]
    from openpyxl import load_workbook

    ws = load_workbook(job.file_path).active
    assert ws["B3"].fill.fgColor.rgb.endswith("FFC7CE") and ws["B3"].comment.text == "标题为空"
    assert "未知单位“不存在的单位”" in ws["F3"].comment.text and ws["F3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["K4"].comment.text.startswith("公开意愿“随便”无法识别")
    assert ws["A3"].comment is None and ws["B2"].comment is None and not ws["B2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["M1"].value == "导入错误"
    assert ws["M3"].value.startswith("[标题] 标题为空；[主办单位] 未知单位") and ws["M2"].value is None
    assert ws["B4"].value == "关于第3件事的提案"  # the clerk's own data, to correct in place


def test_a_file_that_cannot_be_imported_is_a_finished_job_with_the_reason(w, db):
    job = queue_import(w, [])
    jobs.run_pending()
    db.session.refresh(job)
    assert (job.state, job.file_path) == ("done", None) and job.result["refused"].startswith("没有数据行")


def test_an_exception_inside_a_job_fails_it_at_once_with_nothing_saved(w, db, monkeypatch):
    from caseflow import facts

    def broken(*args, **kwargs):  # the import's last step, once every row is written
        raise RuntimeError("disk full")

    monkeypatch.setattr(facts, "refresh", broken)
    job = queue_import(w, [row(1), row(2)])
    upload = jobs.upload_path(job)
    jobs.run_pending()
    db.session.refresh(job)
    assert (job.state, job.attempts, job.error) == ("failed", 1, "RuntimeError: disk full")
    assert count(db, Case) == 0 and not upload.exists()
    assert jobs.run_pending() == 0  # not retried: it would fail the same way


def test_a_running_job_whose_runner_died_is_run_again_then_failed_after_the_last_attempt(w, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_MAX_ATTEMPTS", 2)
    job = queue_import(w, [row(1)])
    job.state, job.attempts = "running", 1  # claimed by a runner that then died: its lease is free
    db.session.commit()
    assert jobs.run_pending() == 1
    db.session.refresh(job)
    assert (job.state, job.attempts, count(db, Case)) == ("done", 2, 1)

    second = queue_import(w, [row(2)])
    second.state, second.attempts = "running", 2
    db.session.commit()
    assert jobs.run_pending() == 0
    db.session.refresh(second)
    assert (second.state, second.error) == ("failed", "后台进程在执行中中断了 2 次，未完成。")
    assert count(db, Case) == 1 and not jobs.upload_path(second).exists()


def test_a_job_whose_lease_is_held_is_left_to_its_runner(w, db):
    job = queue_import(w, [row(1)])
    held = Lease.take(job.id)
    try:
        assert held is not None and Lease.take(job.id) is None
        assert jobs.run_pending() == 0
        db.session.refresh(job)
        assert (job.state, job.attempts, count(db, Case)) == ("queued", 0, 0)
    finally:
        held.release()
    assert jobs.run_pending() == 1


def test_a_runner_that_lost_its_claim_keeps_nothing(w, db, monkeypatch):
    """Belt and braces: if the job was claimed again meanwhile, the first runner's work is rolled back."""
    job = queue_import(w, [row(1)])
    real = jobs.HANDLERS["import"]

    def claimed_again_meanwhile(j, progress):
        output = real(j, progress)
        db.session.execute(update(Job).where(Job.id == j.id).values(attempts=Job.attempts + 1))
        return output

    monkeypatch.setitem(jobs.HANDLERS, "import", claimed_again_meanwhile)
    jobs.run_job(job.id)
    db.session.refresh(job)
    assert (job.state, count(db, Case)) == ("running", 0)


def test_progress_published_by_the_runner_reaches_the_job_page(committed, app, login):
    """On PostgreSQL through the lease's own connection, on SQLite through the lease file."""
    s = committed.session
    user = Factories(s).user("dispatcher")
    job = Job(kind="import", params={"filename": "清单.xlsx"}, state="running", attempts=1, requested_by_id=user.id)
    s.add(job)
    s.commit()
    lease = Lease.take(job.id)
    try:
        lease.progress(42)
        s.expire_all()
        assert published_progress(s.get(Job, job.id)) == 42
        page = login(user).get(f"/jobs/{job.id}").get_data(as_text=True)
        assert 'value="42"' in page and "42%" in page and 'http-equiv="refresh"' in page
    finally:
        lease.release()


# -- real runner processes, killed mid-import ----------------------------------------------------------

@pytest.fixture
def own_database(tmp_path):
    """A migrated database of this test's own, and an instance folder for its runners."""
    if IS_POSTGRES:
        server = make_url(os.environ["TEST_DATABASE_URL"])
        name = f"caseflow_jobs_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url, "SECRET_KEY": "test",
           "CASEFLOW_INSTANCE": str(tmp_path / "instance")}
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True)
    engine = create_engine(url)
    yield engine, env, tmp_path / "instance" / "jobs"
    engine.dispose()
    if IS_POSTGRES:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _queue(engine, folder: Path, rows: int) -> int:
    """A dispatcher, a session, two units and a queued import of ``rows`` rows, committed."""
    with OrmSession(engine) as s:
        make = Factories(s)
        dispatcher, session = make.user("dispatcher"), make.session(year=2025)
        make.unit("主办单位"), make.unit("会办单位"), make.category(name="城市建设", year=2025)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "upload-test.xlsx").write_bytes(xlsx([row(n) for n in range(1, rows + 1)]).getvalue())
        job = Job(kind="import", requested_by_id=dispatcher.id, params={
            "session_id": session.id, "dry_run": False, "filename": "清单.xlsx", "upload": "upload-test.xlsx"})
        s.add(job)
        s.commit()
        return job.id


def _progress(engine, folder: Path, job_id: int) -> int:
    if IS_POSTGRES:
        with engine.connect() as c:
            return c.scalar(select(Job.progress).where(Job.id == job_id))
    try:
        return int((folder / f"job-{job_id}.lock").read_text())
    except (OSError, ValueError):
        return 0


def _state(engine, job_id: int) -> tuple:
    with engine.connect() as c:
        job = c.execute(select(Job.state, Job.attempts, Job.error).where(Job.id == job_id)).one()
        cases = c.scalar(select(func.count()).select_from(Case))
        events = c.scalar(select(func.count()).select_from(Event))
    return (*job, cases, events)


def _runner(env: dict, **extra: str) -> subprocess.Popen:
    log = Path(env["CASEFLOW_INSTANCE"]).with_name(f"runner-{time.monotonic_ns()}.log")
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "--once"], cwd=PROJECT_ROOT,
                                env={**env, **extra}, stdout=subprocess.DEVNULL, stderr=err)
    proc.log = log
    return proc


def _finished(proc: subprocess.Popen) -> None:
    assert proc.wait(120) == 0, proc.log.read_text()


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def _kill_mid_import(engine, env, folder, rows: int) -> int:
    job_id = _queue(engine, folder, rows)
    first = _runner(env)
    try:
        wait_until(lambda: _progress(engine, folder, job_id) >= 35)  # the rows checked, cases being created
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    state, attempts, _, cases, events = _state(engine, job_id)
    assert (state, attempts) == ("running", 1), "the kill came after the import"
    assert (cases, events) == (0, 0)  # never half-imported: the transaction died with the process
    assert (folder / "upload-test.xlsx").exists()  # kept for the next attempt
    return job_id


def test_a_runner_killed_mid_import_leaves_nothing_and_the_next_one_imports_once(own_database):
    engine, env, folder = own_database
    job_id = _kill_mid_import(engine, env, folder, rows=400)
    _finished(_runner(env))
    assert _state(engine, job_id) == ("done", 2, None, 400, 800)  # every case once: register + assign
    assert not (folder / "upload-test.xlsx").exists()


def test_a_runner_killed_on_the_last_attempt_fails_the_job_cleanly(own_database):
    engine, env, folder = own_database
    job_id = _kill_mid_import(engine, env, folder, rows=400)
    _finished(_runner(env, JOBS_MAX_ATTEMPTS="1"))
    state, attempts, error, cases, events = _state(engine, job_id)
    assert (state, attempts, cases, events) == ("failed", 1, 0, 0) and "中断了 1 次" in error
    assert not (folder / "upload-test.xlsx").exists()


def test_job_leases_are_per_job(app, db):
    """Two jobs' leases never collide (PostgreSQL: the two-key advisory lock; SQLite: one file each)."""
    first, second = Lease.take(10_001), Lease.take(10_002)
    try:
        assert first is not None and second is not None
        if IS_POSTGRES:
            with db.engine.connect() as c:
                held = c.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :c"),
                                {"c": JOB_LOCK_CLASS})
            assert held == 2
        else:
            assert {p.name for p in jobs_dir().glob("job-1000[12].lock")} == {"job-10001.lock", "job-10002.lock"}
    finally:
        first.release()
        second.release()
    again = Lease.take(10_001)  # released means free
    assert again is not None
    again.release()


def test_only_the_dispatcher_queues_an_import(w, db):
    from caseflow.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_jobs.start(w["lead_handler"], xlsx([row(1)]), "清单.xlsx", w.session, dry_run=False)
    assert count(db, Job) == 0
