"""The import page, the CLI, and the Excel exports of the case lists."""
from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from caseflow.models import Case, Category, Job
from caseflow.services import disclosure, importer
from tests.conftest import csrf_token
from tests.service.test_importer import row, xlsx
from tests.service.world import sheet_world


@pytest.fixture
def w(make, db, frozen_clock):
    return sheet_world(make, db, frozen_clock)


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(BytesIO(response.data)).active


def _post_import(c, w, data, **extra):
    page = c.get("/cases/import").get_data(as_text=True)
    return c.post("/cases/import", content_type="multipart/form-data",
                  data={"csrf_token": csrf_token(page), "session_id": w.session.id, "file": (data, "清单.xlsx"),
                        **extra})


def test_import_page_lists_errors_and_saves_nothing(app, w, login, db, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    c = login(w["dispatcher"])
    r = _post_import(c, w, xlsx([row(1), row(2, 标题="")]))
    assert r.status_code == 302 and "/jobs/" in r.location
    html = c.get(r.location).get_data(as_text=True)
    assert "第3行" in html and "标题为空" in html and "未导入任何数据" in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_import_page_dry_run_then_import(app, w, login, db, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    c = login(w["dispatcher"])
    html = c.get(_post_import(c, w, xlsx([row(1), row(2)]), dry_run="y").location).get_data(as_text=True)
    assert "检查通过：将导入 2 件" in html and db.session.scalar(select(func.count()).select_from(Case)) == 0
    html = c.get(_post_import(c, w, xlsx([row(1), row(2)])).location).get_data(as_text=True)
    assert "已导入 2 件" in html and db.session.scalar(select(func.count()).select_from(Case)) == 2
    page = c.get("/cases/import").get_data(as_text=True)  # the recent imports, newest first
    assert page.index("已导入 2 件") < page.index("检查通过：2 件")


def test_import_page_refuses_a_non_xlsx_file_next_to_the_field(w, login, db):
    c = login(w["dispatcher"])
    r = _post_import(c, w, BytesIO(b"%PDF-1.4 not a sheet"))
    assert r.status_code == 422 and "不是有效的 Excel" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0  # refused before any job


def test_import_page_and_template_are_for_the_dispatcher(w, login, client):
    assert login(w["lead_handler"]).get("/cases/import").status_code == 403
    assert client.get("/cases/import/template.xlsx").status_code == 302
    ws = _sheet(login(w["dispatcher"]).get("/cases/import/template.xlsx"))
    assert ws["A1"].value == "编号" and ws["F1"].value == "主办单位"


def test_cli_import(app, w, db, tmp_path):
    path = tmp_path / "清单.xlsx"
    path.write_bytes(xlsx([row(1), row(1)]).getvalue())
    runner = CliRunner()
    args = ["import", "cases", str(path), "--session", str(w.session.id), "--as", w["dispatcher"].username]
    result = runner.invoke(app.cli, args)
    assert result.exit_code != 0 and "第3行 [编号] 与第2行编号重复" in result.output
    path.write_bytes(xlsx([row(1), row(2)]).getvalue())
    assert "检查通过：将导入 2 件" in runner.invoke(app.cli, [*args, "--dry-run"]).output
    assert "已导入 2 件" in runner.invoke(app.cli, args).output
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    path.write_bytes(xlsx([]).getvalue())  # a header and nothing else
    header_only = runner.invoke(app.cli, args)
    assert header_only.exit_code != 0 and "没有数据行" in header_only.output


def test_case_list_export_follows_filters_and_visibility(w, login):
    mine = w.assigned(title="=cmd|' /C calc'!A0")
    w.assigned(title="关于另一件事的提案", key_case=True)
    foreign = w.make.case(session=w.session, title="别人的案件")
    ws = _sheet(login(w["dispatcher"]).get("/cases/export.xlsx?key_case=y"))
    assert [c.value for c in ws["D"]][1:] == ["关于另一件事的提案"]
    ws = _sheet(login(w["lead_handler"]).get("/cases/export.xlsx"))
    titles = [c.value for c in ws["D"]][1:]
    assert "'=cmd|' /C calc'!A0" in titles and foreign.title not in titles and len(titles) == 2
    assert ws.freeze_panes == "A2" and ws["J2"].is_date
    assert mine.number in [c.value for c in ws["C"]]


def test_inbox_and_public_exports(w, login, client):
    case = w.evaluated()
    d = w.disclosure_of(case)
    w.assigned(title="还在办理的提案")
    ws = _sheet(login(w["lead_handler"]).get("/cases/inbox/export.xlsx"))
    assert [c.value for c in ws["E"]][1:] == ["还在办理的提案"]
    assert _sheet(client.get("/public/export.xlsx")).max_row == 1  # nothing published yet: header only
    disclosure.publish(w["dispatcher"], d.id, d.version, "full", "答复正文：已研究落实。")
    ws = _sheet(client.get("/public/export.xlsx"))
    assert [c.value for c in ws["D"]][1:] == [case.title]


def test_an_exported_case_list_imports_again_as_the_same_cases(w, login, db, make):
    from caseflow.services import cases

    d = w["dispatcher"]
    category = db.session.scalars(select(Category).where(Category.name == "城市建设")).one()
    zhang, li = make.proposer("张三"), make.proposer("李 四")
    first = cases.register_case(d, cases.CaseInput(
        body=w.body, session_id=w.session.id, number=1, title="关于加强（试点）工作的建议，Smart City 项目",
        text="第一段。\n第二段：=SUM 不是公式", category_id=category.id, lead_proposer_id=w.proposer_row.id,
        cosigner_ids=(li.id, zhang.id), consent="title_only", key_case=True))
    cases.assign(d, first.id, first.version, [cases.UnitAssignment(w.lead.id, "lead"),
                                              cases.UnitAssignment(w.co.id, "co")], assigned_on=date(2025, 2, 27))
    split = cases.register_case(d, cases.CaseInput(
        body=w.body, session_id=w.session.id, number=2, title="关于分办的提案", lead_proposer_id=zhang.id, consent="none"))
    cases.assign(d, split.id, split.version, [cases.UnitAssignment(w.lead.id, "split", date(2025, 5, 20), "清单指定"),
                                              cases.UnitAssignment(w.other.id, "split", date(2025, 5, 20), "清单指定")])
    w.assigned(number=3, title="关于第三件的提案")

    r = login(d).get(f"/cases/export.xlsx?session_id={w.session.id}")
    assert r.status_code == 200
    empty = make.session(body=w.body, year=2025)
    result = importer.run(d, BytesIO(r.data), empty)
    assert (result.errors, result.created) == ([], 3)

    def same(session):
        rows = db.session.scalars(select(Case).where(Case.session_id == session.id).order_by(Case.number)).all()
        return [(c.number, c.title, c.text, c.category_id, c.lead_proposer_id, [x.proposer_id for x in c.cosigners],
                 c.consent, c.key_case, c.state,
                 sorted((a.unit_id, a.role, a.state, a.due_date, a.assigned_on) for a in c.assignments)) for c in rows]

    original, again = same(w.session), same(empty)
    assert again == original
    assert [c[6] for c in original] == ["title_only", "none", "full"] and original[0][5] == [li.id, zhang.id]
    assert original[1][9][0][3] == date(2025, 5, 20) and original[0][9][0][4] == date(2025, 2, 27)
