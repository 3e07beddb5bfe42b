"""The data of a unit's year-end summary (年度办理工作总结), modelled on the 长宁区地区办 2023 report.

Generated parts (counts, topics, follow-ups, the appendix) come from the database; the
narrative sections come from the unit's saved draft.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseflow import clock
from caseflow.extensions import db
from caseflow.i18n import in_chinese
from caseflow.models import Assignment, Case, Disclosure, Feedback, FollowUp, Reply, Session, Unit
from caseflow.models.feedback import FOLLOW_UP_STAGE_LABELS, SATISFACTION_LABELS
from caseflow.services import jobs
from caseflow.services.report_drafts import UnitNarrative, saved_date, unit_draft
from caseflow.workflow import spec

BODY_WORDS = {"npc_suggestion": ("人大建议", "建议"), "cppcc_proposal": ("政协提案", "提案")}
ORDINALS = "一二三四五六七八九十"
# a case's 公开 in the appendix: any reply published, else any withheld, else still to decide
DISCLOSURE_WORDS = (("on_portal", "公开"), ("kept_private", "不予公开"), ("undecided", "待公开"))


@dataclass
class AppendixRow:
    body_key: str
    body: str
    number: int
    title: str
    role: str
    result_class: str
    replied_on: date | None
    on_time: str
    satisfaction: str
    disclosure: str


@dataclass
class FeaturedCaseText:
    heading: str
    text: str


@dataclass
class UnitSummary:
    unit: Unit
    year: int
    written_on: date
    counts: dict[tuple[str, str], int]  # (body, lead|co) → cases
    topics: dict[str, list[str]]  # body → categories of the lead cases
    lead_titles: dict[str, list[str]]
    co_titles: dict[str, list[str]]
    follow_ups: dict[str, list[str]]  # stage label → notes
    narrative: UnitNarrative
    featured: list[FeaturedCaseText] = field(default_factory=list)
    appendix: list[AppendixRow] = field(default_factory=list)

    def total(self, body: str) -> int:
        return self.counts.get((body, "lead"), 0) + self.counts.get((body, "co"), 0)

    @property
    def title(self) -> str:
        return _("%(year)s年人大建议与政协提案办理工作总结", year=self.year)


def quoted_title(title: str) -> str:
    """“title” with the title's own double quotes turned single, as the reference writes it."""
    return "“" + title.replace("“", "‘").replace("”", "’") + "”"


def build(unit: Unit, year: int) -> UnitSummary:
    assignments = db.session.scalars(
        select(Assignment).join(Case).join(Session, Session.id == Case.session_id)
        .where(Assignment.unit_id == unit.id, Session.year == year,
               Assignment.state.not_in(spec.group("assignment", "gone")), Case.state.not_in(spec.group("case", "void")))
        .options(selectinload(Assignment.case).selectinload(Case.category),
                 selectinload(Assignment.case).selectinload(Case.assignments))
        .order_by(Case.body, Case.number)
    ).all()
    counts: Counter = Counter()
    topics: dict[str, list[str]] = {}
    lead_titles: dict[str, list[str]] = {}
    co_titles: dict[str, list[str]] = {}
    for a in assignments:
        role = "lead" if a.role in spec.answering_roles() else "co"
        counts[a.case.body, role] += 1
        (co_titles if role == "co" else lead_titles).setdefault(a.case.body, []).append(a.case.title)
        if role == "lead" and a.case.category and a.case.category.name not in topics.get(a.case.body, []):
            topics.setdefault(a.case.body, []).append(a.case.category.name)
    draft = unit_draft(unit.id, year)
    narrative = UnitNarrative.from_json(draft.sections) if draft else UnitNarrative()
    by_key = {(a.case.body, a.case.number): a.case for a in assignments}
    featured = [
        FeaturedCaseText(f"案例{ORDINALS[i] if i < 10 else i + 1}：办理第{f.number}号{quoted_title(case.title)}"
                         f"{BODY_WORDS[case.body][1]}时", f.text)
        for i, f in enumerate(narrative.featured) if (case := by_key.get((f.body, f.number)))
    ]
    written_on = saved_date(narrative.written_on) or clock.today()
    return UnitSummary(unit=unit, year=year, written_on=written_on, counts=dict(counts), topics=topics,
                       lead_titles=lead_titles, co_titles=co_titles,
                       follow_ups=_follow_ups(unit, [a for a in assignments if a.role != "co"]),
                       narrative=narrative, featured=featured, appendix=_appendix(assignments))


