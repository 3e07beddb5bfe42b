"""The narrative parts of the year-end reports, saved as drafts: a unit's summary (one per unit
and year, written by the unit) and the district report (one per year, written by the dispatcher)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from caseflow import clock
from caseflow.errors import Conflict, PermissionDenied, ValidationError
from caseflow.extensions import db
from caseflow.models import ReportDraft, User
from caseflow.services.base import transaction
from caseflow.workflow import engine

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

    def texts(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("measures", "follow_up", "cases_intro", "innovation")}


@dataclass
class DistrictNarrative:
    """The district report's own words around its tables and charts."""

    written_on: str = ""
    issuer: str = ""  # 落款, e.g. 区人民政府办公室
    overview: str = ""  # 一、总体情况, after the generated paragraph
    measures: str = ""  # 二、主要做法
    problems: str = ""  # 存在的问题
    next_steps: str = ""  # 下一步工作

    @classmethod
    def from_json(cls, data: dict) -> DistrictNarrative:
        return cls(**{k: str(data.get(k, "")) for k in cls.__dataclass_fields__})

    def texts(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("overview", "measures", "problems", "next_steps")}


def saved_date(text: str) -> date | None:
    """The date a narrative's ``written_on`` holds (ISO), or None when it is empty."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _draft(kind: str, unit_id: int | None, year: int) -> ReportDraft | None:
    unit = ReportDraft.unit_id.is_(None) if unit_id is None else ReportDraft.unit_id == unit_id
    return db.session.scalar(select(ReportDraft).where(ReportDraft.kind == kind, unit, ReportDraft.year == year))


def unit_draft(unit_id: int, year: int) -> ReportDraft | None:
    return _draft("unit", unit_id, year)


def district_draft(year: int) -> ReportDraft | None:
    return _draft("district", None, year)


def can_write(actor: User, unit_id: int) -> bool:
    return engine.page_allowed(actor, "unit_report_write") and actor.unit_id == unit_id


def can_write_district(actor: User) -> bool:
    return engine.page_allowed(actor, "district_report_write")


def _check_lengths(texts: dict[str, str]) -> None:
    for name, value in texts.items():
        if len(value) > MAX_SECTION:
            raise ValidationError(_("内容过长（每部分最多 %(limit)s 字）。", limit=MAX_SECTION), name)


def _save(actor: User, kind: str, unit_id: int | None, year: int, sections: dict,
          version: int | None) -> ReportDraft:
    """Create or update the draft; ``version`` is the one the writer saw (None: they saw none)."""
    with transaction():
        draft = _draft(kind, unit_id, year)
        if draft is None:
            if version:
                raise Conflict()
            draft = ReportDraft(kind=kind, unit_id=unit_id, year=year)
            db.session.add(draft)
        elif version != draft.version:
            raise Conflict()
        draft.sections = sections
        draft.updated_by_id = actor.id
        draft.updated_at = clock.now()
    return draft


def save_unit_draft(actor: User, unit_id: int, year: int, narrative: UnitNarrative, version: int | None,
                    allowed_cases: set[tuple[str, int]]) -> ReportDraft:
    """Save the narrative; ``allowed_cases`` are the (body, number) pairs the unit handled that year."""
    if not can_write(actor, unit_id):
        raise PermissionDenied(_("只有本单位的经办人或负责人可以编写本单位的年度总结。"))
    _check_lengths(narrative.texts())
    for f in narrative.featured:
        if (f.body, f.number) not in allowed_cases:
            raise ValidationError(_("第%(number)s号不是本单位本年度承办的件。", number=f.number), "featured")
    return _save(actor, "unit", unit_id, year, asdict(narrative), version)


def save_district_draft(actor: User, year: int, narrative: DistrictNarrative, version: int | None) -> ReportDraft:
    if not can_write_district(actor):
        raise PermissionDenied(_("只有督查科（交办人员）可以编写全区办理情况报告。"))
    _check_lengths(narrative.texts())
    if len(narrative.issuer) > 100:
        raise ValidationError(_("落款单位最多 100 字。"), "issuer")
    return _save(actor, "district", None, year, asdict(narrative), version)
