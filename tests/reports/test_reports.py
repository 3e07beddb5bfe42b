"""The PDFs as a reader checks them: the words (pdftotext), the fonts (pdffonts), the page geometry."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from caseflow.demo.seed import seed_demo
from caseflow.models import Assignment, Job, Reply, Unit
from caseflow.reports import unit_summary
from caseflow.reports.letters import reply_letter_pdf
from caseflow.reports.render import RefusedURL, RestrictedFetcher, html_to_pdf
from caseflow.services import jobs
from tests.reports import pdf as pdfcheck
from tests.service.world import START, World

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)


@pytest.fixture
def demo_unit_pdf(db):
    seed_demo()
    unit = db.session.scalar(select(Unit).where(Unit.name == "区地区工作办公室"))
    return unit_summary.render({"unit_id": unit.id, "year": 2023}, lambda _: None)


def test_demo_unit_report_reproduces_the_reference(demo_unit_pdf, tmp_path):
    text = pdfcheck.text(demo_unit_pdf, tmp_path).replace("\n", "")
    for fact in ("2023年人大建议与政协提案办理工作总结", "区地区工作办公室", "2023年11月13日",
                 "共办理人大建议0件、政协提案11件", "政协提案：主办3件", "会办8件",
                 "一、承办情况", "二、办理举措", "三、办理“回头看”", "四、特色案例", "五、创新成效",
                 "案例一：办理第10号“关于依托多元主体，深化区域‘15分钟社区美好生活圈’工作的建议”提案时",
                 "案例二：办理第38号", "办理前", "办理中", "完成办理后", "附表"):
        assert fact in text, fact
    fonts = pdfcheck.fonts(demo_unit_pdf, tmp_path)
    assert fonts and all(f["emb"] == "yes" for f in fonts)
    assert any("CJK" in f["name"] for f in fonts)


def test_page_geometry_follows_gb_t_9704(demo_unit_pdf, tmp_path):
    words = pdfcheck.words(demo_unit_pdf, tmp_path)
    assert all(abs(w["size"][0] - A4[0]) < 1 and abs(w["size"][1] - A4[1]) < 1 for w in words)
    numbers = [w for w in words if w["text"] in ("—",)]
    body = [w for w in words if w["text"] != "—" and not w["text"].isdigit()]
    left, right, top, bottom = 28 * MM, A4[0] - 26 * MM, 37 * MM, A4[1] - 35 * MM
    outside = [w for w in body if w["x0"] < left - 1 or w["x1"] > right + 1 or w["y0"] < top - 1 or w["y1"] > bottom + 1]
    assert outside == []
    assert numbers and all(w["y0"] > bottom for w in numbers)  # page numbers sit below the 版心
    text = pdfcheck.text(demo_unit_pdf, tmp_path)
    assert re.search(r"—\s?1\s?—", text) and re.search(r"—\s?2\s?—", text)
    page1 = [w for w in words if w["page"] == 1 and w["text"] == "—"]
    page2 = [w for w in words if w["page"] == 2 and w["text"] == "—"]
    assert min(w["x0"] for w in page1) > A4[0] / 2 > max(w["x1"] for w in page2)  # odd right, even left


def test_title_is_centred_and_body_lines_are_28_characters(demo_unit_pdf, tmp_path):
    words = pdfcheck.words(demo_unit_pdf, tmp_path)
    title = next(w for w in words if w["text"].startswith("2023年人大建议"))
    centre = (title["x0"] + title["x1"]) / 2
    assert abs(centre - (28 * MM + (A4[0] - 26 * MM)) / 2) < 3
    pages = pdfcheck.text(demo_unit_pdf, tmp_path).split("\f")
    appendix = next(i for i, page in enumerate(pages) if "附表" in page)
    prose = [line for page in pages[:appendix] for line in page.splitlines()]
    full = [line for line in prose if len(line) >= 26 and not any(c.isascii() for c in line)]
    assert len(full) > 30 and max(len(line) for line in full) <= 29  # 28 a line (a full stop may hang)
    assert sum(len(line) == 28 for line in full) > len(full) * 0.6
    lines_per_page = [len([line for line in page.splitlines() if line.strip() and "—" not in line])
                      for page in pages[:appendix]]
    assert max(lines_per_page) == 22


def test_user_text_is_escaped_and_fetches_nothing(db, make, tmp_path, frozen_clock):
    frozen_clock(START)
    w = World(make, db)
    w.assigned(title='<img src="file:///etc/passwd"><script>x()</script>关于测试的提案')
    pdf = unit_summary.render({"unit_id": w.lead.id, "year": 2025}, lambda _: None)
    text = pdfcheck.text(pdf, tmp_path).replace("\n", "")
    # the title cell wraps after "etc/"; the case number of the next cell may come between the halves
    assert '<img src="file:///etc/' in text and 'passwd"><script>x()</script>' in text
    assert "root:x:" not in text


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:1/x.png", "https://example.com/a.css",
                                 "file:///work/../etc/hostname"])
def test_fetcher_refuses_everything_but_our_files(url):
    with pytest.raises(RefusedURL):
        RestrictedFetcher().fetch(url)


def test_fetcher_serves_the_stylesheet_and_data_uris():
    from caseflow.reports.render import BASE_URL

    assert b"@page" in RestrictedFetcher().fetch(BASE_URL + "gongwen.css").read()
    assert RestrictedFetcher().fetch("data:text/plain,hi").read() == b"hi"


def test_an_html_image_pointing_outside_is_not_loaded(tmp_path, monkeypatch):
    asked = []
    real = RestrictedFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return real(self, url, headers)

    monkeypatch.setattr(RestrictedFetcher, "fetch", spy)
    pdf = html_to_pdf('<p>a</p><img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">')
    assert asked == ["file:///etc/passwd", "http://127.0.0.1:9/x.png"]
    assert pdf.startswith(b"%PDF")


def test_reply_letter(db, make, tmp_path, frozen_clock):
    frozen_clock(START)
    w = World(make, db)
    case = w.replied()
    reply = db.session.scalar(select(Reply).where(Reply.case_id == case.id))
    pdf = reply_letter_pdf(reply)
    text = pdfcheck.text(pdf, tmp_path).replace("\n", "")
    for fact in ("主办单位", "长测〔2025〕1号", f"签发人：{w['lead_leader'].name}", "提出人委员：", "答复正文：已研究落实。",
                 "联系人：经办人", "联系电话：021-22050000", "2025年3月3日"):
        assert fact in text, fact
    words = pdfcheck.words(pdf, tmp_path)
    mark = next(w for w in words if w["page"] == 1 and w["text"] == "A")
    assert mark["x0"] > A4[0] * 0.75 and mark["y1"] < 45 * MM  # the class mark, top right of page 1


def test_large_report_renders_through_a_job(app, db, make, frozen_clock, monkeypatch, login):
    frozen_clock(START)
    w = World(make, db)
    for n in range(300):
        case = make.case(session=w.session, number=1000 + n)
        db.session.add(Assignment(case=case, unit_id=w.lead.id, role="lead", state="pending",
                                  original_due_date=START, due_date=START))
    db.session.commit()
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    seen = []
    real = jobs.HANDLERS["unit"]
    monkeypatch.setitem(jobs.HANDLERS, "unit", lambda job, progress: real(job, lambda v: (seen.append(v), progress(v))))
    c = login(w["lead_handler"])
    r = c.get(f"/reports/unit/{w.lead.id}/2025.pdf")
    assert r.status_code == 302 and "/jobs/" in r.location
    job = db.session.scalars(select(Job)).one()
    assert (job.state, job.progress) == ("done", 100) and 50 in seen
    page = c.get(r.location).get_data(as_text=True)
    assert "报告已生成" in page and f"/jobs/{job.id}/download" in page
    download = c.get(f"/jobs/{job.id}/download")
    assert download.data.startswith(b"%PDF") and b"%%EOF" in download.data[-1024:]
    download.close()
    assert login(w["other_handler"]).get(f"/jobs/{job.id}").status_code == 404


def test_font_names_are_configurable(app, db, make, tmp_path, frozen_clock, monkeypatch):
    frozen_clock(START)
    w = World(make, db)
    w.assigned()
    render = lambda: unit_summary.render({"unit_id": w.lead.id, "year": 2025}, lambda _: None)  # noqa: E731
    default = {f["name"].split("+")[1] for f in pdfcheck.fonts(render(), tmp_path)}
    assert "Noto-Serif-CJK-SC" in default and "Noto-Sans-CJK-SC" in default  # 仿宋 and 黑体 fall back
    monkeypatch.setitem(app.config, "REPORT_FONT_BODY", '"Noto Sans CJK SC"')
    monkeypatch.setitem(app.config, "REPORT_FONT_TITLE", '"Noto Sans CJK SC"')
    configured = {f["name"].split("+")[1] for f in pdfcheck.fonts(render(), tmp_path)}
    assert configured == {"Noto-Sans-CJK-SC"}
