"""交办清单 import: all rows checked first, all-or-nothing; the cases as the services make them
(that the batch writes what the services write: test_cases_batch.py)."""
from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from caseflow.models import Assignment, Case, Event, Proposer, Reminder
from caseflow.import_template import template_bytes
from caseflow.services import cases_batch, importer
from caseflow.xlsx import safe_cell, workbook_bytes
from tests.service.world import sheet_world

HEADER = ["编号", "标题", "类别", "领衔代表/提案者", "联名", "主办单位", "会办单位", "交办日期", "办理期限", "重点督办",
          "公开意愿", "正文"]


def xlsx(rows, header=HEADER) -> BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


@pytest.fixture
def w(make, db, frozen_clock):
    return sheet_world(make, db, frozen_clock)


def row(n, **kw):
    values = dict(编号=n, 标题=f"关于第{n}件事的提案", 类别="城市建设", 领衔="提出人", 联名="", 主办="主办单位",
                  会办="会办单位", 交办日期="2025-03-03", 办理期限=None, 重点="", 公开="同意公开", 正文="")
    values.update(kw)
    return list(values.values())


def _counts(db):
    return [db.session.scalar(select(func.count()).select_from(m)) for m in (Case, Assignment, Event, Proposer)]


def test_valid_sixty_rows_create_assigned_cases_with_due_dates(w, db):
    rows = [row(n, 联名="张三、李四" if n % 2 else "", 会办="" if n % 3 == 0 else "会办单位",
                重点="是" if n == 5 else "", 交办日期=date(2025, 3, 3) if n % 2 else "2025年3月3日") for n in range(1, 61)]
    result = importer.run(w["dispatcher"], xlsx(rows), w.session)
    assert (result.errors, result.created) == ([], 60)
    assert sorted(result.new_proposers) == ["张三", "李四"]
    cases = db.session.scalars(select(Case).where(Case.session_id == w.session.id).order_by(Case.number)).all()
    assert [c.number for c in cases] == list(range(1, 61))
    assert all(c.state == "assigned" for c in cases) and cases[4].key_case
    assert {w.lead_of(c).due_date for c in cases} == {date(2025, 6, 3)}
    assert [p.name for p in cases[0].proposers] == ["提出人", "张三", "李四"]
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.transition == "assign")) == 60
    assert db.session.scalar(select(func.count()).select_from(Reminder)) > 0
    again = importer.run(w["dispatcher"], xlsx(rows), w.session)  # the same file twice: refused, not doubled
    assert again.created == 0 and len(again.errors) == 60
    assert again.errors[0].reason == f"{w.session.name}已有第1号"


def test_every_bad_row_is_listed_and_nothing_is_saved(w, db):
    before = _counts(db)
    rows = [
        row(1),                                          # row 2: fine
        row(2, 主办="主办单元"),                           # row 3: unknown unit, with a suggestion
        row(1),                                          # row 4: duplicate number in the file
        row(4, 标题=""),                                  # row 5: missing title
        row(5, 交办日期="2025-02-30"),                     # row 6: impossible date
        row(6, 会办="主办单位"),                            # row 7: lead and co at once
        [None] * 12,                                     # row 8: empty, skipped
        row("abc"),                                      # row 9: not a number
        row(9, 公开="随便"),                               # row 10: unknown consent word
        row(10, 交办日期="明天"),                           # row 11: unreadable date
    ]
    result = importer.run(w["dispatcher"], xlsx(rows), w.session)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (3, "主办单位", "未知单位“主办单元”，是否为：主办单位、会办单位"),
        (4, "编号", "与第2行编号重复"),
        (5, "标题", "标题为空"),
        (6, "交办日期", "日期“2025-02-30”无法识别或不存在（可写 2023-03-01、2023/3/1、2023年3月1日）"),
        (7, "会办单位", "“主办单位”同时列为主办和会办"),
        (9, "编号", "编号必须是正整数"),
        (10, "公开意愿", "公开意愿“随便”无法识别，可填：同意公开 / 同意全文公开 / 全文公开 / 公开 / 是 / √；"
                       "仅公开标题 / 部分公开 / 摘要公开；不同意公开 / 不公开 / 否 / ×（留空视为同意全文公开）"),
        (11, "交办日期", "日期“明天”无法识别或不存在（可写 2023-03-01、2023/3/1、2023年3月1日）"),
    ]
    assert result.created == 0 and result.skipped_empty == 1
    assert _counts(db) == before


def test_number_already_in_the_session(w, db):
    w.registered(number=7)
    result = importer.run(w["dispatcher"], xlsx([row(7)]), w.session)
    assert [(e.row, e.reason) for e in result.errors] == [(2, f"{w.session.name}已有第7号")]


def test_header_variants_order_and_full_width(w, db):
    header = ["提案号", " 案由 ", "承办单位（主办）", "提案人", "承办单位(会办)", "交办时间"]
    result = importer.run(w["dispatcher"], xlsx([["１２", "关于全角数字的提案", "主办单位", "提出人", "", 45719]],
                                                header=header), w.session)
    assert result.errors == [] and result.created == 1
    case = db.session.scalars(select(Case).where(Case.number == 12)).one()
    assert w.lead_of(case).assigned_on == date(2025, 3, 3)  # Excel serial 45719


def test_due_date_column_overrides_with_a_recorded_reason(w, db):
    importer.run(w["dispatcher"], xlsx([row(3, 办理期限=datetime(2025, 5, 20))]), w.session)
    case = db.session.scalars(select(Case).where(Case.number == 3)).one()
    assert w.lead_of(case).due_date == date(2025, 5, 20)
    event = db.session.scalars(select(Event).where(Event.case_id == case.id, Event.transition == "assign")).one()
    assert event.payload["units"][0]["due_reason"] == "交办清单指定期限"


