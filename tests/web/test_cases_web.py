"""Case pages over HTTP: who may open what, forms that refuse bad input, uploads, escaping."""
from __future__ import annotations

import io
from datetime import timedelta
import re

import pytest
from sqlalchemy import select

from caseflow.models import Attachment, Case, Event, Reply
from caseflow.services import disclosure, handling
from caseflow.services.attachments import path_of
from tests.conftest import csrf_token
from tests.service.world import START, World

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


@pytest.fixture
def clients(w, login, client):
    made = {}

    def get(who):
        if who == "anonymous":
            return client
        if who not in made:
            made[who] = login(w[who])
        return made[who]

    return get


ROLES = ["anonymous", "admin", "dispatcher", "supervisor", "lead_handler", "other_handler", "proposer",
         "other_proposer"]
SEES_CASE = {"admin", "dispatcher", "supervisor", "lead_handler", "proposer"}


def _expected(route, who):
    if who == "anonymous":
        return 302
    if route == "list":
        return 200
    if route == "inbox":
        return 200 if who in ("lead_handler", "other_handler") else 403
    if route == "new":
        return 200 if who == "dispatcher" else 403
    if route in ("case", "file"):
        return 200 if who in SEES_CASE else 404
    if route == "accept":  # the lead unit's 签收: only its own handler; others do not see the case, or may not act
        return 302 if who == "lead_handler" else 403 if who in SEES_CASE else 404
    raise AssertionError(route)


@pytest.mark.parametrize("who", ROLES)
def test_access_matrix(w, clients, who, db):
    case = w.assigned()
    lead = w.lead_of(case)
    file = Attachment(case_id=case.id, filename="x.pdf", content_type="application/pdf", size=len(PDF),
                      sha256="0" * 64)
    db.session.add(file)
    db.session.commit()
    c = clients(who)
    token = csrf_token(c.get("/login").get_data(as_text=True) if who == "anonymous"
                       else c.get("/cases/").get_data(as_text=True))
    routes = {
        "list": lambda: c.get("/cases/"),
        "inbox": lambda: c.get("/cases/inbox"),
        "new": lambda: c.get("/cases/new/cppcc_proposal"),
        "case": lambda: c.get(f"/cases/{case.id}"),
        "file": lambda: c.get(f"/cases/{case.id}/files/{file.id}"),
        "accept": lambda: c.post(f"/cases/{case.id}/do/accept/{lead.id}",
                                 data={f"accept-{lead.id}-version": lead.version, "csrf_token": token}),
    }
    path_of(file).parent.mkdir(parents=True, exist_ok=True)
    path_of(file).write_bytes(PDF)
    for name, call in routes.items():
        response = call()
        response.close()
        assert response.status_code == _expected(name, who), (name, who, response.status_code)
        if response.status_code == 302 and who == "anonymous":
            assert "/login" in response.location


def test_ids_in_urls_cannot_reach_other_rows(w, clients):
    """IDOR: a handler of the lead unit cannot act on a co-unit's assignment by changing the id."""
    case = w.assigned()
    co = w.co_of(case)
    c = clients("lead_handler")
    token = csrf_token(c.get(f"/cases/{case.id}").get_data(as_text=True))
    r = c.post(f"/cases/{case.id}/do/accept/{co.id}", data={f"accept-{co.id}-version": co.version, "csrf_token": token})
    assert r.status_code == 403
    other_case = w.assigned()
    r = c.post(f"/cases/{case.id}/do/accept/{w.lead_of(other_case).id}", data={"csrf_token": token})
    assert r.status_code == 404  # the target must belong to the case in the URL
    assert co.state == "pending"


def _register_page(c, body="cppcc_proposal"):
    return c.get(f"/cases/new/{body}").get_data(as_text=True)


def _register(c, w, body="cppcc_proposal", **overrides):
    data = {"session_id": w.session.id, "number": "7", "title": "关于测试的提案",
            "category_id": "0", "lead_proposer_id": w.proposer_row.id, "consent": "full", "text": "正文"}
    data.update(overrides)
    data["csrf_token"] = csrf_token(_register_page(c, body))
    return c.post(f"/cases/new/{body}", data=data, content_type="multipart/form-data")


