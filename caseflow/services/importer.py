"""Import of a 交办清单 (.xlsx): every row checked first, then all cases created in one
transaction through the same services as the UI — one bad row saves nothing."""
from __future__ import annotations

import difflib
import re
from io import BytesIO
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select

from caseflow import clock
from caseflow.errors import PermissionDenied, ServiceError
from caseflow.extensions import db
from caseflow.models import Case, Category, Proposer, Session, Unit, User
from caseflow.services import cases
from caseflow.services.base import transaction
from caseflow.workflow import engine
from caseflow.xlsx import header_key, normalize, parse_date, workbook_bytes

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10000
SEPARATORS = re.compile(r"[、，,；;]+")

# column → accepted header variants (compared after header_key normalisation)
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("编号", "提案号", "建议号", "案号", "序号"),
    "title": ("标题", "案由", "题目", "提案标题", "建议标题"),
    "category": ("类别", "分类", "类型"),
    "lead": ("领衔代表/提案者", "领衔代表", "提案者", "领衔人", "提案人", "第一提案人", "领衔"),
    "cosigners": ("联名", "联名人", "附议人", "联名代表", "联名委员"),
    "lead_units": ("主办单位", "承办单位(主办)", "主办", "承办单位"),
    "co_units": ("会办单位", "承办单位(会办)", "会办", "协办单位"),
    "assigned_on": ("交办日期", "交办时间"),
    "due_date": ("办理期限", "答复期限", "期限"),
    "key_case": ("重点督办", "是否重点督办"),
    "consent": ("公开意愿", "是否同意公开", "公开"),
    "text": ("正文", "内容", "提案内容", "建议内容"),
}
COLUMN_LABELS = {key: variants[0] for key, variants in COLUMNS.items()}
REQUIRED = ("number", "title", "lead", "lead_units")
YES = {"是", "y", "yes", "1", "√", "true", "重点"}
CONSENT_WORDS = {"": "full", "同意": "full", "同意公开": "full", "全文": "full", "全文公开": "full", "是": "full",
                 "仅标题": "title_only", "仅公开标题": "title_only", "标题": "title_only",
                 "不同意": "none", "不同意公开": "none", "不公开": "none", "否": "none"}


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number, as the clerk sees it
    column: str
    reason: str


@dataclass
class PlannedCase:
    row: int
    number: int
    title: str
    lead: str
    cosigners: list[str]
    lead_units: list[Unit]
    co_units: list[Unit]
    assigned_on: date
    due_date: date | None
    category: Category | None
    key_case: bool
    consent: str
    text: str


@dataclass
class ImportResult:
    planned: list[PlannedCase] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    new_proposers: list[str] = field(default_factory=list)
    skipped_empty: int = 0


class ImportRefused(ServiceError):
    """The file as a whole cannot be read (not .xlsx, too big, no header)."""


