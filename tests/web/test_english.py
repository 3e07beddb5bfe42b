"""English mode shows no Chinese except data: each role's pages, with data written in ASCII, at
every stage of a case, must not contain a CJK character; refusals read in English; the documents
(PDF, xlsx) stay Chinese."""
from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from caseflow.models import Reply
from caseflow.services import access_links, assignments, disclosure, importer
from tests.conftest import csrf_token
from tests.reports import pdf as pdfcheck
from tests.service.world import START, World

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
SVG = "data:image/svg+xml;base64,"


class Text(HTMLParser):
    """The text a reader sees, plus titles, placeholders, labels of buttons and the texts of charts."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if tag == "img" and name == "src" and value.startswith(SVG):  # a chart: its title and legend
                self.parts += re.findall(r">([^<]+)<", base64.b64decode(value.removeprefix(SVG)).decode())
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)
            if name == "value" and dict(attrs).get("type") in ("submit", "button"):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def chinese_in(html: str, data: set[str] = frozenset()) -> list[str]:
    parser = Text()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "")
    return sorted(set(CJK.findall(text)))


def asciify(db) -> set[str]:
    """Every stored text that holds Chinese becomes ASCII, so what remains Chinese is the UI's;
    the event log is append-only: its texts are returned, to be read as data."""
    kept = set()
    for table in db.metadata.sorted_tables:
        if table.name == "events":
            kept |= {leaf for row in db.session.execute(table.select()).mappings() for leaf in _texts(dict(row))}
            continue
        key = [c.name for c in table.primary_key.columns]
        texts = [c for c in table.columns if _holds_text(c) and c.name not in key]
        for row in db.session.execute(table.select()).mappings().all():
            changed = {c.name: _ascii(row[c.name]) for c in texts if row[c.name] is not None}
            changed = {k: v for k, v in changed.items() if v != row[k]}
            if changed:
                db.session.execute(table.update().where(*(table.c[k] == row[k] for k in key)).values(**changed))
    db.session.commit()
    return {text for text in kept if CJK.search(text)}


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for v in value.values() if isinstance(value, dict) else value:
            yield from _texts(v)


def _holds_text(column) -> bool:
    try:
        return column.type.python_type in (str, dict, list)
    except NotImplementedError:  # a JSON column
        return True


def _ascii(value):
    if isinstance(value, str):
        return CJK.sub(lambda m: "x" + hashlib.sha1(m.group().encode()).hexdigest()[:8], value)
    if isinstance(value, dict):
        return {k: _ascii(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ascii(v) for v in value]
    return value


ROLES = ("dispatcher", "supervisor", "lead_handler", "lead_leader", "co_handler", "admin", "proposer")
ALLOWED = {"中文"}  # the language switch names the other language in that language


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


def english(client, page: str = "/login"):
    token = csrf_token(client.get(page, follow_redirects=True).get_data(as_text=True))
    assert client.post("/language", data={"lang": "en", "csrf_token": token}).status_code == 302
    return client


def test_english_pages_show_no_chinese_but_data(w, db, login, app):
    """Every page without parameters and each case's page at every stage, for each role, the report
    pages and the rule explainer, plus the public portal and a personal link without a login."""
    cases = [w.registered(), w.assigned(), w.accepted(), w.with_opinions(), w.drafted()[0], w.replied(),
             w.evaluated(), w.closed()]
    d = w.disclosure_of(cases[-1])
    disclosure.publish(w["dispatcher"], d.id, d.version, "full", "答复正文：已研究落实。")
    _, token, _ = access_links.create_link(w["dispatcher"], w.proposer_row.id)
    # the import page names the headers of the (Chinese) spreadsheet it reads: words of the file
    data = asciify(db) | set(importer.COLUMN_LABELS.values())
    pages = [r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and "<" not in r.rule
             and not r.rule.endswith((".xlsx", ".pdf", ".json")) and r.rule not in ("/logout", "/static")]
    extra = {"lead_handler": [f"/reports/unit/{w.lead.id}/2025"], "dispatcher": ["/reports/district/2025"],
             "admin": [f"/admin/rules?username={w['lead_handler'].username}&case_id={cases[3].id}"]}
    found: dict[str, set[str]] = {}

    def crawl(client, urls):
        for url in urls:
            r = client.get(url)
            if r.mimetype == "text/html":  # error pages too
                for run in chinese_in(r.get_data(as_text=True), data):
                    found.setdefault(run, set()).add(url)

    for role in ROLES:
        crawl(english(login(w[role]), "/"), pages + [f"/cases/{c.id}" for c in cases] + extra.get(role, []))
    anonymous = english(app.test_client())
    for url in ("/public/", f"/public/{d.id}", f"/p/{token}"):
        assert anonymous.get(url).status_code == 200, url
    crawl(anonymous, ["/login", "/public/", f"/public/{d.id}", f"/p/{token}"])

    assert {run: sorted(urls) for run, urls in found.items() if run not in ALLOWED} == {}
    assert "中文" in found  # the pages were read in English (the switch offers Chinese)


def test_a_refusal_reads_in_english(w, login):
    """签收 posted from a stale page: the engine's reason, with the state, who moved it and when."""
    case = w.assigned()
    lead = w.lead_of(case)
    second = english(login(w["lead_leader"]), "/")
    page = second.get(f"/cases/{case.id}").get_data(as_text=True)
    assignments.accept(w["lead_handler"], lead.id, lead.version)
    r = second.post(f"/cases/{case.id}/do/accept/{lead.id}",
                    data={"csrf_token": csrf_token(page), f"accept-{lead.id}-version": 1})
    assert r.status_code == 409
    assert (f"The current state is “In progress” ({w['lead_handler'].name}, 2025-03-03 10:00: Sign for); "
            "“Sign for” is not possible.") in r.get_data(as_text=True)