def test_register_through_the_form(w, clients, db):
    r = _register(clients("dispatcher"), w, attachments=(io.BytesIO(PDF), "提案原件.pdf"))
    assert r.status_code == 302
    case = db.session.scalars(select(Case).where(Case.number == 7)).one()
    assert case.title == "关于测试的提案" and case.state == "registered"
    assert [a.filename for a in db.session.scalars(select(Attachment).where(Attachment.case_id == case.id))] == \
        ["提案原件.pdf"]


@pytest.mark.parametrize("overrides, message", [
    ({"title": ""}, "请填写标题"),
    ({"number": "abc"}, "请输入整数"),
    ({"number": "0"}, "编号必须是正整数"),
    ({"lead_proposer_id": "0"}, "请指定领衔代表/提案者"),
    ({"consent": "maybe"}, "请从列表中选择"),
    ({"session_id": "999999"}, "请从列表中选择"),
])
def test_register_refuses_bad_input_next_to_the_field_and_keeps_it(w, clients, db, overrides, message):
    r = _register(clients("dispatcher"), w, **overrides)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and message in html
    assert re.search(r'invalid-feedback d-block">[^<]*' + message, html)
    if overrides.get("title") != "":
        assert 'value="关于测试的提案"' in html  # what the user typed is kept
    assert db.session.scalar(select(Case.id)) is None


def test_duplicate_number_message_comes_from_the_service(w, clients, db):
    c = clients("dispatcher")
    assert _register(c, w).status_code == 302
    html = _register(c, w, title="另一件").get_data(as_text=True)
    assert "已有第7号" in html and 'value="另一件"' in html


@pytest.mark.parametrize("upload, message", [
    ((io.BytesIO(b"MZ\x90\x00 not a pdf"), "病毒.pdf"), "类型不允许"),
    ((io.BytesIO(b""), "空.pdf"), "是空的"),
])
def test_uploads_are_checked_by_content(w, clients, db, upload, message):
    r = _register(clients("dispatcher"), w, attachments=upload)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert db.session.scalar(select(Case.id)) is None and db.session.scalar(select(Attachment.id)) is None


def test_too_large_a_request_is_refused(app, w, clients, db, monkeypatch):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    c = clients("dispatcher")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 3 * 1024 * 1024)  # the mechanism, on a smaller body
    limit = app.config["MAX_CONTENT_LENGTH"]
    # encoded in memory: the test client would spool a body this big to a temp file it never closes
    boundary, body = encode_multipart({"csrf_token": csrf_token(_register_page(c)), "title": "大文件",
                                       "attachments": FileStorage(io.BytesIO(b"%PDF-" + b"0" * limit), "大.pdf")})
    r = c.post("/cases/new/cppcc_proposal", data=body, content_type=f"multipart/form-data; boundary={boundary}",
               headers={"Referer": "http://localhost/cases/new/cppcc_proposal"})
    html = r.get_data(as_text=True)
    assert r.status_code == 413 and "超过大小限制" in html
    assert 'href="/cases/new/cppcc_proposal"' in html  # back to the form, not only to the home page
    assert db.session.scalar(select(Case.id)) is None


