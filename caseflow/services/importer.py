"""Import of a 交办清单 (.xlsx): every row checked first, then all cases created in one
transaction — one bad row saves nothing. The cases are registered and assigned by
``services.cases_batch``, which writes what the form's services write, a table at a time.

How a sheet is read (header position, merged cells, formulas, blank rows) is in
``caseflow.sheet_reader``; the words accepted in the coded columns in ``caseflow.import_values``."""
from __future__ import annotations

import difflib
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import select

from caseflow import clock
from caseflow.errors import PermissionDenied
from caseflow.extensions import db
from caseflow.import_values import (
    CONSENT, KEY_CASE, KIND, clean_text, lead_and_cosigners, name_key, split_names, word_key)
from caseflow.models import Case, Category, Proposer, Session, Unit, User
from caseflow.models.base import BODY_LABELS
from caseflow.services import cases, cases_batch
from caseflow.services.base import transaction
from caseflow.sheet_reader import CACHED, UNCALCULATED, SheetRefused, read_table
from caseflow.workflow import engine
from caseflow.xlsx import normalize, parse_date

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10000
ImportRefused = SheetRefused  # the file as a whole cannot be imported (not .xlsx, too big, no header, no rows)

# column → accepted header names (compared after header_key); a header cell goes to the first
# column naming it, so with both 分类 and 类别 present, 类别 is the 提案/建议类型 (as in the exports)
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("编号", "提案号", "建议号", "案号", "提案编号", "建议编号", "序号"),
    "title": ("标题", "案由", "题目", "提案标题", "建议标题", "提案名称", "建议名称"),
    "category": ("分类", "类别", "内容分类", "类型"),
    "kind": ("提案/建议类型", "建议/提案类型", "案件类型", "提案类型", "建议类型", "类别", "类型"),
    "lead": ("领衔代表/提案者", "领衔代表", "提案者", "领衔人", "提案人", "第一提案人", "领衔", "提出人"),
    "cosigners": ("联名", "联名人", "附议人", "联名代表", "联名委员", "联名人员"),
    "lead_units": ("主办单位", "承办单位(主办)", "主办", "承办单位", "牵头单位"),
    "co_units": ("会办单位", "承办单位(会办)", "会办", "协办单位", "配合单位"),
    "assigned_on": ("交办日期", "交办时间"),
    "due_date": ("办理期限", "答复期限", "期限"),
    "key_case": ("重点督办", "是否重点督办"),
    "consent": ("公开意愿", "是否同意公开", "公开"),
    "text": ("正文", "内容", "提案内容", "建议内容"),
}
COLUMN_LABELS = {key: variants[0] for key, variants in COLUMNS.items()}
REQUIRED = ("number", "title", "lead", "lead_units")
FORMULA_MISSING = "公式没有计算结果，请在 Excel 中保存后重新导入"


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number, as the clerk sees it
    column: str
    reason: str
    position: int = 0  # the sheet's column (1-based), 0 when unknown


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
    proposer_type: str | None = None  # from 提案/建议类型; a party, group … that leads is registered as such


@dataclass
class ImportResult:
    planned: list[PlannedCase] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)  # created, in the file's order
    new_proposers: list[str] = field(default_factory=list)
    skipped_empty: int = 0
    sheet: str = ""
    header_rows: tuple[int, ...] = ()

    @property
    def created(self) -> int:
        return len(self.case_ids)


Progress = Callable[[int], None]


def read(stream: IO[bytes]) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请拆分后分批导入。", "file")
    return data


