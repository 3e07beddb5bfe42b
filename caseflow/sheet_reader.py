"""Reading a table out of an .xlsx as offices send it.

The header is looked for in the first rows of each sheet (a title row above it is common), may
span two rows under merged cells (“承办单位” over “主办 | 会办”), and each header cell is claimed
by the first column that names it. Merged cells give their value to every cell they cover.
Formula cells bring their cached result and a mark, so that the importer can warn about them or,
without a result, refuse them. Blank rows (merely formatted ones too) are dropped; trailing ones
are not counted at all.

openpyxl's read-only worksheet hides both formulas and merged ranges when it reads cached
values, so the sheet XML goes through a subclass of its streaming ``WorkSheetParser`` (openpyxl
is pinned in requirements.txt; ``tests/service/test_sheet_reader.py`` covers what is used).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from caseflow.errors import ServiceError
from caseflow.xlsx import header_key

HEADER_SCAN = 10  # rows with content searched for the header, per sheet
CACHED, UNCALCULATED, ERROR = "cached", "uncalculated", "error"


class SheetRefused(ServiceError):
    """The file as a whole cannot be used (not .xlsx, no header, no rows, too many rows)."""


@dataclass
class SheetRow:
    number: int  # as the clerk sees it in Excel
    values: dict[str, Any]  # column key → cell value (merged cells filled); absent when empty
    formulas: dict[str, str] = field(default_factory=dict)  # column key → CACHED / UNCALCULATED / ERROR


@dataclass
class Table:
    sheet: str
    header_rows: tuple[int, ...]
    positions: dict[str, int]  # column key → 1-based column index
    rows: list[SheetRow]
    skipped_blank: int  # blank rows between the header and the last data row


class _Parser(WorkSheetParser):
    """openpyxl's parser with cached values (data_only) that also marks formula and error cells."""

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if element.find(FORMULA_TAG) is not None:
            cached = element.find(VALUE_TAG)
            has_value = cached is not None and (bool(cached.text) or element.get("t") == "str")
            cell["mark"] = (ERROR if cell["data_type"] == "e" else CACHED) if has_value else UNCALCULATED
        elif cell["data_type"] == "e":
            cell["mark"] = ERROR
        return cell

    def parse_extensions(self, element):
        """Data-validation lists and the like: not needed, and openpyxl would warn about each."""

    def parse_formatting(self, element):
        """Conditional formats: not needed."""


@dataclass
class _RawRow:
    number: int
    values: dict[int, Any]
    marks: dict[int, str]


def check_signature(data: bytes) -> None:
    """Refuse at once what is not even a zip file (an .xls, a PDF, a CSV)."""
    if not data.startswith(b"PK"):
        raise SheetRefused("不是有效的 Excel（.xlsx）文件，请用模板另存为 .xlsx 后再导入。", "file")


def read_table(data: bytes, columns: Mapping[str, Sequence[str]], required: Sequence[str],
               labels: Mapping[str, str], *, max_rows: int, blank_unless: Sequence[str] = ()) -> Table:
    """The first sheet with a header naming every ``required`` column, its data rows checked
    against ``max_rows``. ``columns`` maps a key to its accepted header names, in claiming order.
    A row is data when a column other than those in ``blank_unless`` (e.g. a pre-numbered 编号)
    holds a value or an uncalculated formula."""
    check_signature(data)
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as e:
        raise SheetRefused("文件已损坏或不是 Excel（.xlsx）文件。", "file") from e
    nearest: tuple[int, str, int, list[str]] = (0, "", 0, [])  # matched, sheet, row, missing
    try:
        for ws in wb.worksheets:
            raw = _raw_rows(wb, ws, limit=2 * max_rows + HEADER_SCAN)
            found = None  # the header that names most columns; the first of equals
            for i, candidate in enumerate(raw[:HEADER_SCAN]):
                header_rows, names = _header_at(raw, i)
                positions = _claim(columns, names)
                missing = [labels[c] for c in required if c not in positions]
                if not missing and (found is None or len(positions) > len(found[1])):
                    found = (header_rows, positions)
                elif missing and len(positions) > nearest[0]:
                    nearest = (len(positions), ws.title, candidate.number, missing)
            if found:
                return _table(ws.title, raw, *found, max_rows, blank_unless)
    finally:
        wb.close()
    if not nearest[0]:
        raise SheetRefused(f"没有找到表头：需要 {'、'.join(labels[c] for c in required)} 等列。请使用导入模板。", "file")
    raise SheetRefused(f"工作表“{nearest[1]}”第{nearest[2]}行（表头）缺少列：{'、'.join(nearest[3])}。请使用导入模板。",
                       "file")


