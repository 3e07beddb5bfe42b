"""The import page, the CLI, and the Excel exports of the case lists."""
from __future__ import annotations

from io import BytesIO

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from caseflow.models import Case
from caseflow.services import disclosure
from tests.conftest import csrf_token
from tests.service.test_importer import row, xlsx
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    world = World(make, db)
    make.category(name="城市建设", year=2025)
    return world


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(BytesIO(response.data)).active


def _post_import(c, w, data, **extra):
    page = c.get("/cases/import").get_data(as_text=True)
    return c.post("/cases/import", content_type="multipart/form-data",
                  data={"csrf_token": csrf_token(page), "session_id": w.session.id, "file": (data, "清单.xlsx"),
                        **extra})


def test_import_page_lists_errors_and_saves_nothing(w, login, db):
    c = login(w["dispatcher"])
    r = _post_import(c, w, xlsx([row(1), row(2, 标题="")]))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "第3行" in html and "标题为空" in html and "未导入任何数据" in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_import_page_dry_run_then_import(w, login, db):
    c = login(w["dispatcher"])
    html = _post_import(c, w, xlsx([row(1), row(2)]), dry_run="y").get_data(as_text=True)
    assert "检查通过：将导入 2 件" in html and db.session.scalar(select(func.count()).select_from(Case)) == 0
    html = _post_import(c, w, xlsx([row(1), row(2)])).get_data(as_text=True)
    assert "已导入 2 件" in html and db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_import_page_refuses_a_non_xlsx_file_next_to_the_field(w, login):
    c = login(w["dispatcher"])
    r = _post_import(c, w, BytesIO(b"%PDF-1.4 not a sheet"))
    assert r.status_code == 422 and "不是有效的 Excel" in r.get_data(as_text=True)


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
