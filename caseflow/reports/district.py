"""The district report (全区办理情况报告) for the dispatcher: every unit's DESIGN §5 figures,
the overdue list and the charts — all from caseflow.stats, as on the dashboard — around the
narrative the dispatcher writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from sqlalchemy import func, select

from caseflow import charts, clock, figures, stats
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Session
from caseflow.overdue import overdue_assignments
from caseflow.reports.letters import chinese_date
from caseflow.services import report_jobs
from caseflow.services.report_drafts import DistrictNarrative, district_draft, saved_date
from caseflow.workflow import spec

DEFAULT_ISSUER = "区人民政府办公室"


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
        return f"{self.year}年人大代表建议和政协提案办理情况报告"

    def overview(self) -> str:
        """The generated opening of 一、总体情况."""
        s = self.summary
        return (
            f"{self.year}年，全区共交办人大代表建议{self.cases.get('npc_suggestion', 0)}件、"
            f"政协提案{self.cases.get('cppcc_proposal', 0)}件，由{self.units}家单位承办，"
            f"其中主办（含分办）{s.handled.lead}件次、会办{s.handled.co}件次。"
            f"截至{chinese_date(self.as_of)}，主办件已答复{s.reply_rate.numerator}件，"
            f"办复率{s.reply_rate.percent}，按期办复率{s.on_time_rate.percent}；"
            f"解决采纳率{s.adoption_rate.percent}；征询意见满意率{s.satisfaction.satisfied.percent}"
            f"（含基本满意{s.satisfaction.satisfied_or_basic.percent}），不满意{s.satisfaction.dissatisfied}件；"
            f"见面率{s.meeting_rate.percent}；主动公开率{s.disclosure.published.percent}；"
            f"超期未办结{s.lights.red}件次。"
        )


def case_counts(year: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(Case.body, func.count(Case.id)).join(Session, Session.id == Case.session_id)
        .where(Session.year == year, Case.state.not_in(spec.group("case", "void"))).group_by(Case.body)).all())


def build(year: int) -> DistrictReport:
    f = stats.Filter(year=year)
    draft = district_draft(year)
    narrative = DistrictNarrative.from_json(draft.sections) if draft else DistrictNarrative()
    return DistrictReport(filter=f, as_of=clock.today(), written_on=saved_date(narrative.written_on) or clock.today(),
                          issuer=narrative.issuer or DEFAULT_ISSUER, cases=case_counts(year),
                          summary=stats.summary(f), unit_table=stats.unit_table(f), narrative=narrative)


def render(params: dict, progress) -> bytes:
    """A job renderer: {'year'} → the PDF."""
    from caseflow.reports.render import render_pdf

    report = build(params["year"])
    progress(50)
    return render_pdf("district_report.html", r=report, figures=figures)


report_jobs.RENDERERS["district"] = render