def test_dry_run_saves_nothing(w, db):
    before = _counts(db)
    result = importer.run(w["dispatcher"], xlsx([row(1), row(2)]), w.session, dry_run=True)
    assert [p.number for p in result.planned] == [1, 2] and result.created == 0
    assert _counts(db) == before


@pytest.mark.parametrize("data, message", [
    (b"not a spreadsheet at all", "不是有效的 Excel"),
    (b"PK\x03\x04broken zip", "已损坏"),
    (b"PK" + b"0" * (importer.MAX_BYTES + 1), "超过 5 MB"),
])
def test_unreadable_files_are_refused_clearly(w, data, message):
    with pytest.raises(importer.ImportRefused, match=message):
        importer.run(w["dispatcher"], BytesIO(data), w.session)


def test_missing_required_columns(w):
    with pytest.raises(importer.ImportRefused, match="缺少列：领衔代表/提案者、主办单位"):
        importer.run(w["dispatcher"], xlsx([[1, "标题"]], header=["编号", "标题"]), w.session)


def test_row_limit(w, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    with pytest.raises(importer.ImportRefused, match="最多导入 3 行"):
        importer.run(w["dispatcher"], xlsx([row(n) for n in range(1, 5)]), w.session)


def test_a_failure_while_creating_rolls_back_every_row(w, db, monkeypatch):
    before = _counts(db)
    from caseflow import facts
    real, written = facts.refresh, []

    def disk_full_on_the_second_chunk(case_ids):  # a chunk's last step, after its cases, events and reminders
        if written:
            raise RuntimeError("disk full")
        real(case_ids)
        written.append(_counts(db))

    monkeypatch.setattr(cases_batch, "CHUNK", 2)
    monkeypatch.setattr(facts, "refresh", disk_full_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        importer.run(w["dispatcher"], xlsx([row(n, 联名="新人") for n in range(1, 5)]), w.session)
    assert written[0][0] == before[0] + 2  # the first chunk was in the database …
    assert _counts(db) == before  # … and went with the rest


def test_progress_moves_a_step_per_chunk_written(w, db, monkeypatch):
    monkeypatch.setattr(cases_batch, "CHUNK", 10)
    seen = []  # (percent, cases in the database when it was reported)

    def progress(percent):
        seen.append((percent, db.session.scalar(select(func.count()).select_from(Case))))

    result = importer.run(w["dispatcher"], xlsx([row(n) for n in range(1, 41)]), w.session, progress=progress)
    assert result.created == 40
    percents = [p for p, _ in seen]
    assert percents == sorted(percents) and percents[-1] == 99  # the job's end reports 100
    assert [(p, n) for p, n in seen if n] == [(52, 10), (68, 20), (83, 30), (99, 40)]
    assert seen[-5] == (37, 0)  # the rows checked and the new proposers stored, no case yet


def test_only_the_dispatcher_imports(w):
    from caseflow.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        importer.run(w["lead_handler"], xlsx([row(1)]), w.session)


def test_template_has_the_expected_columns():
    ws = load_workbook(BytesIO(template_bytes())).active
    assert [c.value for c in ws[1]] == ["编号", "标题", "分类", "领衔代表/提案者", "联名", "主办单位", "会办单位", "交办日期",
                                       "办理期限", "重点督办", "公开意愿", "正文"]
    assert ws.freeze_panes == "A2"


def test_export_neutralises_formulas_and_keeps_dates():
    data = workbook_bytes("t", ["标题", "日期"], [["=HYPERLINK(\"http://x\")", date(2025, 3, 3)], ["-1+2", None],
                                                  ["@SUM(A1)", None], ["正常标题", None]])
    ws = load_workbook(BytesIO(data)).active
    assert [c.value for c in ws["A"]][1:] == ["'=HYPERLINK(\"http://x\")", "'-1+2", "'@SUM(A1)", "正常标题"]
    assert ws["B2"].is_date and ws["B2"].value.date() == date(2025, 3, 3)
    assert ws.freeze_panes == "A2"
    assert safe_cell(5) == 5


def test_long_titles_future_dates_early_deadlines_and_unknown_categories_are_row_errors(w, db):
    before = _counts(db)
    rows = [
        row(1, 标题="长" * 301),                  # row 2
        row(2, 交办日期="2025-03-04"),             # row 3: the day after today (START, 2025-03-03)
        row(3, 办理期限="2025-03-03"),             # row 4: due on the 交办 day itself
        row(4, 类别="不存在的分类"),                # row 5: nothing like 城市建设, so no suggestion
    ]
    result = importer.run(w["dispatcher"], xlsx(rows), w.session)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "标题", "标题超过300字"),
        (3, "交办日期", "交办日期晚于今天"),
        (4, "办理期限", "办理期限早于交办日期"),
        (5, "分类", "未知分类“不存在的分类”"),
    ]
    assert _counts(db) == before


def test_a_unit_by_its_short_name_and_a_number_saved_as_a_decimal(w, make, db):
    unit = make.unit("区建设和管理委员会", short_name="区建管委")
    result = importer.run(w["dispatcher"], xlsx([row(12.0, 主办="区建管委", 会办="")]), w.session)
    assert (result.errors, result.created) == ([], 1)
    case = db.session.scalars(select(Case).where(Case.number == 12)).one()
    assert [a.unit_id for a in case.assignments] == [unit.id]
