"""The supervisors' dashboard: traffic lights, the overdue list, every DESIGN §5 figure per unit,
distributions and the monthly trend — all from caseflow.stats, filtered in the URL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from caseflow import charts, clock, figures, stats
from caseflow.access import page_required
from caseflow.extensions import db
from caseflow.i18n import in_chinese
from caseflow.models import Session, Unit
from caseflow.models.base import BODY_LABELS
from caseflow.overdue import overdue_assignments
from caseflow.services import suggestion_log
from caseflow.services.admin import YEARS
from caseflow.web.forms import db_int, session_years
from caseflow.workflow import engine

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
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
    year = args.get("year", type=db_int)
    if year not in YEARS:  # none, or one the system does not keep: the newest in use
        year = years[0] if years else clock.today().year
    unit_id = current_user.unit_id if engine.works_in_unit(current_user) else args.get(
        "unit_id", type=db_int)
    body = args.get("body") if args.get("body") in BODY_LABELS else None
    return stats.Filter(year=year, body=body, session_id=args.get("session_id", type=db_int), unit_id=unit_id)


@bp.route("/")
@page_required("dashboard")
def index():
    years = session_years()
    f = current_filter(years)
    table = stats.table(f)
    own_unit = engine.works_in_unit(current_user)
    choice = Choice(
        years=years,
        sessions=db.session.scalars(select(Session).where(Session.year == f.year).order_by(Session.id)).all(),
        units=[] if own_unit else db.session.scalars(select(Unit).order_by(Unit.id)).all())
    return render_template(
        "dashboard/index.html", f=f, summary=table.total, choice=choice, bodies=BODY_LABELS, own_unit=own_unit,
        units=table.units, overdue=overdue_assignments(f, OVERDUE_LIST), today=clock.today(),
        charts=charts.figure_charts(f, table.total), figures=figures, yellow_days=figures.yellow_days(),
        hits=None if own_unit else suggestion_log.hit_rate(date(f.year, 1, 1), date(f.year, 12, 31), f.body))




@bp.route("/export.xlsx")
@page_required("dashboard")
@in_chinese
def export():
    """The per-unit table as shown (rates as fractions, for the spreadsheet's own % format)."""
    from caseflow.web.spreadsheets import xlsx_download
    from caseflow.xlsx import workbook_bytes

    f = current_filter(session_years())
    columns = figures.table()
    table = stats.table(f)
    rows = [(u.unit_name, u.figures) for u in table.units]
    if not engine.works_in_unit(current_user):
        rows.append(("合计", table.total))
    body = ([name, *(fig.number(x) for fig in columns)] for name, x in rows)
    formats = [None, *("0.0%" if fig.kind == "rate" else None for fig in columns)]
    return xlsx_download(workbook_bytes("办理情况统计", ["单位", *(fig.label for fig in columns)], body,
                                        widths=[22] + [10] * len(columns), formats=formats),
                         f"办理情况统计-{f.year}.xlsx")
