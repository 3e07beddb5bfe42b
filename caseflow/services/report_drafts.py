"""The narrative a unit writes for its year-end summary, saved as a draft (one per unit and year)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from caseflow import clock
from caseflow.errors import Conflict, PermissionDenied, ValidationError
from caseflow.extensions import db
from caseflow.models import ReportDraft, User
from caseflow.models.user import UNIT_ROLES
from caseflow.services.base import transaction

MAX_SECTION = 20000


@dataclass
class FeaturedCase:
    number: int
    body: str
    text: str = ""


@dataclass
class UnitNarrative:
    """二、办理举措, 三、回头看 (the clerk's words after the generated part), 四、特色案例, 五、创新成效."""

    written_on: str = ""  # the date under the title, as the clerk wants it (default: today)
    measures: str = ""
    follow_up: str = ""
    cases_intro: str = ""
    featured: list[FeaturedCase] = field(default_factory=list)
    innovation: str = ""

    @classmethod
    def from_json(cls, data: dict) -> UnitNarrative:
        featured = [FeaturedCase(**f) for f in data.get("featured", [])]
        texts = ("written_on", "measures", "follow_up", "cases_intro", "innovation")
        return cls(**{**{k: data.get(k, "") for k in texts}, "featured": featured})


def unit_draft(unit_id: int, year: int) -> ReportDraft | None:
    return db.session.scalar(select(ReportDraft).where(
        ReportDraft.kind == "unit", ReportDraft.unit_id == unit_id, ReportDraft.year == year))


def can_write(actor: User, unit_id: int) -> bool:
    return actor.role in UNIT_ROLES and actor.unit_id == unit_id


def save_unit_draft(actor: User, unit_id: int, year: int, narrative: UnitNarrative, version: int | None,
                    allowed_cases: set[tuple[str, int]]) -> ReportDraft:
    """Save the narrative; ``allowed_cases`` are the (body, number) pairs the unit handled that year."""
    if not can_write(actor, unit_id):
        raise PermissionDenied("只有本单位的经办人或负责人可以编写本单位的年度总结。")
    for name in ("measures", "follow_up", "cases_intro", "innovation"):
        if len(getattr(narrative, name)) > MAX_SECTION:
            raise ValidationError(f"内容过长（每部分最多 {MAX_SECTION} 字）。", name)
    for f in narrative.featured:
        if (f.body, f.number) not in allowed_cases:
            raise ValidationError(f"第{f.number}号不是本单位本年度承办的件。", "featured")
    with transaction():
        draft = unit_draft(unit_id, year)
        if draft is None:
            if version:
                raise Conflict()
            draft = ReportDraft(kind="unit", unit_id=unit_id, year=year)
            db.session.add(draft)
        elif version != draft.version:
            raise Conflict()
        draft.sections = asdict(narrative)
        draft.updated_by_id = actor.id
        draft.updated_at = clock.now()
    return draft
