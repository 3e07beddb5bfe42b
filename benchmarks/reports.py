"""Report PDFs on PostgreSQL: a 30-case unit summary against WeasyPrint rendering the same
HTML bare (no data gathering, no templating), in the same run; and the district report of
1,000 cases (time, peak RSS of the process, and the bare render of its HTML).

    python -m benchmarks.reports [--cases 30] [--repeat 9] [--district-cases 1000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import weasyprint

from benchmarks.common import DEFAULT_URL, fresh_app, machine, write_result
from caseflow import clock
from caseflow.extensions import db
from caseflow.models import (
    Assignment,
    Case,
    Category,
    Feedback,
    FollowUp,
    Proposer,
    Reply,
    ResultClass,
    Session,
    Unit,
    User,
)
from caseflow.reports import district, unit_summary
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


def arrange_district(n: int, units: int = 30) -> None:
    """``n`` cases of 2025 over ``units`` units, each with a lead and a co unit: two in three
    replied (with a class, most evaluated), the rest open and partly overdue."""
    session = Session(body="npc_suggestion", name="人大第一届第二次会议", term=1, meeting=2, year=2025)
    rows = [Unit(name=f"区第{i}局", short_name=f"第{i}局") for i in range(units)]
    classes = [ResultClass(body=session.body, year=2025, code=c, label=label, adopted=c == "A", position=i)
               for i, (c, label) in enumerate((("A", "解决采纳"), ("B", "列入计划"), ("C", "留作参考")))]
    proposer = Proposer(name="代表甲", kind="deputy")
    signer = User(username="leader", name="负责人", role="dispatcher", password_hash="x")
    db.session.add_all([session, *rows, *classes, proposer, signer])
    db.session.flush()
    assigned = NOW - timedelta(days=200)
    for i in range(1, n + 1):
        replied = i % 3 != 0
        due = (assigned + timedelta(days=90 if i % 6 else 400)).date()
        case = Case(body=session.body, session_id=session.id, number=i, title=f"关于改进第{i}项民生服务的建议",
                    lead_proposer_id=proposer.id, state="replied" if replied else "in_progress")
        lead = Assignment(case=case, unit_id=rows[i % units].id, role="lead", state="answered" if replied else "accepted",
                          assigned_at=assigned, original_due_date=due, due_date=due)
        co = Assignment(case=case, unit_id=rows[(i + 7) % units].id, role="co",
                        state="opinion_sent" if replied else "accepted",
                        assigned_at=assigned, original_due_date=due, due_date=due)
        db.session.add_all([case, lead, co])
        db.session.flush()
        if replied:
            at = assigned + timedelta(days=30 + i % 70)
            reply = Reply(case_id=case.id, assignment=lead, result_class_id=classes[i % 3].id, signer_id=signer.id,
                          signed_at=at, replied_at=at, text="答复")
            db.session.add(reply)
            db.session.flush()
            if i % 4:
                db.session.add(Feedback(case_id=case.id, reply_id=reply.id, ordinal=1, channel="link", given_at=at,
                                        overall=("satisfied", "basically_satisfied", "dissatisfied")[i % 4 - 1]))
    db.session.commit()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure_district(n: int) -> dict:
    arrange_district(n)
    before = peak_rss_mb()
    started = time.perf_counter()
    pdf = district.render({"year": 2025}, lambda _: None)
    full = time.perf_counter() - started
    html = render_html("district_report.html", r=district.build(2025))
    started = time.perf_counter()
    weasyprint.HTML(string=html, base_url=BASE_URL).write_pdf()
    bare = time.perf_counter() - started
    peak = peak_rss_mb()
    return {"cases": n, "full_s": round(full, 2), "bare_weasyprint_s": round(bare, 2), "pdf_kb": len(pdf) // 1024,
            "peak_rss_mb_before": round(before), "peak_rss_mb": round(peak), "target": "<= 20 s, <= 500 MB",
            "target_met": full <= 20 and peak <= 500}


def timed_pair(a, b, repeat: int) -> tuple[float, float]:
    """Median seconds of ``a`` and ``b``, run alternately so machine noise hits both alike; the
    garbage of the run before is collected first, so neither pays for the other's."""
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((a, runs[0]), (b, runs[1])):
            gc.collect()
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
    return statistics.median(runs[0]), statistics.median(runs[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--district-cases", type=int, default=1000)
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
    with fresh_app(args.database_url):
        clock.freeze(NOW)
        result["district"] = measure_district(args.district_cases)
    u = result["unit_summary"]
    print(f"unit summary, {u['cases']} cases: {u['full_s']:.3f} s (bare WeasyPrint {u['bare_weasyprint_s']:.3f} s, "
          f"×{u['ratio']}); target {u['target']}: {'met' if u['target_met'] else 'MISSED'}")
    d = result["district"]
    print(f"district report, {d['cases']} cases: {d['full_s']:.2f} s (bare WeasyPrint {d['bare_weasyprint_s']:.2f} s), "
          f"peak RSS {d['peak_rss_mb']} MB ({d['peak_rss_mb_before']} MB before rendering); "
          f"target {d['target']}: {'met' if d['target_met'] else 'MISSED'}")
    print(f"written to {write_result('reports', result)}")


if __name__ == "__main__":
    main()