def test_a_service_message_reads_in_english(w, login):
    """A refusal raised inside a service (not by the rule book) is translated too."""
    admin = english(login(w["admin"]), "/admin/units")
    page = admin.get("/admin/units").get_data(as_text=True)
    r = admin.post("/admin/units", data={"csrf_token": csrf_token(page), "name": w.lead.name, "kind": "department"})
    html = r.get_data(as_text=True)
    assert f"There is already a unit named “{w.lead.name}”." in html and "已有名为" not in html


def test_documents_stay_chinese_for_an_english_user(w, db, login, tmp_path):
    """The reply letter, the reports and the spreadsheets are the office's Chinese papers."""
    case = w.replied()
    reply = db.session.scalar(select(Reply).where(Reply.case_id == case.id))
    w.assigned()
    handler = english(login(w["lead_handler"]), "/")
    assert "Inbox" in handler.get("/cases/inbox").get_data(as_text=True)  # the UI is English

    letter = handler.get(f"/reports/cases/{case.id}/replies/{reply.id}/letter.pdf")
    assert letter.mimetype == "application/pdf"
    text = pdfcheck.text(letter.data, tmp_path).replace("\n", "")
    assert "联系人：" in text and "2025年3月3日" in text
    summary = handler.get(f"/reports/unit/{w.lead.id}/2025.pdf")
    text = pdfcheck.text(summary.data, tmp_path)
    assert summary.mimetype == "application/pdf" and "主办" in text and "Lead" not in text  # the appendix's role

    inbox = load_workbook(BytesIO(handler.get("/cases/inbox/export.xlsx").data)).active
    assert [c.value for c in inbox[1]] == ["办理期限", "剩余天数", "类别", "编号", "标题", "角色", "状态"]
    assert {row[5].value for row in inbox.iter_rows(min_row=2)} == {"主办"}
    assert {row[6].value for row in inbox.iter_rows(min_row=2)} == {"待签收"}
    cases = load_workbook(BytesIO(handler.get("/cases/export.xlsx").data)).active
    assert {row[1].value for row in cases.iter_rows(min_row=2)} == {"政协提案"}
    dashboard = load_workbook(BytesIO(english(login(w["dispatcher"]), "/").get("/dashboard/export.xlsx").data)).active
    assert [c.value for c in dashboard[1]][:4] == ["单位", "主办", "会办", "办复率"]
