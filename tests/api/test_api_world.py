"""The API over a case walked through the real services: what each role reads, the unit's 待办, the
figures beside the dashboard's, downloads, registration and the 交办清单 import."""
from __future__ import annotations

import hashlib
import json
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from caseflow.models import Assignment, Attachment, Case, Event, Reply
from caseflow.services import jobs
from caseflow.services.api_tokens import create_token
from tests.service.test_importer import row, xlsx
from tests.service.world import sheet_world


@pytest.fixture
def w(make, db, frozen_clock):
    return sheet_world(make, db, frozen_clock)


def auth(w, who: str) -> dict[str, str]:
    user = w[who]
    return {"Authorization": f"Bearer {create_token(user, user.id, 'test')[1]}"}


def test_a_draft_is_its_units_business_until_signed(client, w):
    case, reply = w.drafted()
    seen = {who: client.get(f"/api/v1/cases/{case.id}", headers=auth(w, who)).json
            for who in ("lead_handler", "co_handler", "proposer")}
    assert [d["id"] for d in seen["lead_handler"]["drafts"]] == [reply.id]
    assert seen["co_handler"]["drafts"] == [] and seen["proposer"]["drafts"] == []
    offered = {(a["action"], a["target_id"]) for a in seen["lead_handler"]["actions"]}
    assert ("edit_draft", w.lead_of(case).id) in offered
    assert client.get(f"/api/v1/cases/{case.id}", headers=auth(w, "other_handler")).status_code == 404


def test_sign_through_the_api_uses_the_drafts_version(client, w, db):
    case, reply = w.drafted()
    a = w.lead_of(case)
    url = f"/api/v1/cases/{case.id}/assignments/{a.id}/actions/sign_reply"
    headers = auth(w, "lead_leader")
    r = client.post(url, json={"confirm": True}, headers={**headers, "If-Match": str(reply.version + 1)})
    assert r.status_code == 412 and db.session.get(Reply, reply.id).replied_at is None
    r = client.post(url, json={}, headers={**headers, "If-Match": str(reply.version)})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "confirm"
    r = client.post(url, json={"confirm": True}, headers={**headers, "If-Match": f'"{reply.version}"'})
    assert r.status_code == 200, r.json
    assert [x["id"] for x in r.json["replies"]] == [reply.id] and r.json["drafts"] == []
    assert db.session.get(Reply, reply.id).replied_at is not None
    letter = client.get(r.json["replies"][0]["letter"], headers=auth(w, "proposer"))
    assert letter.status_code == 200 and letter.mimetype == "application/pdf" and letter.data.startswith(b"%PDF")
    assert client.get(r.json["replies"][0]["letter"], headers=auth(w, "other_handler")).status_code == 404


def test_inbox_is_the_tokens_unit_and_refused_to_others(client, w):
    mine, theirs = w.assigned(co=False), w.registered()
    r = client.get("/api/v1/inbox", headers=auth(w, "lead_handler"))
    assert r.status_code == 200 and [i["case_id"] for i in r.json["items"]] == [mine.id]
    assert theirs.id not in [i["case_id"] for i in r.json["items"]]
    assert client.get("/api/v1/inbox", headers=auth(w, "co_handler")).json["items"] == []
    r = client.get("/api/v1/inbox", headers=auth(w, "dispatcher"))
    assert r.status_code == 403 and r.mimetype == "application/problem+json"


def test_inbox_with_a_unit_filter_answers(client, w, login):
    """The filter once failed on the 待办 query (its EXISTS correlated away the assignments)."""
    case = w.assigned()
    r = client.get("/api/v1/inbox", query_string={"unit_id": w.co.id}, headers=auth(w, "lead_handler"))
    assert r.status_code == 200 and [i["case_id"] for i in r.json["items"]] == [case.id]
    assert login(w["lead_handler"]).get(f"/cases/inbox?unit_id={w.co.id}").status_code == 200


def test_figures_count_what_was_done(client, w):
    w.replied()
    w.assigned()
    r = client.get("/api/v1/figures", query_string={"year": 2025}, headers=auth(w, "dispatcher"))
    assert r.status_code == 200
    total = {f["key"]: f for f in r.json["total"]}
    assert total["lead"]["value"] == 2 and total["co"]["value"] == 2  # two cases, each one lead and one co
    assert total["reply_rate"]["numerator"] == 1
    units = {u["unit_name"]: {f["key"]: f["value"] for f in u["figures"]} for u in r.json["units"]}
    assert units["主办单位"]["lead"] == 2 and units["会办单位"]["co"] == 2
    behind = client.get(total["lead"]["cases"] + "&count=true", headers=auth(w, "dispatcher"))
    assert behind.status_code == 200 and behind.json["total"] == 2
    own = client.get("/api/v1/figures", query_string={"year": 2025, "unit_id": w.lead.id},
                     headers=auth(w, "co_handler")).json
    assert own["unit_id"] == w.co.id and [u["unit_name"] for u in own["units"]] == ["会办单位"]
    assert client.get("/api/v1/figures", headers=auth(w, "proposer")).status_code == 403


def test_register_through_the_api(client, w, db):
    body = {"body": "cppcc_proposal", "session_id": w.session.id, "number": 77, "title": "关于加装电梯的提案",
            "lead_proposer_id": w.proposer_row.id, "consent": "full", "cosigners": []}
    assert client.post("/api/v1/cases", json=body, headers=auth(w, "lead_handler")).status_code == 403
    r = client.post("/api/v1/cases", json=body, headers=auth(w, "dispatcher"))
    assert r.status_code == 201, r.json
    case = db.session.get(Case, r.json["id"])
    assert (case.number, case.title, case.state) == (77, "关于加装电梯的提案", "registered")
    again = client.post("/api/v1/cases", json=body, headers=auth(w, "dispatcher"))
    assert again.status_code == 422 and "number" in [e["field"] for e in again.json["errors"]]
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.number == 77)) == 1


