"""The proposer's personal link: tokens (valid, expired, revoked, tampered), only their own cases,
feedback with CSRF (满意, 不满意 starting 重新办理), the dispatcher's link page, escaping."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from caseflow import clock
from caseflow.models import AccessLink, CaseCosigner, Feedback
from caseflow.services import access_links, assignments, cases, handling
from tests.conftest import csrf_token
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


@pytest.fixture
def link(w) -> str:
    """The path of a fresh personal link of the World's proposer."""
    _, token, _ = access_links.create_link(w["dispatcher"], w.proposer_row.id)
    return f"/p/{token}"


def feedback(client, link: str, case, **data):
    token = csrf_token(client.get(link).get_data(as_text=True))
    fields = {f"fb{case.id}-{k}": v for k, v in {"version": case.version, **data}.items()}
    return client.post(f"{link}/cases/{case.id}/feedback", data={"csrf_token": token, **fields})


def test_a_valid_link_shows_own_cases_with_replies_and_no_contact_data(w, make, link, client):
    replied = w.replied()
    cosigned = make.case(session=w.session, title="联名的件")
    w.db.session.add(CaseCosigner(case_id=cosigned.id, position=1, proposer_id=w.proposer_row.id))
    other = make.case(session=w.session, title="别人的件")
    w.db.session.commit()
    r = client.get(link)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert replied.title in html and "联名的件" in html and "别人的件" not in html
    assert "答复正文：已研究落实。" in html and "已答复" in html
    assert "13812345678" not in html and "p@example.com" not in html and "长宁区某路1号" not in html
    assert other.lead_proposer.name not in html


@pytest.mark.parametrize("how", ["expired", "revoked", "tampered", "garbage", "other_key"])
def test_a_bad_link_answers_404(app, w, link, client, frozen_clock, how):
    token = link.removeprefix("/p/")
    if how == "expired":
        frozen_clock(clock.now() + timedelta(days=app.config["ACCESS_LINK_DAYS"], seconds=1))
    elif how == "revoked":
        access_links.revoke_link(w["dispatcher"], w.db.session.scalars(select(AccessLink)).one().id)
    elif how == "tampered":  # another proposer's link id under this link's signature
        _, other, _ = access_links.create_link(w["dispatcher"], w["other_proposer"].proposer_id)
        token = other.split(".", 1)[0] + "." + token.split(".", 1)[1]
    elif how == "garbage":
        token = "not-a-token"
    else:
        link_id = w.db.session.scalars(select(AccessLink)).one().id
        token = URLSafeTimedSerializer("another-key", salt=access_links.SALT).dumps(link_id)
    r = client.get(f"/p/{token}")
    assert r.status_code == 404 and "该链接无效、已过期或已撤销" in r.get_data(as_text=True)


def test_a_link_is_valid_until_it_expires(app, w, link, client, frozen_clock):
    frozen_clock(clock.now() + timedelta(days=app.config["ACCESS_LINK_DAYS"] - 1))
    assert client.get(link).status_code == 200


def test_another_proposers_case_is_404(w, make, link, client):
    other = make.case(session=w.session, state="replied")
    r = feedback(client, link, other, overall="satisfied")
    assert r.status_code == 404


def test_satisfied_through_the_link(w, link, client, db):
    case = w.replied()
    r = feedback(client, link, case, overall="satisfied", attitude="satisfied", comment="很好")
    assert r.status_code == 302 and r.location.endswith(link)
    fb = db.session.scalars(select(Feedback).where(Feedback.case_id == case.id)).one()
    assert (fb.overall, fb.attitude, fb.channel) == ("satisfied", "satisfied", "link")
    assert fb.proposer_id == w.proposer_row.id
    html = client.get(link).get_data(as_text=True)
    assert case.state == "evaluated" and "感谢您的评价" in html and "已评价" in html
    assert f'action="{link}/cases/{case.id}/feedback"' not in html  # nothing more to evaluate


def test_dissatisfied_needs_a_reason_then_starts_rehandling(w, link, client, db):
    case = w.replied()
    r = feedback(client, link, case, overall="dissatisfied")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and case.state == "replied"
    assert re.search(rf'id="fb{case.id}-comment".*?选择不满意时，请写明不满意的原因。', html, re.S)
    r = feedback(client, link, case, overall="dissatisfied", comment="问题没有解决")
    assert r.status_code == 302 and case.state == "rehandling"
    html = client.get(link).get_data(as_text=True)
    assert "该件将重新办理" in html and "重新办理" in html and "问题没有解决" in html


def test_feedback_without_csrf_is_refused(w, link, client):
    case = w.replied()
    client.get(link)
    r = client.post(f"{link}/cases/{case.id}/feedback", data={f"fb{case.id}-version": case.version,
                                                               f"fb{case.id}-overall": "satisfied"})
    assert r.status_code == 400 and case.state == "replied"


