"""The district report (全区办理情况报告): every unit's figures, the overdue list, the charts and
the dispatcher's narrative, in the PDF and through its editor."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from caseflow.errors import Conflict, PermissionDenied
from caseflow.models import ReportDraft, Job
from caseflow.reports import district
from caseflow.web import reports as report_pages
from caseflow.services.report_drafts import DistrictNarrative, save_district_draft
from tests.conftest import csrf_token
from tests.reports import pdf as pdfcheck
from tests.service.world import START, World

LATER = START + timedelta(days=120)  # past the 3-month due date of an unanswered case


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    world = World(make, db)
    world.evaluated(title="关于加快老旧小区加装电梯的提案")
    world.assigned(title="关于优化公交线路的提案")
    frozen_clock(LATER)
    return world


def _pdf_text(tmp_path, year=2025) -> str:
    return pdfcheck.text(district.render({"year": year}, lambda _: None), tmp_path).replace("\n", "")


def test_the_pdf_carries_every_units_figures_the_overdue_list_and_the_charts(w, tmp_path):
    text = _pdf_text(tmp_path)
    for fact in ("2025年人大代表建议和政协提案", "办理情况报告", "区人民政府办公室",
                 "全区共交办人大代表建议0件、政协提案2件，由2家单位承办，其中主办（含分办）2件次、会办2件次",
                 "主办件已答复1件，办复率50.0%", "满意率100.0%",
                 "一、总体情况", "二、主要做法", "三、各单位办理情况", "四、超期未办结情况", "五、办理结果与满意度",
                 "六、存在的问题和下一步工作", "表1", "表2", "主办单位", "会办单位", "合计",
                 "关于优化公交线路的提案", "办理结果分类（件）", "征询意见（件）", "2025年按月交办与答复（件）"):
        assert fact in text, fact
    assert "关于加快老旧小区加装电梯的提案" not in text  # answered in time: not in the overdue list
    # case 2 is overdue for both units on 1 July: the co-unit since 3 April (89 days), the lead
    # unit since 3 June (28 days); the longest first
    assert "超期未办结2件次" in text
    layout = pdfcheck.text(district.render({"year": 2025}, lambda _: None), tmp_path, layout=True)
    overdue = [line.split() for line in layout.splitlines() if "2025-0" in line]
    assert [(row[-3], row[-2], row[-1]) for row in overdue] == [("会办", "2025-04-03", "89"),
                                                                 ("主办", "2025-06-03", "28")]
    fonts = pdfcheck.fonts(district.render({"year": 2025}, lambda _: None), tmp_path)
    assert fonts and all(f["emb"] == "yes" for f in fonts) and any("CJK" in f["name"] for f in fonts)


def test_the_tables_show_hand_counted_figures(w, tmp_path):
    """Counted by hand on 1 July: case 1 replied (解决或采纳) on the day of 交办 and evaluated 满意,
    its co-opinion in that day; case 2 unanswered, past both due dates; no contact, nothing public."""
    layout = pdfcheck.text(district.render({"year": 2025}, lambda _: None), tmp_path, layout=True)
    rows = {}
    for line in layout.splitlines():
        cells = line.split()
        if cells and cells[0] in ("主办单位", "会办单位", "合计"):
            rows.setdefault(cells[0], []).append(cells[1:])
    # 表1: 主办 会办 办复率 按期办复率 会办及时率 解决采纳率 平均办理天数 超期
    assert [r[0] for r in (rows["主办单位"], rows["会办单位"], rows["合计"])] == [
        ["2", "0", "50.0%", "50.0%", "—", "100.0%", "0.0", "1"],
        ["0", "2", "—", "—", "50.0%", "—", "—", "1"],
        ["2", "2", "50.0%", "50.0%", "50.0%", "100.0%", "0.0", "2"]]
    # 表2: 满意率 满意率（含基本满意） 初次满意率 不满意 见面率 沟通率 主动公开率 不予公开 回头看转化
    assert [r[1] for r in (rows["主办单位"], rows["会办单位"], rows["合计"])] == [
        ["100.0%", "100.0%", "100.0%", "0", "0.0%", "0.0%", "0.0%", "0", "0"],
        ["—", "—", "—", "0", "—", "—", "—", "0", "0"],
        ["100.0%", "100.0%", "100.0%", "0", "0.0%", "0.0%", "0.0%", "0", "0"]]


def test_narrative_is_saved_escaped_and_printed(w, tmp_path):
    save_district_draft(w["dispatcher"], 2025, DistrictNarrative(
        written_on="2025-12-20", issuer="长宁区人民政府办公室", overview="全年工作有序推进。",
        measures="<script>alert(1)</script>坚持见面沟通。", problems="个别单位答复偏晚。", next_steps="加强督办。"), None)
    text = _pdf_text(tmp_path)
    for fact in ("长宁区人民政府办公室", "2025年12月20日", "全年工作有序推进。", "<script>alert(1)</script>坚持见面沟通。",
                 "个别单位答复偏晚。", "加强督办。"):
        assert fact in text, fact


def test_one_draft_per_year_and_only_the_dispatcher_writes(w, db):
    save_district_draft(w["dispatcher"], 2025, DistrictNarrative(overview="一"), None)
    with pytest.raises(Conflict):  # a second writer who saw no draft does not create another
        save_district_draft(w["admin"], 2025, DistrictNarrative(overview="二"), None)
    with pytest.raises(PermissionDenied):
        save_district_draft(w["supervisor"], 2025, DistrictNarrative(overview="三"), 1)
    drafts = db.session.scalars(select(ReportDraft).where(ReportDraft.kind == "district")).all()
    assert [(d.year, d.sections["overview"]) for d in drafts] == [(2025, "一")]


@pytest.mark.parametrize("who, status", [("dispatcher", 200), ("admin", 200), ("supervisor", 200),
                                         ("lead_handler", 403), ("lead_leader", 403), ("proposer", 403)])
def test_who_may_open_the_district_report(w, login, who, status):
    c = login(w[who])
    for url in ("/reports/district/2025", "/reports/district/2025.pdf"):
        r = c.get(url)
        assert r.status_code == status, (url, r.status_code)
        r.close()


def test_anonymous_is_sent_to_login(w, client):
    assert "/login" in client.get("/reports/district/2025").location


def test_editor_saves_validates_and_refuses_stale_versions(w, login, db):
    c = login(w["dispatcher"])
    page = c.get("/reports/district/2025").get_data(as_text=True)
    assert "全区共交办人大代表建议0件、政协提案2件" in page
    form = {"csrf_token": csrf_token(page), "version": "", "written_on": "2025-13-40", "issuer": "",
            "overview": "概况", "measures": "", "problems": "", "next_steps": ""}
    bad = c.post("/reports/district/2025", data=form)
    assert bad.status_code == 422 and "日期" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReportDraft)) == 0
    ok = c.post("/reports/district/2025", data={**form, "written_on": "2025-12-20"})
    assert ok.status_code == 302
    draft = db.session.scalars(select(ReportDraft)).one()
    assert (draft.sections["overview"], draft.sections["written_on"], draft.version) == ("概况", "2025-12-20", 1)
    typed = "旧页面上写了很久的一段概况"
    stale = c.post("/reports/district/2025", data={**form, "written_on": "", "overview": typed})
    assert stale.status_code == 409
    assert draft.sections["overview"] == "概况"
    shown = stale.get_data(as_text=True)  # the editor again, with what was typed and why it was not saved
    assert re.search(rf'<textarea[^>]*name="overview"[^>]*>\s*{typed}</textarea>', shown)
    assert "该记录已被他人修改" in shown
    read_only = login(w["supervisor"])
    assert read_only.post("/reports/district/2025", data={**form, "csrf_token": csrf_token(
        read_only.get("/reports/district/2025").get_data(as_text=True)), "version": "1"}).status_code == 403


def test_a_large_district_report_renders_through_a_job(app, w, login, db, monkeypatch):
    monkeypatch.setattr(report_pages, "INLINE_LIMIT", 1)
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    c = login(w["dispatcher"])
    r = c.get("/reports/district/2025.pdf")
    assert r.status_code == 302 and "/jobs/" in r.location
    job = db.session.scalars(select(Job)).one()
    assert (job.kind, job.state, job.progress) == ("district", "done", 100)
    download = c.get(f"/jobs/{job.id}/download")
    assert download.data.startswith(b"%PDF")
    download.close()


def test_cli_writes_the_district_pdf(app, w, tmp_path):
    out = tmp_path / "district.pdf"
    result = CliRunner().invoke(app.cli, ["report", "district", "--year", "2025", "-o", str(out)])
    assert result.exit_code == 0 and f"已写入 {out}" in result.output
    assert "超期未办结2件次" in pdfcheck.text(out.read_bytes(), tmp_path).replace("\n", "")

def test_cli_names_the_file_by_year_without_o(app, w, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app.cli, ["report", "district", "--year", "2025"])
    assert result.exit_code == 0 and "已写入 2025年建议提案办理情况报告.pdf" in result.output
    assert (tmp_path / "2025年建议提案办理情况报告.pdf").read_bytes()[:5] == b"%PDF-"
