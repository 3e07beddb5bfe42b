"""The log of 智能交办 suggestions: what was suggested, what the dispatcher chose, the hit rate.

Kept apart from ``services.suggestions`` (which loads scikit-learn) so that 交办 can record the
choice without importing the model.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Case, SuggestedUnit, UnitSuggestion


def record_choice(case: Case, lead_unit_ids: list[int]) -> UnitSuggestion | None:
    """At 交办, store the dispatcher's lead units beside the case's latest open suggestion.

    Runs inside the 交办 transaction (no commit of its own). A 交办 without a lead unit (a co-unit
    added later) decides nothing.
    """
    if not lead_unit_ids:
        return None
    suggestion = db.session.scalar(
        select(UnitSuggestion).where(UnitSuggestion.case_id == case.id, UnitSuggestion.chosen_at.is_(None))
        .order_by(UnitSuggestion.id.desc()).limit(1))
    if suggestion is None:
        return None
    ranks = {u.unit_id: u.rank for u in suggestion.units if u.role == "lead"}
    hits = sorted((ranks[u], u) for u in lead_unit_ids if u in ranks)
    suggestion.chosen_rank, suggestion.chosen_unit_id = hits[0] if hits else (0, lead_unit_ids[0])
    suggestion.chosen_at = clock.now()
    return suggestion


@dataclass(frozen=True)
class HitRate:
    decided: int  # suggestions followed by a 交办
    top1: int  # … whose first suggested lead unit was chosen
    top3: int  # … with a chosen lead unit among the three suggested

    @property
    def top1_rate(self) -> float | None:
        return self.top1 / self.decided if self.decided else None

    @property
    def top3_rate(self) -> float | None:
        return self.top3 / self.decided if self.decided else None


def hit_rate(since: date | None = None, until: date | None = None, body: str | None = None) -> HitRate:
    """How often the dispatcher chose a suggested lead unit, for 交办 dates in [since, until]."""
    q = select(
        func.count(UnitSuggestion.id),
        func.count(UnitSuggestion.id).filter(UnitSuggestion.chosen_rank == 1),
        func.count(UnitSuggestion.id).filter(UnitSuggestion.chosen_rank.between(1, 3)),
    ).where(UnitSuggestion.chosen_at.is_not(None))
    if since:
        q = q.where(UnitSuggestion.chosen_at >= datetime.combine(since, time(0), clock.LOCAL_TZ))
    if until:
        q = q.where(UnitSuggestion.chosen_at < datetime.combine(until + timedelta(days=1), time(0), clock.LOCAL_TZ))
    if body:
        q = q.join(Case, Case.id == UnitSuggestion.case_id).where(Case.body == body)
    decided, top1, top3 = db.session.execute(q).one()
    return HitRate(decided, top1, top3)


def store(case_id: int, actor_id: int | None, model: str, leads: list[tuple[int, float]],
          cos: list[tuple[int, float]]) -> UnitSuggestion:
    """Log a suggestion (in the caller's transaction); the case's identical open one is reused."""
    wanted = [("lead", r, u, c) for r, (u, c) in enumerate(leads, 1)] + [("co", r, u, c) for r, (u, c) in enumerate(cos, 1)]
    open_one = db.session.scalar(
        select(UnitSuggestion).where(UnitSuggestion.case_id == case_id, UnitSuggestion.chosen_at.is_(None))
        .order_by(UnitSuggestion.id.desc()).limit(1))
    if open_one is not None and [(u.role, u.rank, u.unit_id) for u in open_one.units] == [w[:3] for w in wanted]:
        return open_one
    suggestion = UnitSuggestion(case_id=case_id, suggested_by_id=actor_id, model=model, units=[
        SuggestedUnit(role=role, rank=rank, unit_id=unit, confidence=round(min(max(conf, 0.0), 1.0), 4))
        for role, rank, unit, conf in wanted])
    db.session.add(suggestion)
    return suggestion