# -- the dispatcher's page --------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [("dispatcher", 200), ("admin", 200), ("supervisor", 403),
                                         ("lead_handler", 403), ("proposer", 403)])
def test_link_page_is_for_dispatchers_and_admins(w, login, who, status):
    c = login(w[who])
    assert c.get("/admin/proposers").status_code == status
    token = csrf_token(c.get("/public/").get_data(as_text=True))
    r = c.post(f"/admin/proposers/{w.proposer_row.id}/links", data={"csrf_token": token})
    assert r.status_code == (302 if status == 200 else 403)


def test_create_shows_the_url_once_and_revoke(w, login, client, db):
    c = login(w["dispatcher"])
    token = csrf_token(c.get("/admin/proposers").get_data(as_text=True))
    c.post(f"/admin/proposers/{w.proposer_row.id}/links", data={"csrf_token": token})
    html = c.get("/admin/proposers").get_data(as_text=True)
    url = re.search(r'<code class="select-all">([^<]+)</code>', html).group(1)
    assert url.startswith("http://127.0.0.1:5000/p/")
    assert "/p/" not in c.get("/admin/proposers").get_data(as_text=True)  # shown once
    path = url.removeprefix("http://127.0.0.1:5000")
    assert client.get(path).status_code == 200
    link = db.session.scalars(select(AccessLink)).one()
    assert link.expires_at == clock.now() + timedelta(days=90)
    c.post(f"/admin/proposers/links/{link.id}/revoke", data={"csrf_token": token})
    assert link.revoked_at is not None and client.get(path).status_code == 404


def test_proposer_names_are_escaped(w, make, login, client):
    evil = make.proposer("<script>alert(1)</script>")
    _, token, _ = access_links.create_link(w["dispatcher"], evil.id)
    make.case(session=w.session, lead_proposer=evil)
    for html in (login(w["dispatcher"]).get("/admin/proposers").get_data(as_text=True),
                 client.get(f"/p/{token}").get_data(as_text=True)):
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_new_link_revokes_the_earlier_ones(w, login, client, db):
    first = f"/p/{access_links.create_link(w['dispatcher'], w.proposer_row.id)[1]}"
    second = f"/p/{access_links.create_link(w['dispatcher'], w.proposer_row.id)[1]}"
    assert client.get(second).status_code == 200
    assert client.get(first).status_code == 404
    c = login(w["dispatcher"])
    token = csrf_token(c.get("/admin/proposers").get_data(as_text=True))
    c.post(f"/admin/proposers/{w.proposer_row.id}/links", data={"csrf_token": token})
    assert "此前的 1 个链接已同时失效" in c.get("/admin/proposers").get_data(as_text=True)
    assert client.get(second).status_code == 404
    assert db.session.query(AccessLink).filter(AccessLink.revoked_at.is_(None)).count() == 1
    other = access_links.create_link(w["dispatcher"], w["other_proposer"].proposer_id)[1]
    assert client.get(f"/p/{other}").status_code == 200  # another proposer's link is left alone


def test_the_proposer_of_a_merged_case_reads_the_primarys_reply_and_evaluates_it(w, make, link, client, db):
    primary = make.case(session=w.session, title="主件")  # another member's case
    w.db.session.commit()
    mine = w.registered(title="我的并案件")
    cases.merge(w["dispatcher"], mine.id, mine.version, primary.id, "内容相近")
    html = client.get(link).get_data(as_text=True)
    assert "并案办理" in html and f'id="feedback-{mine.id}"' not in html  # nothing to evaluate yet
    units = [cases.UnitAssignment(w.lead.id, "lead")]
    cases.assign(w["dispatcher"], primary.id, primary.version, units)
    lead = w.lead_of(primary)
    assignments.accept(w["lead_handler"], lead.id, lead.version)
    reply = handling.draft_reply(w["lead_handler"], lead.id, w.reply_input(text="主件的答复：已增设停车位。"))
    handling.sign_reply(w["lead_leader"], reply.id, reply.version)
    html = client.get(link).get_data(as_text=True)
    assert "主件的答复：已增设停车位。" in html and f'id="feedback-{mine.id}"' in html
    assert "主件</h2>" not in html  # the primary itself is not the member's case
    r = feedback(client, link, mine, overall="dissatisfied", comment="停车位仍不够")
    assert r.status_code == 302
    assert "督查科会与您联系" in client.get(link).get_data(as_text=True)  # not 重新办理: the primary is not sent back
    given = db.session.scalars(select(Feedback).where(Feedback.case_id == mine.id)).one()
    assert (given.reply_id, given.overall, given.channel) == (reply.id, "dissatisfied", "link")
    db.session.refresh(primary)
    assert primary.state == "replied"
    assert f'id="feedback-{mine.id}"' not in client.get(link).get_data(as_text=True)
