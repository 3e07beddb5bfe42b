"""Forms as a clerk meets them: registration per body with co-signers in order, unit lists without
Ctrl-click, file limits said up front, and an expired form that keeps what was typed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from caseflow.models import Case, Contact
from tests.conftest import csrf_token
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


def _options(html: str, name: str) -> list[str]:
    select_ = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_)


def test_registration_offers_only_the_bodys_sessions_categories_and_proposers(w, login, make):
    npc_session = make.session(body="npc_suggestion", name="人大测试会议")
    make.category(body="npc_suggestion", name="人大分类")
    make.category(body="cppcc_proposal", name="政协分类")
    make.proposer("人大代表甲", kind="deputy", organization="某街道")
    c = login(w["dispatcher"])
    assert c.get("/cases/new").location.endswith("/cases/new/cppcc_proposal")  # the newest session's body
    cppcc = c.get("/cases/new/cppcc_proposal").get_data(as_text=True)
    assert all(npc_session.name not in o for o in _options(cppcc, "session_id"))
    assert any(w.session.name in o for o in _options(cppcc, "session_id"))
    assert "政协分类（2023）" in _options(cppcc, "category_id") and "人大分类（2023）" not in _options(cppcc, "category_id")
    assert "提出人" in _options(cppcc, "lead_proposer_id") and not any("人大代表甲" in o for o in _options(
        cppcc, "lead_proposer_id"))
    npc = c.get("/cases/new/npc_suggestion").get_data(as_text=True)
    assert _options(npc, "lead_proposer_id") == ["请选择", "人大代表甲（某街道）"]
    assert '<option value="人大代表甲（某街道）">' in npc and '<option value="提出人' not in npc  # the name list


def _post(c, body, **fields):
    page = c.get(f"/cases/new/{body}").get_data(as_text=True)
    return c.post(f"/cases/new/{body}", data={"csrf_token": csrf_token(page), **fields},
                  content_type="multipart/form-data")


def test_co_signers_are_kept_in_the_order_typed(w, login, make, db):
    for name in ("张三", "李四", "王五"):
        make.proposer(name, kind="member", organization=f"{name}的单位")
    make.proposer("李四", kind="member", organization="另一个单位")  # two 李四
    c = login(w["dispatcher"])
    base = {"session_id": w.session.id, "number": "31", "title": "联名顺序", "category_id": "0",
            "lead_proposer_id": w.proposer_row.id, "consent": "full"}
    r = _post(c, "cppcc_proposal", **base, **{"cosigners-0": "王五", "cosigners-1": "李四", "cosigners-3": "张三"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "有 2 位“李四”，请写成“姓名（单位）”：" in html
    assert 'value="王五"' in html and 'value="李四"' in html  # nothing typed is lost
    assert db.session.scalar(select(Case.id).where(Case.title == "联名顺序")) is None
    r = _post(c, "cppcc_proposal", **base, **{"cosigners-0": "王五", "cosigners-1": "李四（另一个单位）",
                                            "cosigners-2": "", "cosigners-3": " 张三 ", "cosigners-4": ""})
    assert r.status_code == 302
    case = db.session.scalars(select(Case).where(Case.title == "联名顺序")).one()
    assert [(c.position, c.proposer.name, c.proposer.organization) for c in case.cosigners] == [
        (1, "王五", "王五的单位"), (2, "李四", "另一个单位"), (3, "张三", "张三的单位")]
    r = _post(c, "cppcc_proposal", **{**base, "number": "32"}, **{"cosigners-0": "赵六"})
    assert r.status_code == 422 and "找不到政协委员“赵六”。" in r.get_data(as_text=True)


def test_units_are_check_boxes_and_file_limits_are_said_up_front(w, login):
    case = w.registered()
    html = login(w["dispatcher"]).get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'<ul class="unit-picker" id="assign-\d+-lead_unit_ids">', html)
    assert re.search(r'<input id="assign-\d+-lead_unit_ids-0" name="assign-\d+-lead_unit_ids" type="checkbox"', html)
    assert 'data-filter="assign-' in html and "<select multiple" not in html
    assert 'data-max-bytes="20971520"' in html and "每个文件不超过 20 MB" in html


def test_an_expired_form_keeps_what_was_typed(w, login, db):
    case = w.accepted()
    lead = w.lead_of(case)
    c = login(w["lead_handler"])
    p = f"contact-{lead.id}-"
    r = c.post(f"/cases/{case.id}/do/contact/{lead.id}", data={
        "csrf_token": "stale-token", p + "kind": "phone", p + "contacted_on": "2025-03-03",
        p + "note": "电话沟通了办理思路，提出人很满意"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "页面已过期或来自其他页面，您填写的内容已保留" in html
    assert "电话沟通了办理思路，提出人很满意" in html and "<details open>" in html
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0  # and nothing was saved
    r = login(w["dispatcher"]).post("/cases/new/cppcc_proposal", data={"csrf_token": "stale-token",
                                                                     "title": "写了很久的标题"})
    assert r.status_code == 422 and "写了很久的标题" in r.get_data(as_text=True)
    assert "页面已过期或来自其他页面" in r.get_data(as_text=True)