def _follow_ups(unit: Unit, leads: list[Assignment]) -> dict[str, list[str]]:
    rows = db.session.scalars(select(FollowUp).where(FollowUp.assignment_id.in_([a.id for a in leads]))
                              .order_by(FollowUp.recorded_at)).all()
    grouped: dict[str, list[str]] = {label: [] for label in FOLLOW_UP_STAGE_LABELS.values()}
    for f in rows:
        label = FOLLOW_UP_STAGE_LABELS[f.stage]
        grouped[label].append(f.note.removeprefix(label).removeprefix("办理后").lstrip("，,、 ").rstrip("。"))
    return {k: v for k, v in grouped.items() if v}


def _appendix(assignments: list[Assignment]) -> list[AppendixRow]:
    case_ids = [a.case_id for a in assignments]
    replies = db.session.scalars(select(Reply).where(Reply.case_id.in_(case_ids), Reply.replied_at.is_not(None))
                                 .options(selectinload(Reply.result_class)).order_by(Reply.replied_at)).all()
    first_reply: dict[int, Reply] = {}
    last_reply: dict[int, Reply] = {}
    for r in replies:
        first_reply.setdefault(r.case_id, r)
        last_reply[r.case_id] = r
    feedback = {f.case_id: f for f in db.session.scalars(
        select(Feedback).where(Feedback.case_id.in_(case_ids)).order_by(Feedback.ordinal))}
    disclosures: dict[int, set[str]] = {}
    for d in db.session.scalars(select(Disclosure).where(Disclosure.case_id.in_(case_ids))):
        disclosures.setdefault(d.case_id, set()).add(d.state)
    rows = []
    for a in assignments:
        case, first, last = a.case, first_reply.get(a.case_id), last_reply.get(a.case_id)
        replied_on = first.replied_at.astimezone(clock.LOCAL_TZ).date() if first else None
        lead_due = min((x.due_date for x in case.lead_assignments), default=None)
        on_time = "—" if replied_on is None or lead_due is None else (_("是") if replied_on <= lead_due else _("否"))
        fb = feedback.get(a.case_id)
        states = disclosures.get(a.case_id, set())
        rows.append(AppendixRow(
            body_key=case.body, body=BODY_WORDS[case.body][0], number=case.number, title=case.title,
            role=a.role_label,
            result_class=last.result_class.label if last and last.result_class else "—",
            replied_on=replied_on, on_time=on_time,
            satisfaction=SATISFACTION_LABELS.get(fb.overall, _("未反馈")) if fb else "—",
            disclosure=next((word for group, word in DISCLOSURE_WORDS if states & set(spec.group("disclosure", group))),
                            "—"),
        ))
    return rows


def count_cases(unit_id: int, year: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Assignment).join(Case).join(Session, Session.id == Case.session_id)
        .where(Assignment.unit_id == unit_id, Session.year == year,
               Assignment.state.not_in(spec.group("assignment", "gone"))))


@in_chinese
def render(params: dict, progress) -> bytes:
    """A job renderer: {'unit_id', 'year'} → the PDF."""
    from caseflow.reports.render import render_pdf

    summary = build(db.session.get(Unit, params["unit_id"]), params["year"])
    progress(50)
    return render_pdf("unit_summary.html", s=summary)


jobs.HANDLERS["unit"] = jobs.pdf_handler(render)
