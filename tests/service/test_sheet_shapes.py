"""交办清单 as offices fill them in: title rows, merged and two-row headers, merged data cells,
trailing formatted rows, header-only files, formulas with and without cached results, and the
words of every coded column (caseflow.import_values) in their usual variants."""
from __future__ import annotations

import re
import zipfile
from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from sqlalchemy import func, select

from caseflow.import_template import template_bytes
from caseflow.import_values import clean_text, split_names
from caseflow.models import Case, Proposer
from caseflow.services import importer
from tests.service.test_importer import HEADER, row, xlsx
from tests.service.world import sheet_world


@pytest.fixture
def w(make, db, frozen_clock):
    return sheet_world(make, db, frozen_clock)


def saved(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def with_cached(data: bytes, results: dict[str, object]) -> BytesIO:
    """The workbook as Excel would save it: each listed formula cell with its cached result."""
    src = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = content.decode()
                for ref, value in results.items():
                    kind = ' t="str"' if isinstance(value, str) else ""
                    xml, n = re.subn(rf'<c r="{ref}"([^>]*)>(<f>[^<]*</f>)<v\s*/>',
                                     rf'<c r="{ref}"\1{kind}>\2<v>{value}</v>', xml)
                    assert n == 1, ref
                content = xml.encode()
            dst.writestr(item, content)
    out.seek(0)
    return out


def plan(w, data) -> importer.ImportResult:
    return importer.plan(data if isinstance(data, BytesIO) else BytesIO(data), w.session)


def errors(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.reason) for e in result.errors]


# -- the shape of the sheet -----------------------------------------------------------------------

def test_title_row_and_merged_title_above_the_header(w):
    wb = Workbook()
    ws = wb.active
    ws.append(["2025年区政协提案交办清单"])
    ws.merge_cells("A1:L1")
    ws.append(HEADER)
    ws.append(row(1))
    ws.append(row(2, 标题=""))
    result = plan(w, saved(wb))
    assert [p.number for p in result.planned] == [1]
    assert errors(result) == [(4, "标题", "标题为空")]  # the clerk's row number, under the title and header
    assert result.header_rows[-1] == 2


def test_two_row_header_under_merged_cells(w):
    wb = Workbook()
    ws = wb.active
    ws.append(["交办清单"])
    ws.append(["编号", "案由", "提案人", "承办单位", None, "交办日期"])
    ws.append([None, None, None, "主办", "会办", None])
    for col in "ABCF":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:E2")
    ws.append([7, "关于两行表头的提案", "提出人", "主办单位", "会办单位", "2025-03-03"])
    result = plan(w, saved(wb))
    assert result.errors == []
    [p] = result.planned
    assert (p.row, p.number, [u.name for u in p.lead_units], [u.name for u in p.co_units]) == \
        (4, 7, ["主办单位"], ["会办单位"])


def test_merged_data_cells_apply_to_every_row_they_cover(w):
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "标题", "领衔代表/提案者", "主办单位", "交办日期"])
    ws.append([1, "第一件", "提出人", "主办单位", "2025-03-03"])
    ws.append([2, "第二件", None, None, None])
    ws.append([3, "第三件", None, None, None])
    for col in "CDE":
        ws.merge_cells(f"{col}2:{col}4")
    result = plan(w, saved(wb))
    assert result.errors == []
    assert [(p.number, p.lead, p.lead_units[0].name, p.assigned_on) for p in result.planned] == [
        (n, "提出人", "主办单位", date(2025, 3, 3)) for n in (1, 2, 3)]


def test_trailing_formatted_rows_are_ignored_and_not_counted(w, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 5)
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for n in range(1, 6):
        ws.append(row(n))
    grey, bold = PatternFill("solid", fgColor="DDDDDD"), Font(bold=True)
    for r in range(7, 10001):  # formatted down to row 10,000, as templates often are
        ws.cell(r, 1).fill = grey
        ws.cell(r, 2).font = bold
        ws.cell(r, 11).value = "   "  # a stray space is not content either
    ws.cell(10001, 1).value = 9999  # a pre-numbered row with nothing else is not a data row
    result = plan(w, saved(wb))
    assert (result.errors, [p.number for p in result.planned], result.skipped_empty) == ([], [1, 2, 3, 4, 5], 0)


def test_blank_rows_between_data_rows_are_counted_as_skipped(w):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(row(1))
    ws.append([])
    ws.append([])
    ws.append(row(2))
    ws.append([])
    result = plan(w, saved(wb))
    assert ([p.row for p in result.planned], result.skipped_empty) == ([2, 5], 2)


