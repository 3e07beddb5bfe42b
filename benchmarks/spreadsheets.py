"""Excel on PostgreSQL: importing a 10,000-row 交办清单, exporting 50,000 cases.

Import: the whole ``importer.run`` (check every row, then register and assign every case
in one transaction, written a chunk of cases at a time, each table by COPY, by
``services.cases_batch``) against openpyxl merely reading the same file, in the same run. Export:
``workbook_bytes`` in write-only mode over 50,000 case rows, timed, then run again under
tracemalloc for its peak memory (traced, it runs five times slower). Figures go to
``benchmarks/results/spreadsheets.json``.

    python -m benchmarks.spreadsheets [--rows 10000] [--export 50000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, insert, select

from benchmarks.common import DEFAULT_URL, fresh_app, machine, write_result
from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Case, Category, Proposer, Reminder, Session, Unit, User
from caseflow.models.fact import AssignmentFact
from caseflow.passwords import hash_password
from caseflow import import_template
from caseflow.services import holidays, importer
from caseflow.web.spreadsheets import CASE_HEADERS
from caseflow.xlsx import workbook_bytes

NOW = datetime(2025, 3, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
UNITS = [f"区测试局{i:02d}" for i in range(12)]


def arrange() -> tuple[User, Session]:
    holidays.import_chinesecalendar([2025, 2026])
    session = Session(body="cppcc_proposal", name="政协第一届第一次会议", term=1, meeting=1, year=2025)
    db.session.add(session)
    db.session.add_all(Unit(name=n) for n in UNITS)
    db.session.add(Category(body="cppcc_proposal", year=2025, name="城市建设"))
    user = User(username="bench", name="督查科", role="dispatcher", password_hash=hash_password("x" * 12))
    db.session.add(user)
    db.session.add_all(Proposer(name=f"委员{i}", kind="member") for i in range(200))
    db.session.commit()
    return user, session


def spreadsheet(rows: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("交办清单")
    ws.append(import_template.TEMPLATE_HEADERS)
    for n in range(1, rows + 1):
        ws.append([n, f"关于第{n}件事项的提案", "城市建设", f"委员{n % 200}", f"委员{(n + 1) % 200}、委员{(n + 2) % 200}",
                   UNITS[n % 12], UNITS[(n + 1) % 12], date(2025, 3, 3), None, "", "同意公开", ""])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def measure_import(rows: int) -> dict:
    user, session = arrange()
    data = spreadsheet(rows)
    started, cpu = time.perf_counter(), time.process_time()
    wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    read_rows = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True)) - 1
    wb.close()
    read_s, read_cpu = time.perf_counter() - started, time.process_time() - cpu
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    result = importer.run(user, BytesIO(data), session)
    import_s, import_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert read_rows == rows and result.created == rows and not result.errors
    assert db.session.scalar(select(func.count()).select_from(Reminder)) > 2 * rows
    assert db.session.scalar(select(func.count()).select_from(AssignmentFact)) == 2 * rows
    return {"rows": rows, "file_mb": round(len(data) / 1e6, 2), "openpyxl_read_s": round(read_s, 3),
            "import_s": round(import_s, 3), "ratio": round(import_s / read_s, 1), "target_s": 10.0,
            "target_ratio": 3.0, "target_met": import_s <= 10.0 and import_s <= 3 * read_s,
            # this process's CPU (the server's work is not in it) and the machine's load when it began
            "openpyxl_read_cpu_s": round(read_cpu, 3), "import_cpu_s": round(import_cpu, 3),
            "load_average_1min": round(load, 1)}


def measure_export(n: int) -> dict:
    session = db.session.scalar(select(Session))
    first = 1_000_000
    db.session.execute(insert(Case), [
        {"body": session.body, "session_id": session.id, "number": first + i, "title": f"=导出第{i}件的提案",
         "lead_proposer_id": 1, "state": "registered", "registered_at": NOW} for i in range(n)])
    db.session.commit()

    def export() -> bytes:
        cases = db.session.scalars(select(Case).where(Case.number >= first).execution_options(yield_per=2000))
        rows = ([c.session.year, c.body_label, c.number, c.title, "", "", "", "", c.state_label, None, ""]
                for c in cases)
        return workbook_bytes("案件列表", CASE_HEADERS, rows)

    started = time.perf_counter()
    data = export()
    export_s = time.perf_counter() - started
    tracemalloc.start()  # a second pass: tracing every allocation makes the export five times slower
    started = time.perf_counter()
    export()
    traced_s = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ws = load_workbook(BytesIO(data), read_only=True).worksheets[0]
    assert next(ws.iter_rows(min_row=2, max_row=2, values_only=True))[3].startswith("'=")
    return {"cases": n, "export_s": round(export_s, 3), "export_traced_s": round(traced_s, 3),
            "peak_traced_mb": round(peak / 1e6, 1),
            "file_mb": round(len(data) / 1e6, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--export", type=int, default=50_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    with fresh_app(args.database_url):
        clock.freeze(NOW)
        result = {"benchmark": "spreadsheets", "import": measure_import(args.rows),
                  "export": measure_export(args.export), "machine": machine()}
        result["machine"]["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]  # 1, 5, 15 min
    i, e = result["import"], result["export"]
    print(f"import {i['rows']} rows: {i['import_s']:.2f} s (openpyxl read alone {i['openpyxl_read_s']:.2f} s, "
          f"×{i['ratio']}); CPU {i['import_cpu_s']:.2f} s vs {i['openpyxl_read_cpu_s']:.2f} s; "
          f"load {i['load_average_1min']}; "
          f"target <= 10 s and <= 3x: {'met' if i['target_met'] else 'MISSED'}")
    print(f"export {e['cases']} cases: {e['export_s']:.2f} s ({e['export_traced_s']:.2f} s traced), "
          f"peak traced memory {e['peak_traced_mb']} MB, "
          f"file {e['file_mb']} MB")
    print(f"written to {write_result('spreadsheets', result)}")


if __name__ == "__main__":
    main()
