"""The case page's action panel is the rule book's answer: for cases in every state and every kind
of user, the forms on the page are exactly the actions the engine allows on exactly those rows,
each of them allowed by a plain reading of the YAML too; and the navigation follows ``pages``."""
from __future__ import annotations

import re

import pytest

from caseflow.workflow import engine, spec
from tests.rulebook import ACTORS, BODY, Rows, people_actions, who
from tests.service.world import START, World

# (case, lead part, co part, the sent reply's disclosure, an open draft): states a case passes through
CASES = [
    ("registered", "pending", "pending", "pending", False),
    ("assigned", "pending", "pending", "pending", False),
    ("assigned", "return_requested", "accepted", "pending", False),
    ("in_progress", "accepted", "accepted", "pending", False),
    ("in_progress", "extension_requested", "opinion_sent", "pending", True),
    ("replied", "answered", "opinion_sent", "pending", False),
    ("rehandling", "accepted", "opinion_sent", "published", True),
    ("evaluated", "answered", "opinion_sent", "pending", False),
    ("closed", "answered", "opinion_sent", "withheld", True),
    ("withdrawn", "pending", "pending", "pending", False),
    ("merged", "pending", "pending", "pending", False),
]
REPLIED = CASES[5]


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db, body=BODY)


def _offered(html: str, case_id: int) -> set[tuple[str, int]]:
    return {(name, int(target)) for name, target in re.findall(rf'action="/cases/{case_id}/do/(\w+)/(\d+)"', html)}


def test_the_panel_offers_exactly_what_the_rule_book_allows(w, login):
    clients = {actor: login(w[actor]) for actor in ACTORS}
    actions = people_actions()
    offered_somewhere = set()
    for states in CASES:
        rows = Rows(w, *states)
        if states[0] == "merged":  # into a case that has replied (its proposer may evaluate that reply)
            rows.case.merged_into_id = Rows(w, *REPLIED).case.id
            w.db.session.commit()
        for actor in ACTORS:
            page = clients[actor].get(f"/cases/{rows.case.id}")
            if page.status_code == 404:  # a unit or proposer that has nothing to do with the case
                assert actor in ("other_handler", "other_leader", "other_proposer"), (states, actor)
                continue
            shown = _offered(page.get_data(as_text=True), rows.case.id)
            allowed = {(a.action["name"], a.target.id) for a in engine.answers(w[actor], rows.case) if a.decision}
            assert shown == allowed - {(n, t) for n, t in allowed if n == "register"}, (states, actor)
            parts = {rows.lead.id: "lead", rows.co.id: "co"}
            for name, target in shown:
                part = parts.get(target) if actions[name]["acts_on"] == "assignment" else None
                assert who(actions[name], actor, part), (states, actor, name)
                assert states[0] in actions[name]["states"]["case"], (states, actor, name)
            offered_somewhere |= {name for name, _ in shown}
    # the walk above shows every people's action somewhere (register has a page of its own)
    assert offered_somewhere == set(actions) - {"register"}


def test_a_refused_post_explains_the_current_state_and_who_moved_it(w, login, db):
    from caseflow.services import assignments

    case = w.assigned()
    lead = w.lead_of(case)
    first, second = login(w["lead_handler"]), login(w["lead_leader"])
    page = second.get(f"/cases/{case.id}").get_data(as_text=True)  # a second window, still showing 签收
    assert ("accept", lead.id) in _offered(page, case.id)
    assignments.accept(w["lead_handler"], lead.id, lead.version)  # the first window signs
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = second.post(f"/cases/{case.id}/do/accept/{lead.id}",
                    data={"csrf_token": token, f"accept-{lead.id}-version": 1})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert f"当前状态为“办理中”（{w['lead_handler'].name}于 2025-03-03 10:00 签收），不能签收。" in html
    assert f'<h1>{case.title}' in html  # the case page itself, not an error page
    assert first.get(f"/cases/{case.id}").status_code == 200


@pytest.mark.parametrize("actor", ACTORS)
def test_the_navigation_follows_the_pages_of_the_rule_book(w, login, actor):
    html = login(w[actor]).get("/cases/").get_data(as_text=True)
    nav = set(re.findall(r'<a href="(/[^"]*)"', re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)))
    role = w[actor].role
    pages = spec.load(BODY)["pages"]
    for href, page in (("/cases/inbox", "inbox"), ("/dashboard/", "dashboard"), ("/reports/", "reports"),
                       ("/cases/import", "import_cases"), ("/admin/proposers", "proposer_links"),
                       ("/admin/users", "administration")):
        assert (href in nav) == (role in pages[page]), (actor, href)
    assert ("/cases/new" in nav) == (role in people_actions()["register"]["roles"])


def test_workflow_can_prints_every_action_with_its_reason(app, w):
    from click.testing import CliRunner

    case = w.assigned()
    result = CliRunner().invoke(app.cli, ["workflow", "can", "--user", w["lead_handler"].username,
                                          "--case", str(case.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{w['lead_handler'].name}（承办单位经办人）· {w.session.name} {case.number_label} · 已交办"
    assert "✓ 签收（主办单位 · 主办）" in lines
    assert "✗ 签收（会办单位 · 会办）：只有会办单位可以签收。" in lines
    assert "✗ 交办：只有督查科可以交办。" in lines
    assert "✗ 拟写答复（主办单位 · 主办）：当前状态为“待签收”，不能拟写答复。" in lines
    for action in people_actions().values():  # every action is answered
        assert any(line[2:].startswith(action["label"]) for line in lines[1:]), action["label"]
    assert all(line[:2] in ("✓ ", "✗ ") for line in lines[1:])
    bad = CliRunner().invoke(app.cli, ["workflow", "can", "--user", "nobody", "--case", str(case.id)])
    assert bad.exit_code != 0 and "找不到用户“nobody”" in bad.output


def test_the_admin_page_answers_the_same_question(w, login, make):
    case = w.assigned()
    admin = login(w["admin"])
    html = admin.get(f"/admin/rules?username={w['co_handler'].username}&case_id={case.id}").get_data(as_text=True)
    rows = [re.sub(r"<[^>]+>|\s", "", row) for row in re.findall(r"<tr><td class=\"nowrap\">(.*?)</tr>", html, re.S)]
    assert "签收（会办单位·会办）✓可以" in rows
    assert "签收（主办单位·主办）✗不可以只有主办单位可以签收。" in rows
    missing = admin.get(f"/admin/rules?username=nobody&case_id={case.id}")
    assert missing.status_code == 422 and "没有这个用户名。" in missing.get_data(as_text=True)
    assert login(w["dispatcher"]).get(f"/admin/rules?username=x&case_id={case.id}").status_code == 403
