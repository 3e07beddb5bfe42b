"""The import as a background job, seen from the browser: the request answers at once, the job
page shows progress, then the result (errors with their workbook, or the created cases); only
who started a job, the dispatchers and the admins see it."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from caseflow import clock
from caseflow.models import Case, Job
from caseflow.services import jobs
from tests.conftest import csrf_token
from tests.service.test_importer import row, xlsx
from tests.service.world import sheet_world


@pytest.fixture
def w(make, db, frozen_clock):
    return sheet_world(make, db, frozen_clock)


def post_import(c, w, data, **extra):
    page = c.get("/cases/import").get_data(as_text=True)
    return c.post("/cases/import", content_type="multipart/form-data",
                  data={"csrf_token": csrf_token(page), "session_id": w.session.id, "file": (data, "区政协清单.xlsx"),
                        **extra})


def test_the_request_returns_at_once_and_the_page_follows_the_job(w, login, db):
    c = login(w["dispatcher"])
    r = post_import(c, w, xlsx([row(1), row(2)]))
    job = db.session.scalars(select(Job)).one()
    assert r.status_code == 302 and r.location.endswith(f"/jobs/{job.id}")
    assert (job.state, db.session.scalar(select(func.count()).select_from(Case))) == ("queued", 0)
    waiting = c.get(r.location).get_data(as_text=True)
    assert "排队等候后台处理" in waiting and 'http-equiv="refresh"' in waiting and "区政协清单.xlsx" in waiting
    jobs.run_pending()  # what the scheduler process does within a second
    done = c.get(r.location).get_data(as_text=True)
    assert "已导入 2 件" in done and 'http-equiv="refresh"' not in done
    numbers = db.session.scalars(select(Case.id).order_by(Case.number)).all()
    assert all(f'href="/cases/{case_id}"' in done for case_id in numbers)
    assert f"/cases/?session_id={w.session.id}" in done


def test_a_job_waiting_long_says_the_scheduler_may_be_down(w, login, db, frozen_clock):
    c = login(w["dispatcher"])
    location = post_import(c, w, xlsx([row(1)])).location
    assert "可能没有运行" not in c.get(location).get_data(as_text=True)
    frozen_clock(clock.now() + timedelta(minutes=2))
    assert "后台进程（flask scheduler）可能没有运行" in c.get(location).get_data(as_text=True)


def test_errors_are_listed_and_downloadable_with_the_bad_cells_marked(w, login, db):
    c = login(w["dispatcher"])
    location = post_import(c, w, xlsx([row(1), row(2, 编号="第二号", 重点="也许")])).location
    jobs.run_pending()
    page = c.get(location).get_data(as_text=True)
    assert "发现 2 处错误，未导入任何数据" in page and "编号必须是正整数" in page and "重点督办“也许”无法识别" in page
    download = c.get(f"{location}/download")
    assert download.status_code == 200
    assert "filename*=UTF-8''%E5%8C%BA%E6%94%BF%E5%8D%8F%E6%B8%85%E5%8D%95-%E9%94%99%E8%AF%AF%E6%A0%87%E6%B3%A8.xlsx" \
        in download.headers["Content-Disposition"]  # 区政协清单-错误标注.xlsx
    ws = load_workbook(BytesIO(download.data)).active
    download.close()
    assert ws["A3"].comment.text == "编号必须是正整数" and ws["J3"].comment.text.startswith("重点督办“也许”")
    assert ws["M3"].value == "[编号] 编号必须是正整数；[重点督办] " + ws["J3"].comment.text
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_finished_import_without_errors_has_nothing_to_download(w, login):
    c = login(w["dispatcher"])
    location = post_import(c, w, xlsx([row(1)])).location
    assert c.get(f"{location}/download").status_code == 404  # not finished yet
    jobs.run_pending()
    assert c.get(f"{location}/download").status_code == 404  # no errors: no workbook


@pytest.mark.parametrize("who, status", [("dispatcher", 200), ("admin", 200), ("supervisor", 404),
                                         ("lead_handler", 404), ("proposer", 404)])
def test_who_sees_a_job(w, login, make, who, status):
    location = post_import(login(w["dispatcher"]), w, xlsx([row(1)])).location
    jobs.run_pending()
    viewer = make.user("dispatcher") if who == "dispatcher" else w[who]  # another dispatcher than the starter
    assert login(viewer).get(location).status_code == status


def test_job_pages_need_a_login_and_unknown_jobs_are_404(w, login, client):
    assert client.get("/jobs/1").status_code == 302
    assert login(w["dispatcher"]).get("/jobs/999999").status_code == 404