def test_more_data_rows_than_the_limit_are_refused(w, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    with pytest.raises(importer.ImportRefused, match="最多导入 3 行（本表 4 行）"):
        plan(w, xlsx([row(n) for n in range(1, 5)]))


def test_header_only_file_has_no_data_rows_and_writes_nothing(w, db):
    before = db.session.scalar(select(func.count()).select_from(Case))
    with pytest.raises(importer.ImportRefused, match="没有数据行"):
        importer.run(w["dispatcher"], xlsx([]), w.session)
    assert db.session.scalar(select(func.count()).select_from(Case)) == before


def test_the_data_may_be_on_a_later_sheet(w):
    wb = Workbook()
    wb.active.title = "封面"
    wb.active.append(["2025年交办清单，见第二页"])
    ws = wb.create_sheet("清单")
    ws.append(HEADER)
    ws.append(row(3))
    result = plan(w, saved(wb))
    assert (result.sheet, [p.number for p in result.planned]) == ("清单", [3])


def test_a_header_naming_too_few_columns_says_which_are_missing(w):
    wb = Workbook()
    ws = wb.active
    ws.append(["清单"])
    ws.append(["编号", "标题", "主办单位"])
    with pytest.raises(importer.ImportRefused, match="第2行（表头）缺少列：领衔代表/提案者"):
        plan(w, saved(wb))


# -- formulas -------------------------------------------------------------------------------------

def two_rows(**cells: str) -> bytes:
    """Rows 2 and 3 of a valid list, then ``cells`` (A3="=A2+1") written over them."""
    wb = Workbook()
    ws = wb.active
    for values in (HEADER, row(1), row(2)):
        ws.append(values)
    for ref, value in cells.items():
        ws[ref] = value
    return saved(wb)


def test_formula_with_a_cached_value_is_used_with_a_warning(w):
    data = with_cached(two_rows(A3="=A2+1", B3='="关于"&"公式标题"&"的提案"'), {"A3": 2, "B3": "关于公式标题的提案"})
    result = plan(w, data)
    assert result.errors == []
    assert [(p.number, p.title) for p in result.planned][1] == (2, "关于公式标题的提案")
    assert [(e.row, e.column, e.reason) for e in result.warnings] == [
        (3, "编号", "公式单元格，已使用其计算结果“2”"),
        (3, "标题", "公式单元格，已使用其计算结果“关于公式标题的提案”")]


def test_formula_without_a_cached_value_is_a_row_error(w):
    result = plan(w, two_rows(B3="=Sheet2!B7"))  # openpyxl, like many generators, stores no result
    assert errors(result) == [(3, "标题", "公式没有计算结果，请在 Excel 中保存后重新导入")]  # not also “标题为空”
    assert [p.number for p in result.planned] == [1]


def test_rows_of_uncalculated_formulas_are_not_skipped_as_blank(w):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(row(1))
    ws.append([None, "=Sheet2!B2"])
    result = plan(w, saved(wb))
    assert (3, "标题", importer.FORMULA_MISSING) in errors(result)


# -- words of the coded columns --------------------------------------------------------------------

CONSENT_WORDS = {
    "full": ["同意公开", "同意全文公开", "全文公开", "公开", "是", "√", "", " 同意 全文公开\n", "同意全文公开 "],
    "title_only": ["仅公开标题", "部分公开", "摘要公开", "仅公开\n标题"],
    "none": ["不同意公开", "不公开", "否", "×", "不 公 开"],
}
FLAG_WORDS = {True: ["是", "√", "✓", "1", 1, True, "Y", "ｙｅｓ", " 是 "], False: ["否", "×", "0", 0, False, "", None, "ｎｏ"]}


def _sheet_of(values: list, column: str) -> bytes:
    return xlsx([row(n, **{column: v}) for n, v in enumerate(values, start=1)]).getvalue()


def test_consent_accepts_every_variant_offices_use(w):
    words = [(meaning, word) for meaning, ws in CONSENT_WORDS.items() for word in ws]
    result = plan(w, _sheet_of([word for _, word in words], "公开"))
    assert result.errors == []
    assert [p.consent for p in result.planned] == [meaning for meaning, _ in words]


def test_key_case_accepts_flags_in_every_form(w):
    words = [(meaning, word) for meaning, ws in FLAG_WORDS.items() for word in ws]
    result = plan(w, _sheet_of([word for _, word in words], "重点"))
    assert result.errors == []
    assert [p.key_case for p in result.planned] == [meaning for meaning, _ in words]


def test_an_unknown_flag_names_the_accepted_words(w):
    result = plan(w, _sheet_of(["也许"], "重点"))
    assert errors(result) == [(2, "重点督办", "重点督办“也许”无法识别，可填：是 / √ / ✓ / ✔ / ☑；否 / × / ✗ / ✘ / ✕（留空视为否）")]


def test_kind_column_checks_the_body_and_sets_a_new_lead_proposers_type(w, db):
    header = [*HEADER, "提案/建议类型"]
    rows = [row(1, 领衔="民盟区委") + ["党派提案"], row(2, 领衔="新委员", 联名="另一位委员") + ["联名提案"], row(3) + [" 提案 "],
            row(4) + [""], row(5) + ["人大代表建议"], row(6) + ["随便"]]
    result = importer.run(w["dispatcher"], xlsx(rows, header=header), w.session, dry_run=True)
    assert [(e.row, e.reason) for e in result.errors] == [
        (6, f"本行为人大代表建议，所选届次“{w.session.name}”是政协提案"),
        (7, "提案/建议类型“随便”无法识别，可填：人大代表建议 / 政协提案，或提出方式 个人 / 联名 / 党派 / 团体 / 界别 / "
            "委员小组 / 专委会（可加“提案”“建议”，如 党派提案）（留空视为所选届次的类型）")]
    result = importer.run(w["dispatcher"], xlsx(rows[:4], header=header), w.session)
    assert result.created == 4
    types = dict(db.session.execute(select(Proposer.name, Proposer.type).where(
        Proposer.name.in_(["民盟区委", "新委员", "另一位委员"]))).all())
    assert types == {"民盟区委": "party", "新委员": "individual", "另一位委员": "individual"}  # people lead 联名提案


def test_body_and_category_headers_as_the_case_list_exports_them(w):
    """类别 is the body when 分类 is there too (the UI's words); alone it is the category (old templates)."""
    header = ["编号", "标题", "类别", "分类", "领衔", "主办单位"]
    result = plan(w, xlsx([[1, "关于分类的提案", "政协提案", "城市建设", "提出人", "主办单位"]], header=header))
    assert result.errors == [] and result.planned[0].category.name == "城市建设"


def test_unit_and_name_lists_in_every_separator_and_width(w):
    rows = [row(1, 会办="会办单位\n无关单位", 联名="张三 李四、王　伟；赵六\n钱七"),
            row(2, 主办="主办单位 ", 会办="会办单位，无关单位", 联名="Ａｌｉｃｅ, 孙八/周九"),
            row(3, 主办="主 办 单 位", 会办=" 会办单位 ； 无关单位 ")]
    result = plan(w, xlsx(rows))
    assert result.errors == []
    assert [[u.name for u in p.co_units] for p in result.planned] == [["会办单位", "无关单位"]] * 3
    assert [p.lead_units[0].name for p in result.planned] == ["主办单位"] * 3
    assert result.planned[0].cosigners == ["张三", "李四", "王伟", "赵六", "钱七"]
    assert result.planned[1].cosigners == ["Ａｌｉｃｅ", "孙八", "周九"]


def test_lead_cell_with_several_names_and_a_headcount(w):
    result = plan(w, xlsx([row(1, 领衔="提出人、张三等5人", 联名="李四、张三")]))
    [p] = result.planned
    assert (p.lead, p.cosigners) == ("提出人", ["张三", "李四"])


def test_titles_keep_their_punctuation_and_lose_stray_spaces(w):
    result = plan(w, xlsx([row(1, 标题=" 关于加强（试点）\n工作的建议，Smart  City 项目 ")]))
    assert result.planned[0].title == "关于加强（试点）工作的建议，Smart City 项目"


def test_helpers_on_their_own():
    assert split_names("王　伟、欧阳 娜娜") == ["王伟", "欧阳", "娜娜"]
    assert split_names("欧阳 娜娜", {"欧阳娜娜": 1}) == ["欧阳娜娜"]
    assert clean_text(None) == "" and clean_text("A  B\n\nC") == "A B C"


def test_the_template_lists_every_accepted_word_and_header_name():
    wb = load_workbook(BytesIO(template_bytes()))
    assert wb.sheetnames == ["交办清单", "填写说明"]
    notes = {r[0]: r for r in wb["填写说明"].iter_rows(min_row=2, values_only=True) if r[0]}
    for word in ("同意全文公开", "摘要公开", "部分公开", "不公开", "×", "√"):
        assert word in notes["公开意愿"][2]
    for word in ("是", "否", "✓", "1", "0"):
        assert word in notes["重点督办"][2]
    assert "党派提案" in notes["提案/建议类型"][2] and "政协提案" in notes["提案/建议类型"][2]
    assert "承办单位(主办)" in notes["主办单位"][3] and notes["编号"][1] == "必填" and notes["正文"][1] == "选填"


def test_a_sheet_without_anything_like_a_header_is_refused_naming_the_needed_columns(w):
    with pytest.raises(importer.ImportRefused, match="没有找到表头：需要 编号、标题、领衔代表/提案者、主办单位 等列"):
        plan(w, xlsx([["甲", "乙"]], header=["序", "名"]))


def test_far_more_filled_rows_than_the_limit_stop_the_reading_early(w, monkeypatch):
    # the reader stops after twice the limit plus the ten rows searched for the header: 2 × 3 + 10
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    with pytest.raises(importer.ImportRefused, match="工作表“Sheet”的行数过多"):
        plan(w, xlsx([row(n) for n in range(1, 17)]))
