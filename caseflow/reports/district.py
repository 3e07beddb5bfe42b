"""The district report (全区办理情况报告) for the dispatcher: every unit's DESIGN §5 figures,
the overdue list and the charts — all from caseflow.stats, as on the dashboard — around the
narrative the dispatcher writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import func, select

from caseflow import charts, clock, figures, stats
from caseflow.extensions import db
from caseflow.i18n import N_, in_chinese, translate
from caseflow.models import Assignment, Case, Session
from caseflow.overdue import overdue_assignments
from caseflow.reports.letters import chinese_date
from caseflow.services import jobs
from caseflow.services.report_drafts import DistrictNarrative, district_draft, saved_date
from caseflow.workflow import spec

DEFAULT_ISSUER = N_("区人民政府办公室")


@dataclass
class DistrictReport:
    """The report's data; the overdue list and the charts are read only when the PDF uses them
    (the editor page shows the generated paragraph without them)."""

    filter: stats.Filter
    as_of: date
    written_on: date
    issuer: str
    cases: dict[str, int]  # body → cases of the year (withdrawn and merged left out)
    summary: stats.Figures
    unit_table: list[stats.UnitFigures]
    narrative: DistrictNarrative

    @property
    def year(self) -> int:
        return self.filter.year

    @property
    def units(self) -> int:
        return len(self.unit_table)

    @cached_property
    def overdue(self) -> list[Assignment]:
        return overdue_assignments(self.filter)

    @cached_property
    def charts(self) -> dict[str, str]:
        return charts.figure_charts(self.filter, self.summary)

    @property
    def title(self) -> str:
        return _("%(year)s年人大代表建议和政协提案办理情况报告", year=self.year)

    def overview(self) -> str:
        """The generated opening of 一、总体情况."""
        s = self.summary
        return _(
            "%(year)s年，全区共交办人大代表建议%(npc)s件、政协提案%(cppcc)s件，由%(units)s家单位承办，"
            "其中主办（含分办）%(lead)s件次、会办%(co)s件次。截至%(as_of)s，主办件已答复%(replied)s件，"
            "办复率%(reply_rate)s，按期办复率%(on_time_rate)s；解决采纳率%(adoption_rate)s；"
            "征询意见满意率%(satisfied)s（含基本满意%(satisfied_or_basic)s），不满意%(dissatisfied)s件；"
            "见面率%(meeting_rate)s；主动公开率%(published)s；超期未办结%(red)s件次。",
            year=self.year, npc=self.cases.get("npc_suggestion", 0), cppcc=self.cases.get("cppcc_proposal", 0),
            units=self.units, lead=s.handled.lead, co=s.handled.co, as_of=chinese_date(self.as_of),
            replied=s.reply_rate.numerator, reply_rate=s.reply_rate.percent, on_time_rate=s.on_time_rate.percent,
            adoption_rate=s.adoption_rate.percent, satisfied=s.satisfaction.satisfied.percent,
            satisfied_or_basic=s.satisfaction.satisfied_or_basic.percent, dissatisfied=s.satisfaction.dissatisfied,
            meeting_rate=s.meeting_rate.percent, published=s.disclosure.published.percent, red=s.lights.red)


def case_counts(year: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(Case.body, func.count(Case.id)).join(Session, Session.id == Case.session_id)
        .where(Session.year == year, Case.state.not_in(spec.group("case", "void"))).group_by(Case.body)).all())


def build(year: int) -> DistrictReport:
    f = stats.Filter(year=year)
    table = stats.table(f)
    draft = district_draft(year)
    narrative = DistrictNarrative.from_json(draft.sections) if draft else DistrictNarrative()
    return DistrictReport(filter=f, as_of=clock.today(), written_on=saved_date(narrative.written_on) or clock.today(),
                          issuer=narrative.issuer or translate(DEFAULT_ISSUER), cases=case_counts(year),
                          summary=table.total, unit_table=table.units, narrative=narrative)


@in_chinese
def render(params: dict, progress) -> bytes:
    """A job renderer: {'year'} → the PDF."""
    from caseflow.reports.render import render_pdf

    report = build(params["year"])
    progress(50)
    return render_pdf("district_report.html", r=report, figures=figures)


jobs.HANDLERS["district"] = jobs.pdf_handler(render)
