"""What a proposer sees of their case: no 会办意见, internal comments or staff names beyond the
letter's 联系人; decided per kind of event in caseflow/timeline.py."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from caseflow.models import Attachment
from caseflow.services import handling
from caseflow.timeline import HIDDEN, LABEL, PROPOSER_SEES, WITH_COMMENT, case_timeline
from caseflow.workflow import spec
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


def test_every_action_of_the_rule_book_is_decided():
    names = {name for body in spec.BODIES for name in spec.actions(body)}
    assert len(names) > 30 and set(PROPOSER_SEES) == names
    assert set(PROPOSER_SEES.values()) == {HIDDEN, LABEL, WITH_COMMENT}


def _history(w, make):
    """A case with a 退回修改 (internal comment), a 会办意见 and a signed reply."""
    w["lead_handler"].name, w["lead_leader"].name, w["co_handler"].name = "钱经办", "孙科长", "李会办"
    w["dispatcher"].name = "赵督查"
    case = w.with_opinions()
    a = w.lead_of(case)
    draft = handling.draft_reply(w["lead_handler"], a.id, w.reply_input(contact_name="周联系"))
    handling.return_draft(w["lead_leader"], draft.id, draft.version, "措辞太生硬，内部再议")
    handling.draft_reply(w["lead_handler"], a.id, w.reply_input(contact_name="周联系"), reply_id=draft.id,
                         version=draft.version)
    handling.sign_reply(w["lead_leader"], draft.id, draft.version)
    return case


def test_proposer_timeline_by_event_kind(w, make):
    case = _history(w, make)
    staff = case_timeline(case)
    seen = case_timeline(case, w["proposer"])
    # staff see everything, with names and comments
    assert {e.event.transition for e in staff} >= {"send_opinion", "return_draft", "draft_reply"}
    assert any(e.comment == "措辞太生硬，内部再议" for e in staff)
    # the proposer: exactly the kinds the table shows, in order, without hidden ones
    expected = [e.event.transition for e in staff if PROPOSER_SEES[e.event.transition] != HIDDEN]
    assert [e.event.transition for e in seen] == expected
    assert "send_opinion" not in expected and "return_draft" not in expected and "sign_reply" in expected
    for e in seen:
        assert e.actor not in ("钱经办", "孙科长", "李会办", "赵督查")
        assert e.comment == "" or PROPOSER_SEES[e.event.transition] == WITH_COMMENT
    sign = next(e for e in seen if e.event.transition == "sign_reply")
    assert sign.actor == w.lead.name


def test_proposer_case_page_hides_internal_parts(w, make, login):
    case = _history(w, make)
    staff_html = login(w["dispatcher"]).get(f"/cases/{case.id}").get_data(as_text=True)
    html = login(w["proposer"]).get(f"/cases/{case.id}").get_data(as_text=True)
    for internal in ("会办意见：同意。", "措辞太生硬，内部再议", "孙科长", "钱经办", "李会办", "赵督查"):
        assert internal in staff_html, internal  # the check could fail: staff do see it
        assert internal not in html, internal
    assert "周联系" in html  # the letter's 联系人 stays
    assert "答复正文：已研究落实。" in html


def _pdf(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(f"%PDF-1.4\n% {name}\n".encode()), filename=name, content_type="application/pdf")


def test_proposer_gets_only_the_files_of_their_case_not_internal_ones(w, login):
    case = w.accepted()
    co = w.co_of(case)
    handling.send_co_opinion(w["co_handler"], co.id, co.version, "会办意见", upload=_pdf("会办附件.pdf"))
    lead = w.lead_of(case)
    signed = handling.draft_reply(w["lead_handler"], lead.id, w.reply_input(), upload=_pdf("答复函.pdf"))
    handling.sign_reply(w["lead_leader"], signed.id, signed.version)
    ids = {a.filename: a.id for a in w.db.session.scalars(select(Attachment).where(Attachment.case_id == case.id))}
    staff, proposer = login(w["dispatcher"]), login(w["proposer"])
    def status(client, url):
        with client.get(url) as response:  # a download: its file is closed with the response
            return response.status_code

    for name, proposer_sees in (("会办附件.pdf", False), ("答复函.pdf", True)):
        url = f"/cases/{case.id}/files/{ids[name]}"
        assert status(staff, url) == 200 and name in staff.get(f"/cases/{case.id}").get_data(as_text=True)
        assert status(proposer, url) == (200 if proposer_sees else 404), name
        assert (name in proposer.get(f"/cases/{case.id}").get_data(as_text=True)) is proposer_sees, name
