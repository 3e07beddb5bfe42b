"""The API over a case walked through the real services: what each role reads, the unit's 待办, the
figures beside the dashboard's, downloads, registration and the 交办清单 import."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseflow.models import Assignment, Case, Event, Reply
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


def test_import_dry_run_then_import(client, w, db):
    headers = auth(w, "dispatcher")

    def post(sheet, **extra):
        return client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data",
                           data={"session_id": str(w.session.id), "file": (sheet, "清单.xlsx"), **extra})

    r = post(xlsx([row(1), row(2)]), dry_run="true")
    assert r.status_code == 200 and r.json["planned"] == 2 and r.json["created"] == []
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    r = post(xlsx([row(1), row(2, 标题="")]))
    assert r.status_code == 422 and any("第3行" in e["field"] for e in r.json["errors"])
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    r = post(xlsx([row(1), row(2)]))
    assert r.status_code == 200 and len(r.json["created"]) == 2
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 4
    assert post(xlsx([row(3)]), surprise="1").status_code == 422


def test_action_events_are_the_pages(client, w, db):
    case = w.assigned()
    a = w.lead_of(case)
    r = client.post(f"/api/v1/cases/{case.id}/assignments/{a.id}/actions/request_return",
                    json={"comment": "不属于本单位职责"}, headers={**auth(w, "lead_handler"), "If-Match": str(a.version)})
    assert r.status_code == 200, r.json
    event = db.session.scalar(select(Event).where(Event.assignment_id == a.id, Event.transition == "request_return"))
    assert event.comment == "不属于本单位职责" and event.actor_id == w["lead_handler"].id
    assert db.session.get(Assignment, a.id).state == "return_requested"