def _raw_rows(wb, ws, limit: int) -> list[_RawRow]:
    """Rows holding at least one value or formula, merged ranges filled in."""
    parser = _Parser(ws._get_source(), ws._shared_strings, data_only=True, epoch=wb.epoch,
                     date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
    rows: list[_RawRow] = []
    try:
        for number, cells in parser.parse():
            values = {c["column"]: c["value"] for c in cells if _filled(c["value"])}
            marks = {c["column"]: c["mark"] for c in cells if "mark" in c}
            if values or marks:
                if len(rows) >= limit:
                    raise SheetRefused(f"工作表“{ws.title}”的行数过多，请拆分后分批导入。", "file")
                rows.append(_RawRow(number, values, marks))
    finally:
        parser.source.close()
    if parser.merged_cells is not None:
        _fill_merged(rows, [range_boundaries(m.ref) for m in parser.merged_cells.mergeCell])
    return rows


def _fill_merged(rows: list[_RawRow], ranges: list[tuple[int, int, int, int]]) -> None:
    """Every cell a merged range covers gets the value of its top-left cell."""
    by_number = {r.number: r for r in rows}
    widest = max((max(r.values, default=0) for r in rows), default=0)
    for min_col, min_row, max_col, max_row in ranges:
        top = by_number.get(min_row)
        if top is None or min_col not in top.values:
            continue
        value = top.values[min_col]
        for row in rows:
            if min_row <= row.number <= max_row:
                for col in range(min_col, min(max_col, widest) + 1):
                    row.values.setdefault(col, value)


def _header_at(raw: list[_RawRow], i: int) -> tuple[tuple[int, ...], dict[int, list[str]]]:
    """The header rows starting at ``raw[i]`` and, per column, the names it may be known by.

    The next row is a second header row when every value it holds sits under a cell of the
    first that spans several columns (“承办单位” over “主办 | 会办”) or repeats the first
    (a cell merged over both rows)."""
    top = raw[i]
    names = {col: [str(v)] for col, v in top.values.items()}
    if i + 1 < len(raw) and raw[i + 1].number == top.number + 1:
        below = raw[i + 1]
        spanning = {col for col, v in top.values.items()
                    if top.values.get(col - 1) == v or top.values.get(col + 1) == v}
        own = {col for col, v in below.values.items() if col not in spanning and top.values.get(col) != v}
        if spanning and not own and any(col in below.values for col in spanning):
            for col in spanning:
                if (child := below.values.get(col)) is not None and child != top.values[col]:
                    parent = top.values[col]
                    names[col] = [str(child), f"{parent}({child})", f"{parent}{child}"]
            return (top.number, below.number), names
    return (top.number,), names


def _claim(columns: Mapping[str, Sequence[str]], names: dict[int, list[str]]) -> dict[str, int]:
    """Column key → position; each header cell goes to the first column that names it."""
    where: dict[str, int] = {}
    for col, texts in sorted(names.items()):
        for text in texts:
            where.setdefault(header_key(text), col)
    positions: dict[str, int] = {}
    for key, variants in columns.items():
        for variant in variants:
            col = where.get(header_key(variant))
            if col is not None and col not in positions.values():
                positions[key] = col
                break
    return positions


def _table(sheet: str, raw: list[_RawRow], header_rows: tuple[int, ...], positions: dict[str, int],
           max_rows: int, blank_unless: Sequence[str]) -> Table:
    counted = [(key, col) for key, col in positions.items() if key not in blank_unless]
    rows = []
    for r in raw:
        if r.number <= header_rows[-1]:
            continue
        if not any(r.marks.get(col) == UNCALCULATED or col in r.values for _, col in counted):
            continue
        rows.append(SheetRow(r.number, {key: r.values[col] for key, col in positions.items() if col in r.values},
                             {key: r.marks[col] for key, col in positions.items() if col in r.marks}))
    if not rows:
        raise SheetRefused(f"没有数据行：工作表“{sheet}”在表头之后没有填写任何一行。", "file")
    if len(rows) > max_rows:
        raise SheetRefused(f"一次最多导入 {max_rows} 行（本表 {len(rows)} 行），请拆分后分批导入。", "file")
    skipped = rows[-1].number - header_rows[-1] - len(rows)
    return Table(sheet, header_rows, positions, rows, skipped)


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
