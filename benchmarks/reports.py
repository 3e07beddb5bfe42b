"""Report PDFs on PostgreSQL: a 30-case unit summary against WeasyPrint rendering the same
HTML bare (no data gathering, no templating), in the same run.

    python -m benchmarks.reports [--cases 30] [--repeat 5] [--database-url URL]
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import weasyprint

from benchmarks.common import DEFAULT_URL, fresh_app, machine, write_result
from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Category, FollowUp, Proposer, Session, Unit
from caseflow.reports import unit_summary
from caseflow.reports.render import BASE_URL, render_html

NOW = datetime(2025, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def arrange(n: int) -> Unit:
    session = Session(body="cppcc_proposal", name="政协第一届第一次会议", term=1, meeting=1, year=2025)
    unit = Unit(name="区测试局", short_name="测试局")
    category = Category(body="cppcc_proposal", year=2025, name="城市建设")
    proposer = Proposer(name="委员甲", kind="member")
    db.session.add_all([session, unit, category, proposer])
    db.session.flush()
    for i in range(1, n + 1):
        case = Case(body=session.body, session_id=session.id, number=i, title=f"关于推进第{i}项社区治理工作的提案" * 2,
                    lead_proposer_id=proposer.id, category_id=category.id, state="in_progress")
        a = Assignment(case=case, unit_id=unit.id, role="lead" if i % 3 else "co", state="accepted",
                       assigned_at=NOW, original_due_date=NOW.date(), due_date=NOW.date())
        db.session.add_all([case, a])
        db.session.flush()
        if i % 3 == 1:
            db.session.add(FollowUp(case_id=case.id, assignment_id=a.id, stage="after", note="已全部落实" * 5))
    db.session.commit()
    return unit


def timed_pair(a, b, repeat: int) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, run alternately so machine noise hits both alike."""
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((a, runs[0]), (b, runs[1])):
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
    return statistics.median(runs[0]), statistics.median(runs[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    with fresh_app(args.database_url):
        clock.freeze(NOW)
        unit = arrange(args.cases)
        params = {"unit_id": unit.id, "year": 2025}
        html = render_html("unit_summary.html", s=unit_summary.build(unit, 2025))
        unit_summary.render(params, lambda _: None)  # warm fonts and caches once for both
        full, bare = timed_pair(lambda: unit_summary.render(params, lambda _: None),
                                lambda: weasyprint.HTML(string=html, base_url=BASE_URL).write_pdf(), args.repeat)
        result = {"benchmark": "reports", "unit_summary": {
            "cases": args.cases, "full_s": round(full, 3), "bare_weasyprint_s": round(bare, 3),
            "ratio": round(full / bare, 2), "target": "<= 1.5 s and <= 1.2x bare",
            "target_met": full <= 1.5 and full / bare <= 1.2}, "machine": machine()}
    u = result["unit_summary"]
    print(f"unit summary, {u['cases']} cases: {u['full_s']:.3f} s (bare WeasyPrint {u['bare_weasyprint_s']:.3f} s, "
          f"×{u['ratio']}); target {u['target']}: {'met' if u['target_met'] else 'MISSED'}")
    print(f"written to {write_result('reports', result)}")


if __name__ == "__main__":
    main()
