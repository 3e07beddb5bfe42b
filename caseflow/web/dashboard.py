"""The supervisors' dashboard: traffic lights, the overdue list, every DESIGN §5 figure per unit,
distributions and the monthly trend — all from caseflow.stats, filtered in the URL."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from caseflow import charts, clock, stats
from caseflow.access import roles_required
from caseflow.extensions import db
from caseflow.models import Session, Unit
from caseflow.models.base import BODY_LABELS
from caseflow.overdue import overdue_assignments
from caseflow.web.forms import session_years

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
VIEWERS = ("admin", "dispatcher", "supervisor", "handler", "unit_leader")
OVERDUE_LIST = 100  # rows on the page; the district report lists them all


@dataclass(frozen=True)
class Choice:
    years: list[int]
    sessions: list[Session]
    units: list[Unit]


def current_filter(years: list[int]) -> stats.Filter:
    """The filter from the URL (the newest of ``years`` by default); a unit's own people always
    see their own unit."""
    args = request.args
    year = args.get("year", type=int) or (years[0] if years else clock.today().year)
    unit_id = current_user.unit_id if current_user.role in ("handler", "unit_leader") else args.get(
        "unit_id", type=int)
    body = args.get("body") if args.get("body") in BODY_LABELS else None
    return stats.Filter(year=year, body=body, session_id=args.get("session_id", type=int), unit_id=unit_id)


@bp.route("/")
@roles_required(*VIEWERS)
def index():
    years = session_years()
    f = current_filter(years)
    summary = stats.summary(f)
    own_unit = current_user.role in ("handler", "unit_leader")
    choice = Choice(
        years=years,
        sessions=db.session.scalars(select(Session).where(Session.year == f.year).order_by(Session.id)).all(),
        units=[] if own_unit else db.session.scalars(select(Unit).order_by(Unit.id)).all())
    return render_template(
        "dashboard/index.html", f=f, summary=summary, choice=choice, bodies=BODY_LABELS, own_unit=own_unit,
        units=stats.unit_table(f), overdue=overdue_assignments(f, OVERDUE_LIST), today=clock.today(),
        charts=charts.figure_charts(f, summary))


STAT_HEADERS = ["单位", "主办", "会办", "办复率", "按期办复率", "会办及时率", "解决采纳率", "满意率", "满意率(含基本满意)",
                "初次满意率", "不满意件数", "见面率", "沟通率", "主动公开率", "不予公开", "平均办理天数", "超期", "回头看转化"]


def _stat_row(name: str, x: stats.Figures) -> list:
    def pct(rate: stats.Rate):
        return float(rate.rate) if rate.rate is not None else None

    return [name, x.handled.lead, x.handled.co, pct(x.reply_rate), pct(x.on_time_rate), pct(x.co_timely_rate),
            pct(x.adoption_rate), pct(x.satisfaction.satisfied), pct(x.satisfaction.satisfied_or_basic),
            pct(x.first_satisfaction.satisfied), x.satisfaction.dissatisfied, pct(x.meeting_rate),
            pct(x.contact_rate), pct(x.disclosure.published), x.disclosure.withheld,
            float(x.handling_days.days) if x.handling_days.days is not None else None, x.overdue,
            x.conversions.numerator]


@bp.route("/export.xlsx")
@roles_required(*VIEWERS)
def export():
    """The per-unit table as shown (rates as fractions, for the spreadsheet's own % format)."""
    from caseflow.web.spreadsheets import xlsx_download
    from caseflow.xlsx import workbook_bytes

    f = current_filter(session_years())
    rows = [_stat_row(u.unit_name, u.figures) for u in stats.unit_table(f)]
    if current_user.role not in ("handler", "unit_leader"):
        rows.append(_stat_row("合计", stats.summary(f)))
    return xlsx_download(workbook_bytes("办理情况统计", STAT_HEADERS, rows, widths=[22] + [10] * 17),
                     f"办理情况统计-{f.year}.xlsx")