def read_rows(stream: IO[bytes]) -> tuple[dict[str, int], list[tuple[int, tuple[Any, ...]]]]:
    """The column positions and the data rows (with their row numbers) of the first sheet."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后分批导入。", "file")
    if not data.startswith(b"PK"):
        raise ImportRefused("不是有效的 Excel（.xlsx）文件，请用模板另存为 .xlsx 后再导入。", "file")
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as e:
        raise ImportRefused("文件已损坏或不是 Excel（.xlsx）文件。", "file") from e
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None) or ()
        positions = _match_header(header)
        body = []
        for number, values in enumerate(rows, start=2):
            if len(body) >= MAX_ROWS:
                raise ImportRefused(f"一次最多导入 {MAX_ROWS} 行，请拆分后分批导入。", "file")
            body.append((number, tuple(values)))
        return positions, body
    finally:
        wb.close()


def _match_header(header: tuple[Any, ...]) -> dict[str, int]:
    keys = {header_key(h): i for i, h in enumerate(header) if h is not None}
    positions = {}
    for column, variants in COLUMNS.items():
        for variant in variants:
            if header_key(variant) in keys:
                positions[column] = keys[header_key(variant)]
                break
    missing = [COLUMN_LABELS[c] for c in REQUIRED if c not in positions]
    if missing:
        raise ImportRefused(f"第1行（表头）缺少列：{'、'.join(missing)}。请使用导入模板。", "file")
    return positions


def plan(stream: IO[bytes], session: Session) -> ImportResult:
    """Check every row; nothing is written. ``errors`` lists every problem of every row."""
    positions, rows = read_rows(stream)
    result = ImportResult()
    units = {u.name: u for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)))}
    unit_names = list(units)
    for u in list(units.values()):
        if u.short_name:
            units.setdefault(u.short_name, u)
    categories = {c.name: c for c in db.session.scalars(
        select(Category).where(Category.body == session.body, Category.year == session.year))}
    taken = set(db.session.scalars(select(Case.number).where(Case.session_id == session.id)))
    seen: dict[int, int] = {}

    for row_number, values in rows:
        cell = {c: values[i] if i < len(values) else None for c, i in positions.items()}
        if all(normalize(v) == "" for v in values):
            result.skipped_empty += 1
            continue
        errors: list[RowError] = []

        def err(column: str, reason: str) -> None:
            errors.append(RowError(row_number, COLUMN_LABELS[column], reason))

        number = _number(cell.get("number"))
        if number is None:
            err("number", "编号必须是正整数")
        elif number in seen:
            err("number", f"与第{seen[number]}行编号重复")
        elif number in taken:
            err("number", f"{session.name}已有第{number}号")
        else:
            seen[number] = row_number
        title = normalize(cell.get("title"))
        if not title:
            err("title", "标题为空")
        elif len(title) > 300:
            err("title", "标题超过300字")
        lead = normalize(cell.get("lead"))
        if not lead:
            err("lead", "领衔代表/提案者为空")
        lead_units = _units(cell.get("lead_units"), units, unit_names, "lead_units", err)
        co_units = _units(cell.get("co_units"), units, unit_names, "co_units", err)
        if "lead_units" in positions and not normalize(cell.get("lead_units")):
            err("lead_units", "主办单位为空")
        for u in {u.id for u in lead_units} & {u.id for u in co_units}:
            err("co_units", f"“{next(x.name for x in lead_units if x.id == u)}”同时列为主办和会办")
        assigned_on = _date(cell.get("assigned_on"), "assigned_on", err) if normalize(cell.get("assigned_on")) \
            else clock.today()
        if assigned_on and assigned_on > clock.today():
            err("assigned_on", "交办日期晚于今天")
        due = _date(cell.get("due_date"), "due_date", err) if normalize(cell.get("due_date")) else None
        if due and assigned_on and due <= assigned_on:
            err("due_date", "办理期限早于交办日期")
        category = None
        if name := normalize(cell.get("category")):
            category = categories.get(name)
            if category is None:
                err("category", f"未知分类“{name}”" + _suggest(name, list(categories)))
        consent = CONSENT_WORDS.get(normalize(cell.get("consent")).replace(" ", ""))
        if consent is None:
            err("consent", "公开意愿只能填 同意公开 / 仅公开标题 / 不同意公开")
        if errors:
            result.errors.extend(errors)
            continue
        result.planned.append(PlannedCase(
            row=row_number, number=number, title=title, lead=lead,
            cosigners=[n for n in SEPARATORS.split(normalize(cell.get("cosigners"))) if n and n != lead],
            lead_units=lead_units, co_units=co_units, assigned_on=assigned_on, due_date=due, category=category,
            key_case=normalize(cell.get("key_case")).lower() in YES, consent=consent,
            text=normalize(cell.get("text"))))
    return result


def _number(value: Any) -> int | None:
    text = normalize(value).removeprefix("第").removesuffix("号")
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return int(text) if text.isdigit() and int(text) > 0 else None


def _date(value: Any, column: str, err) -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        err(column, f"日期“{normalize(value)}”无法识别或不存在（可写 2023-03-01、2023/3/1、2023年3月1日）")
        return None


def _units(value: Any, units: dict[str, Unit], names: list[str], column: str, err) -> list[Unit]:
    found: list[Unit] = []
    for name in SEPARATORS.split(normalize(value)):
        if not name:
            continue
        unit = units.get(name)
        if unit is None:
            err(column, f"未知单位“{name}”" + _suggest(name, names))
        elif unit not in found:
            found.append(unit)
    return found


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.4)
    return f"，是否为：{'、'.join(close)}" if close else ""


def run(actor: User, stream: IO[bytes], session: Session, *, dry_run: bool = False) -> ImportResult:
    """Plan, then (unless there is an error or it is a dry run) create every case in one transaction."""
    if not engine.page_allowed(actor, "import_cases"):
        raise PermissionDenied("只有督查科可以导入交办清单。")
    result = plan(stream, session)
    if result.errors or dry_run:
        return result
    kind = "deputy" if session.body == "npc_suggestion" else "member"
    with transaction():
        proposers = {p.name: p for p in db.session.scalars(select(Proposer))}
        for row in result.planned:
            new = [name for name in dict.fromkeys((row.lead, *row.cosigners)) if name not in proposers]
            for name in new:
                proposers[name] = Proposer(name=name, kind=kind)
                db.session.add(proposers[name])
                result.new_proposers.append(name)
            if new:
                db.session.flush()  # the case refers to them by id
            case = cases.register_case(actor, cases.CaseInput(
                body=session.body, session_id=session.id, number=row.number, title=row.title, text=row.text,
                category_id=row.category.id if row.category else None, lead_proposer_id=proposers[row.lead].id,
                cosigner_ids=tuple(dict.fromkeys(proposers[n].id for n in row.cosigners)), consent=row.consent,
                key_case=row.key_case))
            role = "split" if len(row.lead_units) > 1 else "lead"
            reason = "交办清单指定期限" if row.due_date else ""
            units = [cases.UnitAssignment(u.id, role, row.due_date, reason) for u in row.lead_units]
            units += [cases.UnitAssignment(u.id, "co") for u in row.co_units]
            cases.assign_case(actor, case, units, assigned_on=row.assigned_on)
            result.created += 1
    return result


TEMPLATE_HEADERS = [COLUMN_LABELS[c] for c in COLUMNS]
TEMPLATE_EXAMPLE = [10, "关于依托多元主体，深化区域“15分钟社区美好生活圈”工作的建议", "城市建设", "杨帆", "张明华、徐建国",
                    "区地区工作办公室", "区建设和管理委员会、新华路街道", date(2023, 3, 10), None, "否", "同意公开",
                    "（正文，可留空）"]


def template_bytes() -> bytes:
    """The downloadable template: the expected columns and one example row."""
    return workbook_bytes("交办清单", TEMPLATE_HEADERS, [TEMPLATE_EXAMPLE],
                          widths=[8, 50, 12, 14, 20, 24, 30, 12, 12, 10, 12, 40])
