"""The downloadable 交办清单 template: the columns with one example row, and a 填写说明 sheet
that lists every column's other header names and every word the coded columns accept (read
from the importer's own tables, so the two cannot disagree)."""
from __future__ import annotations

from datetime import date

from caseflow.i18n import in_chinese
from caseflow.import_values import VOCABULARIES, Vocabulary
from caseflow.services.importer import COLUMN_LABELS, COLUMNS, MAX_BYTES, MAX_ROWS, REQUIRED
from caseflow.xlsx import SheetData, workbook_of

TEMPLATE_COLUMNS = ("number", "title", "category", "lead", "cosigners", "lead_units", "co_units", "assigned_on",
                    "due_date", "key_case", "consent", "text")
TEMPLATE_HEADERS = [COLUMN_LABELS[c] for c in TEMPLATE_COLUMNS]
TEMPLATE_EXAMPLE = [10, "关于依托多元主体，深化区域“15分钟社区美好生活圈”工作的建议", "城市建设", "杨帆", "张明华、徐建国",
                    "区地区工作办公室", "区建设和管理委员会、新华路街道", date(2023, 3, 10), None, "否", "同意公开",
                    "（正文，可留空）"]
LISTS = "多个时用 、，,；; / 或换行分隔（姓名之间也可用空格）"
NOTES = {
    "number": "正整数，本届次内不能重复；可写 10、第10号 或全角数字",
    "title": "不超过300字；多余的空格和换行会去掉",
    "category": "本届次年度的分类名称（系统管理 → 分类中设置）",
    "lead": "一位代表/委员或党派、团体的名称；写了多位时第一位为领衔、其余为联名，“等5人”不计入",
    "cosigners": f"联名的代表/委员，{LISTS}；系统中没有的姓名会自动登记",
    "lead_units": f"承办单位全称或简称；{LISTS}（多个主办单位即为分办）",
    "co_units": f"承办单位全称或简称；{LISTS}",
    "assigned_on": "2023-03-01、2023/3/1、2023年3月1日 或 Excel 日期；留空为导入当天",
    "due_date": "留空时按规则计算（答复：交办后3个月）；填写时作为本件的指定期限",
    "text": "可留空；保留换行",
}
GENERAL = [
    "表头按名称识别，列的顺序不限；表头上方可以有标题行，表头可以是两行（如“承办单位”合并在“主办 | 会办”之上）。",
    "合并单元格的内容适用于它覆盖的每一行；空行和只有格式的行会被忽略。",
    "公式单元格使用 Excel 保存时的计算结果（导入时提示）；没有计算结果的公式请在 Excel 中保存后再导入。",
    f"一次最多 {MAX_ROWS} 行、{MAX_BYTES // 1024 // 1024} MB。任何一行有错误时整个文件都不导入，并列出每一处错误。",
]


def _words(vocabulary: Vocabulary) -> str:
    lines = [f"{m.label}：{'、'.join(m.words)}" for m in vocabulary.meanings]
    return "\n".join([*lines, vocabulary.empty_label])


def instructions() -> list[list[str]]:
    """The 填写说明 rows: column, required or not, what to write, other header names."""
    rows = [[COLUMN_LABELS[key], "必填" if key in REQUIRED else "选填",
             _words(VOCABULARIES[key]) if key in VOCABULARIES else NOTES[key],
             "、".join(variants[1:])] for key, variants in COLUMNS.items()]
    return rows + [["", "", ""]] + [["说明", "", text, ""] for text in GENERAL]


@in_chinese
def template_bytes() -> bytes:
    return workbook_of([
        SheetData("交办清单", TEMPLATE_HEADERS, [TEMPLATE_EXAMPLE], (8, 50, 12, 14, 20, 24, 30, 12, 12, 10, 12, 40)),
        SheetData("填写说明", ["列", "是否必填", "填写内容", "表头也可写作"], instructions(), (14, 10, 70, 40),
                  wrap=True),
    ])