def plan(stream: IO[bytes], session: Session, progress: Progress | None = None) -> ImportResult:
    """Check every row; nothing is written. ``errors`` lists every problem of every row."""
    table = read_table(read(stream), COLUMNS, REQUIRED, COLUMN_LABELS, max_rows=MAX_ROWS,
                       blank_unless=("number",))
    result = ImportResult(skipped_empty=table.skipped_blank, sheet=table.sheet, header_rows=table.header_rows)
    units: dict[str, Unit] = {}
    for u in db.session.scalars(select(Unit).where(Unit.active.is_(True))):
        units[name_key(u.name)] = u
        if u.short_name:
            units.setdefault(name_key(u.short_name), u)
    unit_names = sorted({u.name for u in units.values()})
    categories = {name_key(c.name): c for c in db.session.scalars(
        select(Category).where(Category.body == session.body, Category.year == session.year))}
    taken = set(db.session.scalars(select(Case.number).where(Case.session_id == session.id)))
    seen: dict[int, int] = {}

    for i, r in enumerate(table.rows):
        if progress and i % 250 == 0:
            progress(i * 100 // len(table.rows))
        cell = r.values
        errors: list[RowError] = []
        blocked = {key for key, mark in r.formulas.items() if mark != CACHED}

        def err(column: str, reason: str) -> None:
            if column not in blocked:
                errors.append(RowError(r.number, COLUMN_LABELS[column], reason, table.positions[column]))

        for key, mark in r.formulas.items():
            at = (r.number, COLUMN_LABELS[key], table.positions[key])
            if mark == CACHED:
                result.warnings.append(RowError(*at[:2], f"公式单元格，已使用其计算结果“{normalize(cell.get(key))}”",
                                                at[2]))
            elif mark == UNCALCULATED:
                errors.append(RowError(*at[:2], FORMULA_MISSING, at[2]))
            else:
                errors.append(RowError(*at[:2], f"公式计算出错（{cell.get(key)}），请在 Excel 中改正后重新导入", at[2]))

        number = _number(cell.get("number"))
        if number is None:
            err("number", "编号必须是正整数")
        elif number in seen:
            err("number", f"与第{seen[number]}行编号重复")
        elif number in taken:
            err("number", f"{session.name}已有第{number}号")
        else:
            seen[number] = r.number
        title = clean_text(cell.get("title"))
        if not title:
            err("title", "标题为空")
        elif len(title) > 300:
            err("title", "标题超过300字")
        lead, cosigners = lead_and_cosigners(cell.get("lead"), cell.get("cosigners"))
        if not lead:
            err("lead", "领衔代表/提案者为空")
        lead_units = _units(cell.get("lead_units"), units, unit_names, "lead_units", err)
        co_units = _units(cell.get("co_units"), units, unit_names, "co_units", err)
        if not split_names(cell.get("lead_units")):
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
        if name := clean_text(cell.get("category")):
            category = categories.get(name_key(name))
            if category is None:
                err("category", f"未知分类“{name}”" + _suggest(name, [c.name for c in categories.values()]))
        known, kind = KIND.lookup(cell.get("kind"))
        body, proposer_type = kind if known else (None, None)
        if not known:
            err("kind", KIND.unknown(cell.get("kind")))
        elif body and body != session.body:
            err("kind", f"本行为{BODY_LABELS[body]}，所选届次“{session.name}”是{BODY_LABELS[session.body]}")
        known, key_case = KEY_CASE.lookup(cell.get("key_case"))
        if not known:
            err("key_case", KEY_CASE.unknown(cell.get("key_case")))
        known, consent = CONSENT.lookup(cell.get("consent"))
        if not known:
            err("consent", CONSENT.unknown(cell.get("consent")))
        if errors:
            result.errors.extend(errors)
            continue
        result.planned.append(PlannedCase(
            row=r.number, number=number, title=title, lead=lead, cosigners=cosigners,
            lead_units=lead_units, co_units=co_units, assigned_on=assigned_on, due_date=due, category=category,
            key_case=key_case, consent=consent, text=_text(cell.get("text")), proposer_type=proposer_type))
    return result


def _number(value: Any) -> int | None:
    text = word_key(value).removeprefix("第").removesuffix("号")
    return int(text) if text.isdigit() and int(text) > 0 else None


def _date(value: Any, column: str, err) -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        err(column, f"日期“{normalize(value)}”无法识别或不存在（可写 2023-03-01、2023/3/1、2023年3月1日）")
        return None


def _text(value: Any) -> str:
    return str(value).replace("\r\n", "\n").strip() if value is not None else ""


def _units(value: Any, units: dict[str, Unit], names: list[str], column: str, err) -> list[Unit]:
    found: list[Unit] = []
    for name in split_names(value, units):
        unit = units.get(name_key(name))
        if unit is None:
            err(column, f"未知单位“{name}”" + _suggest(name, names))
        elif unit not in found:
            found.append(unit)
    return found


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.4)
    return f"，是否为：{'、'.join(close)}" if close else ""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for the import, back on after it (nothing is lost, the
    cycles made meanwhile are collected then). The import makes hundreds of thousands of objects
    that live until it ends (the sheet's rows, the planned cases, the rows to write), and every
    full collection walks them all: 15–25 % of the CPU of 10,000 rows, measured alternately."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@_collector_paused()
def run(actor: User, stream: IO[bytes], session: Session, *, dry_run: bool = False,
        progress: Progress | None = None) -> ImportResult:
    """Plan, then (unless there is an error or it is a dry run) create every case in one transaction.

    ``progress`` gets 0–99: checking the rows is the first 30, the new proposers the next 7, then
    writing the cases, a step per chunk written (the job's end is 100)."""
    if not engine.page_allowed(actor, "import_cases"):
        raise PermissionDenied("只有督查科可以导入交办清单。")
    share = 100 if dry_run else 30
    result = plan(stream, session, progress and (lambda p: progress(p * share // 100)))
    if result.errors or dry_run:
        return result
    kind = "deputy" if session.body == "npc_suggestion" else "member"
    with transaction():
        proposers = {name_key(p.name): p for p in db.session.scalars(select(Proposer).where(Proposer.kind == kind))}
        for row in result.planned:  # the new proposers first, stored at once: the cases refer to them by id
            for name in dict.fromkeys((row.lead, *row.cosigners)):
                if name_key(name) not in proposers:
                    collective = name == row.lead and row.proposer_type not in (None, "joint")
                    proposers[name_key(name)] = Proposer(name=name, kind=kind,
                                                         type=row.proposer_type if collective else "individual")
                    db.session.add(proposers[name_key(name)])
                    result.new_proposers.append(name)
        db.session.flush()
        written = share + (100 - share) // 10
        if progress:
            progress(written)
        items = []
        for row in result.planned:
            lead_id, *cosigner_ids = dict.fromkeys(proposers[name_key(n)].id for n in (row.lead, *row.cosigners))
            role = "split" if len(row.lead_units) > 1 else "lead"
            reason = "交办清单指定期限" if row.due_date else ""
            units = [cases.UnitAssignment(u.id, role, row.due_date, reason) for u in row.lead_units]
            units += [cases.UnitAssignment(u.id, "co") for u in row.co_units]
            items.append(cases_batch.NewCase(cases.CaseInput(
                body=session.body, session_id=session.id, number=row.number, title=row.title, text=row.text,
                category_id=row.category.id if row.category else None, lead_proposer_id=lead_id,
                cosigner_ids=tuple(cosigner_ids), consent=row.consent, key_case=row.key_case), units, row.assigned_on))
        result.case_ids = cases_batch.register_and_assign(
            actor, items, progress and (lambda done, total: progress(written + (99 - written) * done // total)))
    return result