def test_script_in_a_title_is_shown_as_text(w, clients):
    case = w.assigned(title="<script>alert('x')</script>关于测试")
    for who in ("dispatcher", "lead_handler"):
        for url in ("/cases/", f"/cases/{case.id}", "/cases/inbox" if who == "lead_handler" else "/cases/"):
            html = clients(who).get(url).get_data(as_text=True)
            assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_action_with_bad_input_stays_on_the_page_with_the_message(w, clients):
    case = w.accepted()
    lead = w.lead_of(case)
    c = clients("lead_handler")
    token = csrf_token(c.get(f"/cases/{case.id}").get_data(as_text=True))
    r = c.post(f"/cases/{case.id}/do/request_extension/{lead.id}",
               data={"csrf_token": token, f"request_extension-{lead.id}-version": lead.version,
                     f"request_extension-{lead.id}-requested_due": "2030-01-01",
                     f"request_extension-{lead.id}-comment": "需市级审批"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "延期最长至" in html and "需市级审批" in html
    assert lead.state == "accepted"


def test_stale_version_gives_409(w, clients):
    case = w.assigned()
    lead = w.lead_of(case)
    c = clients("lead_handler")
    token = csrf_token(c.get(f"/cases/{case.id}").get_data(as_text=True))
    stale = lead.version - 1 if lead.version > 1 else 0
    r = c.post(f"/cases/{case.id}/do/accept/{lead.id}",
               data={"csrf_token": token, f"accept-{lead.id}-version": stale})
    assert r.status_code == 409 and "已被他人修改" in r.get_data(as_text=True)


def _action_labels(html):
    return set(re.findall(r"<summary>([^<\s]+)", html))


def test_only_permitted_actions_are_shown(w, clients):
    case = w.accepted()
    lead_page = clients("lead_handler").get(f"/cases/{case.id}").get_data(as_text=True)
    assert _action_labels(lead_page) == {"申请延期", "记录沟通", "拟写答复", "上传附件"}
    assert _action_labels(clients("dispatcher").get(f"/cases/{case.id}").get_data(as_text=True)) == {
        "追加交办", "同意先行答复（会办意见未齐）", "重点督办", "上传附件"}
    co_page = clients("other_handler").get(f"/cases/{case.id}")
    assert co_page.status_code == 404
    supervisor_page = clients("supervisor").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "当前没有需要您处理的操作" in supervisor_page


def test_reply_drafted_and_signed_through_the_web(w, clients, db):
    """The handler's draft keeps its PDF; the leader reads the draft (text, 文号, class, the file, the
    letter's preview) in the 签发 panel and must confirm having read it."""
    case = w.with_opinions()
    lead = w.lead_of(case)
    c = clients("lead_handler")
    token = csrf_token(c.get(f"/cases/{case.id}").get_data(as_text=True))
    p = f"draft_reply-{lead.id}-"
    r = c.post(f"/cases/{case.id}/do/draft_reply/{lead.id}", content_type="multipart/form-data", data={
        "csrf_token": token, p + "doc_number": "长测〔2025〕5号", p + "contact_name": "沈佳琪",
        p + "contact_phone": "021-22050000", p + "result_class_id": w.classes[0].id, p + "text": "答复正文：已落实。",
        p + "attachment": (io.BytesIO(PDF), "答复函.pdf")})
    assert r.status_code == 302
    draft = db.session.scalars(select(Reply).where(Reply.case_id == case.id)).one()
    assert draft.attachment.filename == "答复函.pdf" and path_of(draft.attachment).read_bytes() == PDF
    assert "修改答复稿" in c.get(f"/cases/{case.id}").get_data(as_text=True)  # the handler sees its draft

    leader = clients("lead_leader")
    page = leader.get(f"/cases/{case.id}").get_data(as_text=True)
    panel = re.search(r"<details>\s*<summary>签发答复.*?</details>", page, re.S).group(0)
    for shown in ("长测〔2025〕5号", w.classes[0].label, "答复正文：已落实。", "答复函.pdf",
                  f"/reports/cases/{case.id}/replies/{draft.id}/letter.pdf", "我已阅读答复稿和答复函预览，同意签发"):
        assert shown in panel, shown
    assert leader.get(f"/reports/cases/{case.id}/replies/{draft.id}/letter.pdf").data.startswith(b"%PDF")
    assert clients("proposer").get(f"/reports/cases/{case.id}/replies/{draft.id}/letter.pdf").status_code == 404
    target = int(re.search(r"/do/sign_reply/(\d+)", page).group(1))
    assert target == lead.id  # 签发 acts on the lead unit's part, naming the draft it signs
    assert f'name="sign_reply-{lead.id}-reply_id" type="hidden" value="{draft.id}"' in page
    data = {"csrf_token": csrf_token(page), f"sign_reply-{target}-reply_id": draft.id,
            f"sign_reply-{target}-version": draft.version}
    unconfirmed = leader.post(f"/cases/{case.id}/do/sign_reply/{target}", data=data)
    assert unconfirmed.status_code == 422 and "请确认已阅读答复稿和答复函预览。" in unconfirmed.get_data(as_text=True)
    assert case.state == "in_progress"
    r = leader.post(f"/cases/{case.id}/do/sign_reply/{target}", data={**data, f"sign_reply-{target}-confirm": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert case.state == "replied" and draft.signer_id == w["lead_leader"].id
    assert db.session.scalars(select(Event).where(Event.case_id == case.id, Event.transition == "reply")).one()


def test_public_portal_shows_only_published_text(w, client, db):
    case = w.evaluated()
    pending = w.disclosure_of(case)
    assert client.get(f"/public/{pending.id}").status_code == 404
    disclosure.publish(w["dispatcher"], pending.id, pending.version, "full", "已落实，感谢关心。")
    html = client.get("/public/").get_data(as_text=True)
    assert case.title in html
    page = client.get(f"/public/{pending.id}").get_data(as_text=True)
    assert "已落实，感谢关心。" in page and w.proposer_row.phone not in page and "021-22050000" not in page
    second_case = w.evaluated(consent="none")
    d = w.disclosure_of(second_case)
    disclosure.withhold(w["dispatcher"], d.id, d.version, "涉及过程性信息")
    assert client.get(f"/public/{d.id}").status_code == 404
    assert second_case.title not in client.get("/public/").get_data(as_text=True)


def test_the_portal_lists_a_case_once_with_all_its_published_replies(w, client, db, frozen_clock):
    case = w.closed()
    lead = w.lead_of(case)
    first = w.disclosure_of(case)
    disclosure.publish(w["dispatcher"], first.id, first.version, "full", "第一次答复：列入计划。")
    frozen_clock(START + timedelta(days=100))  # 回头看: a second reply, published too
    second = handling.draft_reply(w["lead_handler"], lead.id, w.reply_input(text="第二次答复：已完成。"))
    handling.sign_reply(w["lead_leader"], second.id, second.version)
    d2 = w.disclosure_of(case)
    disclosure.publish(w["dispatcher"], d2.id, d2.version, "full", "第二次答复：已完成。")
    listed = client.get("/public/").get_data(as_text=True)
    assert listed.count(case.title) == 1 and "已公开 2 次答复" in listed and "共 1 件" in listed
    assert f'href="/public/{d2.id}"' in listed  # the newest publication
    page = client.get(f"/public/{first.id}").get_data(as_text=True)
    assert page.index("第一次答复：列入计划。") < page.index("第二次答复：已完成。")


def test_assign_form_shows_computed_due_dates_and_assigns(w, clients, db):
    case = w.registered()
    c = clients("dispatcher")
    page = c.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "按规则（今日交办）：2025-06-03" in page and "按规则（今日交办）：2025-04-03" in page
    p = f"assign-{case.id}-"
    r = c.post(f"/cases/{case.id}/do/assign/{case.id}", data={
        "csrf_token": csrf_token(page), p + "version": case.version, p + "lead_unit_ids": w.lead.id,
        p + "co_unit_ids": w.co.id, p + "assigned_on": "2025-03-03", p + "reply_due": "2025-05-30"})
    assert r.status_code == 422 and "修改办理期限须说明理由" in r.get_data(as_text=True)
    r = c.post(f"/cases/{case.id}/do/assign/{case.id}", data={
        "csrf_token": csrf_token(page), p + "version": case.version, p + "lead_unit_ids": w.lead.id,
        p + "co_unit_ids": w.co.id, p + "assigned_on": "2025-03-03", p + "reply_due": "2025-05-30",
        p + "due_reason": "区人代会前答复"})
    assert r.status_code == 302
    db.session.expire_all()
    assert case.state == "assigned" and w.lead_of(case).due_date.isoformat() == "2025-05-30"


def test_publish_form_marks_the_contact_data_it_refuses(w, login, db):
    case = w.evaluated()
    d = w.disclosure_of(case)
    c = login(w["dispatcher"])
    token = csrf_token(c.get(f"/cases/{case.id}").get_data(as_text=True))
    r = c.post(f"/cases/{case.id}/do/publish/{d.id}", data={
        "csrf_token": token, "publish-%d-version" % d.id: d.version, "publish-%d-scope" % d.id: "full",
        "publish-%d-published_text" % d.id: "已落实。如有疑问请发邮件至 zhao@cs.gov.cn 或加QQ：123456789。"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "电子邮箱「zhao@cs.gov.cn」" in html and "QQ号「QQ：123456789」" in html
    assert '<mark title="电子邮箱">zhao@cs.gov.cn</mark>' in html
    assert '<mark title="QQ号">QQ：123456789</mark>' in html
    db.session.refresh(d)
    assert d.state == "pending" and not d.published_text
