"""Spreadsheet cells in and out: header matching, tolerant dates, formula-safe export."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

EXCEL_EPOCH = date(1899, 12, 30)
DATE_TEXT = re.compile(r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WRAP = Alignment(wrap_text=True, vertical="top")


def normalize(text: Any) -> str:
    """Full-width to half-width, trimmed; None → ''."""
    return unicodedata.normalize("NFKC", str(text)).strip() if text is not None else ""


def header_key(text: Any) -> str:
    """A header reduced for matching: no spaces, brackets unified (“承办单位（主办）” → 承办单位(主办))."""
    return re.sub(r"\s+", "", normalize(text))


def parse_date(value: Any) -> date:
    """A date from a date cell, an Excel serial number or text (2023年3月1日, 2023/3/1, 2023-03-01)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise ValueError
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = normalize(value)
    if text.isdigit() and len(text) <= 5:
        return parse_date(int(text))
    match = DATE_TEXT.match(text)
    if not match:
        raise ValueError
    return date(*map(int, match.groups()))  # raises for 2023-02-30


def _cell(ws, value: Any, number_format: str | None) -> Any:
    if number_format is None or value is None:
        return value
    cell = WriteOnlyCell(ws, value)
    cell.number_format = number_format
    return cell


def safe_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class SheetData:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()
    formats: Sequence[str | None] = ()  # a column's number format (``0.0%`` for a rate stored as a fraction)
    wrap: bool = False  # text cells wrap (multi-line instructions)


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                   widths: Sequence[int] | None = None, formats: Sequence[str | None] | None = None) -> bytes:
    """An .xlsx of one sheet (see ``workbook_of``)."""
    return workbook_of([SheetData(title, headers, rows, widths or (), formats or ())])


def workbook_of(sheets: Sequence[SheetData]) -> bytes:
    """An .xlsx in write-only mode (constant memory): Chinese headers, frozen header row,
    dates as real dates, every text cell formula-safe."""
    wb = Workbook(write_only=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])
        ws.freeze_panes = "A2"
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.append(list(sheet.headers))
        fmts = list(sheet.formats)
        for row in sheet.rows:
            ws.append([_wrapped(ws, v) if sheet.wrap and isinstance(v, str)
                       else _cell(ws, safe_cell(v), fmts[i] if i < len(fmts) else None) for i, v in enumerate(row)])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _wrapped(ws, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, safe_cell(text))
    cell.alignment = WRAP
    return cell
