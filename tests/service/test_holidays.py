from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from caseflow.models import Holiday


def test_import_command_keeps_edited_years_unless_replace(app, db):
    runner = CliRunner()
    out = runner.invoke(app.cli, ["holidays", "import", "--year", "2024"]).output
    assert "已导入" in out
    row = db.session.get(Holiday, date(2024, 10, 1))
    assert row.name == "国庆节" and not row.is_workday
    row.name = "国庆节（管理员修改）"
    db.session.commit()
    out = runner.invoke(app.cli, ["holidays", "import", "--year", "2024"]).output
    assert "未覆盖的年份：2024" in out
    assert db.session.get(Holiday, date(2024, 10, 1)).name == "国庆节（管理员修改）"
    runner.invoke(app.cli, ["holidays", "import", "--year", "2024", "--replace"])
    db.session.expire_all()
    assert db.session.get(Holiday, date(2024, 10, 1)).name == "国庆节"


def test_import_of_an_uncovered_year_fails_clearly(app, db):
    result = CliRunner().invoke(app.cli, ["holidays", "import", "--year", "2027"])
    assert result.exit_code != 0 and "2027年节假日数据缺失" in result.output
    assert db.session.query(Holiday).count() == 0


def test_list_command(app, db):
    runner = CliRunner()
    assert "按周一至周五计算" in runner.invoke(app.cli, ["holidays", "list", "--year", "2027"]).output
    runner.invoke(app.cli, ["holidays", "import", "--year", "2023"])
    out = runner.invoke(app.cli, ["holidays", "list", "--year", "2023"]).output
    assert "2023-10-07  上班  国庆节调休" in out