def test_import_is_a_job_dry_run_then_errors_then_import(client, w, db):
    headers = auth(w, "dispatcher")

    def imported(sheet, **extra):
        """POST the sheet (202 and a job to poll), let the scheduler run it, and read the job."""
        r = client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                        data={"session_id": str(w.session.id), "file": (sheet, "清单.xlsx"), **extra})
        assert r.status_code == 202 and r.json["state"] == "queued" and r.json["result"] is None, r.json
        assert r.headers["Location"] == r.json["url"] == f"/api/v1/jobs/{r.json['id']}"
        assert jobs.run_pending() == 1
        job = client.get(r.json["url"], headers=headers)
        assert job.status_code == 200 and job.json["state"] == "done" and job.json["progress"] == 100
        return job.json

    job = imported(xlsx([row(1), row(2)]), dry_run="true")
    assert job["result"]["dry_run"] and job["result"]["planned"] == 2 and job["result"]["created"] == []
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    job = imported(xlsx([row(1), row(2, 标题="")]))
    assert job["result"]["errors"] == [{"field": "第3行 标题", "detail": "标题为空"}] and job["result"]["created"] == []
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    with client.get(job["file_url"], headers=headers) as marked:  # the clerk's workbook, the bad cell marked
        assert marked.status_code == 200 and load_workbook(BytesIO(marked.data)).active["M3"].value == "[标题] 标题为空"
    job = imported(xlsx([row(1), row(2)]))
    created = db.session.scalars(select(Case.id).order_by(Case.number)).all()
    assert job["result"]["created"] == created and len(created) == 2 and job["file_url"] is None
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 4
    r = client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                    data={"session_id": str(w.session.id), "file": (xlsx([row(3)]), "清单.xlsx"), "surprise": "1"})
    assert r.status_code == 422 and jobs.run_pending() == 0


def test_a_job_is_its_owners_and_the_dispatchers_only(client, w):
    r = client.post("/api/v1/imports", headers=auth(w, "dispatcher"), content_type="multipart/form-data",
                    data={"session_id": str(w.session.id), "file": (xlsx([row(1)]), "清单.xlsx")})
    url = r.json["url"]
    assert client.get(url, headers=auth(w, "lead_handler")).status_code == 404
    assert client.get(url + "/file", headers=auth(w, "lead_handler")).status_code == 404
    assert client.get(url, headers=auth(w, "dispatcher")).status_code == 200
    assert client.get("/api/v1/jobs/2147483648", headers=auth(w, "dispatcher")).status_code == 404


def test_action_events_are_the_pages(client, w, db):
    case = w.assigned()
    a = w.lead_of(case)
    r = client.post(f"/api/v1/cases/{case.id}/assignments/{a.id}/actions/request_return",
                    json={"comment": "不属于本单位职责"}, headers={**auth(w, "lead_handler"), "If-Match": str(a.version)})
    assert r.status_code == 200, r.json
    event = db.session.scalar(select(Event).where(Event.assignment_id == a.id, Event.transition == "request_return"))
    assert event.comment == "不属于本单位职责" and event.actor_id == w["lead_handler"].id
    assert db.session.get(Assignment, a.id).state == "return_requested"


def test_file_taking_actions_take_multipart_and_store_the_files(client, w, db):
    case = w.accepted(co=False)
    a = w.lead_of(case)
    headers = auth(w, "lead_handler")
    pdf = b"%PDF-1.4\n% signed letter\n"
    body = {"contact_name": "沈佳琪", "contact_phone": "62345678", "result_class_id": w.reply_input().result_class_id}
    r = client.post(f"/api/v1/cases/{case.id}/assignments/{a.id}/actions/draft_reply", content_type="multipart/form-data",
                    headers={**headers, "If-Match": str(a.version)},
                    data={"data": json.dumps(body), "attachment": (BytesIO(pdf), "答复函.pdf")})
    assert r.status_code == 200, r.json
    draft = db.session.scalar(select(Reply).where(Reply.assignment_id == a.id))
    assert draft.attachment is not None and draft.attachment.sha256 == hashlib.sha256(pdf).hexdigest()
    photos = [b"\x89PNG\r\n\x1a\n" + bytes([i]) * 64 for i in (1, 2)]
    r = client.post(f"/api/v1/cases/{case.id}/actions/add_files", content_type="multipart/form-data", headers=headers,
                    data={"data": json.dumps({"comment": "现场照片"}),
                          "files": [(BytesIO(p), f"现场{i}.png") for i, p in enumerate(photos, 1)]})
    assert r.status_code == 200, r.json
    files = {f["filename"]: f for f in r.json["files"]}
    for i, content in enumerate(photos, 1):
        with client.get(files[f"现场{i}.png"]["url"], headers=headers) as download:
            assert download.data == content
    # a part the form does not have is refused, and nothing is stored
    before = db.session.scalar(select(func.count()).select_from(Attachment))
    r = client.post(f"/api/v1/cases/{case.id}/actions/add_files", content_type="multipart/form-data", headers=headers,
                    data={"data": "{}", "letter": (BytesIO(pdf), "x.pdf")})
    assert r.status_code == 422 and r.json["errors"] == [{"field": "letter", "detail": "不认识的字段。"}]
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == before
