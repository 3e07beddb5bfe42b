"""The web's 交办清单 import as a background job.

The request checks what it can tell at once (size, file type), stores the file and queues the
job; the scheduler process imports it (``importer.run``, all-or-nothing, in the job's one
transaction). The job's result is what the result page shows; when rows are bad it also keeps
the clerk's own workbook with every bad cell marked (red, the reason as a comment, and a last
column 导入错误), to correct and import again.
"""
from __future__ import annotations

from collections import defaultdict
from io import BytesIO
from typing import IO, Any

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseflow.errors import PermissionDenied, ServiceError
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Job, Session, User
from caseflow.services import importer, jobs
from caseflow.sheet_reader import check_signature
from caseflow.workflow import engine

BAD = PatternFill("solid", fgColor="FFC7CE")
ERROR_COLUMN = "导入错误"
SHOWN = 500  # rows of a list the result page shows; the rest are behind the case list or the workbook


def start(actor: User, upload: IO[bytes], filename: str, session: Session, *, dry_run: bool) -> Job:
    """Queue the import of ``upload`` into ``session``; refuses at once a file too big or not .xlsx."""
    if not engine.page_allowed(actor, "import_cases"):
        raise PermissionDenied(_("只有督查科可以导入交办清单。"))
    data = importer.read(upload)
    check_signature(data)
    return jobs.submit(actor, "import", {"session_id": session.id, "dry_run": dry_run, "filename": filename[:200]},
                       upload=data, suffix=".xlsx")


def _run(job: Job, progress: jobs.Progress) -> jobs.Output:
    session = db.session.get(Session, job.params["session_id"])
    data = jobs.upload_path(job).read_bytes()
    base = {"session": session.name, "session_id": session.id, "dry_run": job.params["dry_run"],
            "filename": job.params["filename"]}
    try:
        result = importer.run(db.session.get(User, job.requested_by_id), BytesIO(data), session,
                              dry_run=job.params["dry_run"], progress=progress)
    except ServiceError as e:
        return jobs.Output({**base, "refused": e.message})
    summary = {**base, **summarize(result)}
    if result.errors:
        return jobs.Output(summary, marked_workbook(data, result), ".xlsx")
    return jobs.Output(summary)


def summarize(result: importer.ImportResult) -> dict[str, Any]:
    """The import's outcome as the result page lists it (JSON)."""
    def rows(notes: list[importer.RowError]) -> list[list[Any]]:
        return [[n.row, n.column, n.reason] for n in notes]

    return {
        "sheet": result.sheet, "errors": rows(result.errors), "warnings": rows(result.warnings),
        "skipped_empty": result.skipped_empty, "new_proposers": result.new_proposers,
        "planned": len(result.planned), "created": result.created,
        "case_ids": result.case_ids,  # all of them, for the API
        "cases": [[c.id, c.number, c.title, "、".join(a.unit.name for a in c.lead_assignments)]
                  for c in _first_created(result.case_ids)],
        "rows": [[p.row, p.number, p.title, "、".join(u.name for u in p.lead_units),
                  "、".join(u.name for u in p.co_units), p.assigned_on.isoformat()]
                 for p in result.planned[:SHOWN]] if not result.case_ids else [],
    }


def _first_created(case_ids: list[int]) -> list[Case]:
    """The first ``SHOWN`` created cases with their units, in the file's order (ids ascend with it)."""
    return list(db.session.scalars(select(Case).where(Case.id.in_(case_ids[:SHOWN])).order_by(Case.id)
                                   .options(selectinload(Case.assignments).selectinload(Assignment.unit))))


def marked_workbook(data: bytes, result: importer.ImportResult) -> bytes:
    """The uploaded workbook with every bad cell filled red and explained in a comment, and each
    bad row's reasons in a last column."""
    wb = load_workbook(BytesIO(data))
    ws = wb[result.sheet]
    by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
    by_row: dict[int, list[str]] = defaultdict(list)
    for e in result.errors:
        by_cell[(e.row, e.position)].append(e.reason)
        by_row[e.row].append(f"[{e.column}] {e.reason}")
    for (row, col), reasons in by_cell.items():
        cell = _writable(ws, row, col)
        cell.fill = BAD
        cell.comment = Comment("\n".join(reasons), "caseflow", width=300, height=40 + 20 * len(reasons))
    last = ws.max_column + 1
    header = ws.cell(result.header_rows[0], last, ERROR_COLUMN)
    header.font = Font(bold=True, color="9C0006")
    ws.column_dimensions[get_column_letter(last)].width = 60
    for row, reasons in by_row.items():
        ws.cell(row, last, "；".join(reasons)).fill = BAD
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _writable(ws, row: int, col: int):
    """The cell, or the top-left cell of the merged range that covers it."""
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return ws.cell(merged.min_row, merged.min_col)
    return ws.cell(row, col)


jobs.HANDLERS["import"] = _run
