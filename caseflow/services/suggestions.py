"""智能交办 and similar-case hints from the database.

History: every case (not withdrawn or merged) with its units; the lead-unit model learns from the
cases already assigned (主办/分办 and 会办 assignments that were not returned). Each process keeps
one model per database and rebuilds it when the history changes — the rebuild policy, stated in
the README (智能交办): the fingerprint below is read on every call (one small query); when it
differs from the model's, the next call rebuilds (in a background thread in production, so the
dispatcher keeps getting the previous model's answer meanwhile, or "pending" before a process's
first model; synchronously under test). Cases
registered after the build are compared too: they are vectorised at query time.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from caseflow import clock
from caseflow.access import case_filter
from caseflow.errors import NotFound, PermissionDenied
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Category, Reply, Session, Unit, User
from caseflow.services import suggestion_log
from caseflow.services.base import get, transaction
from caseflow.suggest.model import Item, Params, SimilarityIndex, UnitRanker, tune
from caseflow.workflow import spec

log = logging.getLogger(__name__)

SUGGEST_ROLES = ("dispatcher",)
SIMILAR_SCOPES = ("all", "unit")  # staff; a unit's people see the similar cases of their own unit only
LEAD_ROLES = ("lead", "split")
HIDDEN_STATES = ("withdrawn", "merged")
SUPPORT = 3  # past cases shown under each suggested unit
NEIGHBOURS = 20  # similar past cases that vote for co-units
# the evaluation's choice on the 2018 并案 groups (README); the threshold is SUGGEST_DUPLICATE_THRESHOLD
DUPLICATE_CATEGORY_WEIGHT = 1.0
RETUNE_GROWTH = 1.2


def _require(actor: User | None, roles: tuple[str, ...]) -> None:
    if actor is None or actor.role not in roles:
        raise PermissionDenied(_("无权查看智能交办建议。"))


def _require_similar(actor: User | None) -> None:
    if actor is None or spec.scope_of(actor.role) not in SIMILAR_SCOPES:
        raise PermissionDenied("无权查看相似件。")


# -- the model and its cache ---------------------------------------------------------------------

@dataclass
class Built:
    """What one build holds: the ranker, the similarity index and what the index rows are."""

    fingerprint: str
    ranker: UnitRanker | None
    index: SimilarityIndex
    case_ids: np.ndarray
    session_ids: np.ndarray
    years: np.ndarray
    items: list[Item]
    assigned: np.ndarray  # the rows of cases with a lead unit
    led_by: dict[int, np.ndarray]
    co_by: dict[int, np.ndarray]
    max_case_id: int
    seconds: float


_models: dict[str, Built] = {}
_tunings: dict[str, tuple[int, Params, float]] = {}  # history size when tuned, parameters, temperature
_rebuilding: set[str] = set()
_lock = threading.Lock()


def snapshot() -> tuple[str, list]:
    """The history's fingerprint and every unit (id, name, active, version), in one round trip.

    The fingerprint changes when an assignment is made or returned, or a unit is added, renamed or
    (de)activated. Assignments are never deleted and keep their role, so the newest id and the
    number returned (read from the state index) tell every change without counting them all.
    """
    newest = select(func.max(Assignment.id)).scalar_subquery()
    returned = select(func.count()).where(Assignment.state == "returned").scalar_subquery()
    units = db.session.execute(
        select(Unit.id, Unit.name, Unit.active, Unit.version, newest, returned).order_by(Unit.id)).all()
    a = units[0][4:] if units else db.session.execute(select(newest, returned)).one()
    return (f"a{a[0] or 0}.{a[1]}-u{len(units)}.{units[-1].id if units else 0}.{sum(u.version for u in units)}",
            units)


def _db_key() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def model(current: str | None = None) -> Built | None:
    """This process's model of the current database, rebuilt as the policy above says.

    None while a process's first model is being built in the background (the hints say so
    rather than hold the request for the half minute a build of 10,000 cases takes).
    """
    key = _db_key()
    current = current or snapshot()[0]
    built = _models.get(key)
    if built is not None and built.fingerprint == current:
        return built
    if (current_app.config.get("SUGGEST_REBUILD") or ("sync" if current_app.testing else "background")) == "sync":
        _models[key] = build(current)
        return _models[key]
    _rebuild_in_background(key)
    return built


def _rebuild_in_background(key: str) -> None:
    with _lock:
        if key in _rebuilding:
            return
        _rebuilding.add(key)
    app = current_app._get_current_object()

    def run() -> None:
        try:
            with app.app_context():
                _models[key] = build(snapshot()[0])
        except Exception:  # the previous model keeps answering; the next call tries again
            log.exception("rebuilding the suggestion model failed")
        finally:
            with _lock:
                _rebuilding.discard(key)

    threading.Thread(target=run, name="suggest-rebuild", daemon=True).start()


def forget_models() -> None:
    """Drop every cached model (a test that rolled its rows back must not meet its model again)."""
    _models.clear()
    _tunings.clear()


def build(current_fingerprint: str) -> Built:
    """Read the history and fit the ranker (tuned on the latest cases) and the similarity index."""
    started = time.perf_counter()
    rows = _case_rows()
    leads, cos = defaultdict(list), defaultdict(list)
    for case_id, unit_id, role in db.session.execute(
            select(Assignment.case_id, Assignment.unit_id, Assignment.role)
            .where(Assignment.state != "returned").order_by(Assignment.id)):
        (leads if role in LEAD_ROLES else cos)[case_id].append(unit_id)
    items = [_row_item(r, leads[r.id], cos[r.id]) for r in rows]
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.active.is_(True))).all())
    history = [i for i in items if i.leads]
    ranker = UnitRanker(*_tuned(history, names)).fit(history, names) if history or names else None
    led_by, co_by = defaultdict(list), defaultdict(list)
    for row, item in enumerate(items):
        for u in item.leads:
            led_by[u].append(row)
        for u in item.cos:
            co_by[u].append(row)
    return Built(
        fingerprint=current_fingerprint, ranker=ranker,
        index=SimilarityIndex(items, DUPLICATE_CATEGORY_WEIGHT),
        case_ids=np.array([r.id for r in rows], dtype=np.int64),
        session_ids=np.array([r.session_id for r in rows], dtype=np.int64),
        years=np.array([r.year for r in rows], dtype=np.int64), items=items,
        assigned=np.array([row for row, item in enumerate(items) if item.leads], dtype=np.int64),
        led_by={u: np.array(v) for u, v in led_by.items()}, co_by={u: np.array(v) for u, v in co_by.items()},
        max_case_id=rows[-1].id if rows else 0, seconds=round(time.perf_counter() - started, 3))


def _case_rows(*where, visible: bool = True) -> list:
    """Cases as the models read them, oldest first; ``visible``: not withdrawn or merged."""
    return db.session.execute(
        select(Case.id, Case.body, Case.title, Case.text, Category.name, Case.session_id, Session.year)
        .join(Session, Session.id == Case.session_id).outerjoin(Category, Category.id == Case.category_id)
        .where(*where, *((Case.state.not_in(HIDDEN_STATES),) if visible else ())).order_by(Case.id)).all()


def _row_item(row, leads=(), cos=()) -> Item:
    return Item(title=row.title, category=row.name or "", text=row.text or "", body=row.body,
                leads=tuple(leads), cos=tuple(cos), ref=row.id)


@dataclass(frozen=True)
class _Asked:
    """The case a hint is asked for: how the models see it, its session, the units already on it."""

    item: Item
    session_id: int
    year: int
    on_case: frozenset[int]


def _asked(case_id: int) -> _Asked:
    rows = _case_rows(Case.id == case_id, visible=False)
    if not rows:
        raise NotFound(_("记录不存在。"))
    on_case = db.session.scalars(
        select(Assignment.unit_id).where(Assignment.case_id == case_id, Assignment.state != "returned"))
    return _Asked(_row_item(rows[0]), rows[0].session_id, rows[0].year, frozenset(on_case))


def _tuned(history: list[Item], names: dict[int, str]) -> tuple[Params, float]:
    """Parameters and temperature by cross-validation on the latest cases, kept while history grows
    by less than a fifth (tuning costs a few dozen fits; a rebuild with them, one)."""
    key = _db_key()
    tuned = _tunings.get(key)
    if tuned is None or len(history) > RETUNE_GROWTH * tuned[0] or len(history) < tuned[0]:
        sample = history[-int(current_app.config["SUGGEST_TUNE_CASES"]):]
        params, temperature, _ = tune(sample, names)
        tuned = _tunings[key] = (len(history), params, temperature)
    return tuned[1], tuned[2]


# -- lead-unit suggestions -----------------------------------------------------------------------

@dataclass(frozen=True)
class CaseRef:
    """A past case cited as support or shown as similar."""

    case_id: int
    number: int
    number_label: str
    title: str
    session_name: str
    similarity: float


@dataclass
class UnitHint:
    unit_id: int
    unit_name: str
    confidence: float
    support: list[CaseRef] = field(default_factory=list)


@dataclass
class Suggestion:
    suggestion_id: int | None  # the log row, to which 交办 adds the dispatcher's choice
    leads: list[UnitHint]
    cos: list[UnitHint]
    pending: bool = False  # the model is still being built: ask again in a moment


def suggest_units(actor: User, case_id: int, k: int = 3, record: bool = True) -> Suggestion:
    """The ``k`` most likely lead units and co-units of a case, each with the past cases behind it.

    Only active units that are not already on the case are suggested. With ``record`` the
    suggestion is logged, so the dispatcher's choice at 交办 can be set beside it.
    """
    _require(actor, SUGGEST_ROLES)
    case = _asked(case_id)
    current, units = snapshot()
    built = model(current)
    if built is None:
        return Suggestion(None, [], [], pending=True)
    allowed = {u.id for u in units if u.active} - case.on_case
    item = case.item
    sims = _similarities(built, item, exclude_case_id=case_id)
    leads: list[tuple[int, float]] = []
    if built.ranker is not None:
        ranking = built.ranker.rank([item], k=k, allowed=allowed)[0]
        leads = list(zip(ranking.units, ranking.confidences))
    cos = _co_units(built, sims, allowed - {u for u, _ in leads}, k)
    support = {("lead", u): _best_rows(sims, built.led_by.get(u)) for u, _ in leads}
    support |= {("co", u): _best_rows(sims, built.co_by.get(u)) for u, _ in cos}
    refs = _case_refs(built, sims, {row for rows in support.values() for row in rows})
    names = {u.id: u.name for u in units}

    def hints(role, pairs):
        return [UnitHint(u, names[u], round(c, 4), [refs[r] for r in support[(role, u)] if r in refs])
                for u, c in pairs]

    suggestion_id = None
    if record and (leads or cos):
        with transaction():
            row = suggestion_log.store(case_id, actor.id, built.fingerprint, leads, cos)
            db.session.flush()
            suggestion_id = row.id
    return Suggestion(suggestion_id, hints("lead", leads), hints("co", cos))


def _similarities(built: Built, item: Item, exclude_case_id: int | None = None) -> np.ndarray:
    sims = built.index.similarities([item])[0]
    if exclude_case_id is not None:
        sims[built.case_ids == exclude_case_id] = -1.0
    return sims


def _most_similar(sims: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` of ``rows`` with the highest similarity, best first (a partition, then a sort of n)."""
    if len(rows) > n:
        rows = rows[np.argpartition(-sims[rows], n - 1)[:n]]
    return rows[np.argsort(-sims[rows], kind="stable")]


def _best_rows(sims: np.ndarray, rows: np.ndarray | None, n: int = SUPPORT) -> list[int]:
    """The ``n`` rows of ``rows`` most similar to the query (similarity above zero)."""
    if rows is None or not len(rows):
        return []
    return [int(r) for r in _most_similar(sims, rows, n) if sims[r] > 0]


def _co_units(built: Built, sims: np.ndarray, allowed: set[int], k: int) -> list[tuple[int, float]]:
    """Co-units voted by the most similar assigned cases, each vote weighted by its similarity."""
    assigned = built.assigned
    if not len(assigned):
        return []
    near = _most_similar(sims, assigned, NEIGHBOURS)
    near = near[sims[near] > 0]
    total = float(sims[near].sum())
    votes: dict[int, float] = defaultdict(float)
    for row in near:
        for u in built.items[row].cos:
            if u in allowed:
                votes[u] += float(sims[row])
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [(u, v / total) for u, v in ranked] if total else []


def _case_refs(built: Built, sims: np.ndarray, rows: set[int]) -> dict[int, CaseRef]:
    ids = {int(built.case_ids[r]): r for r in rows}
    found = db.session.execute(
        select(Case.id, Case.number, Case.title, Session.name).join(Session, Session.id == Case.session_id)
        .where(Case.id.in_(ids))).all()
    return {ids[c.id]: CaseRef(c.id, c.number, _("第%(number)s号", number=c.number), c.title, c.name, round(float(sims[ids[c.id]]), 4))
            for c in found}


# -- similar cases (并案 hints and 往年类似) ----------------------------------------------------------

@dataclass(frozen=True)
class PastReply:
    reply_id: int
    unit_name: str
    result_class: str
    replied_on: date


@dataclass(frozen=True)
class SimilarCase:
    case: CaseRef
    year: int
    state_label: str
    likely_duplicate: bool
    reply: PastReply | None = None


@dataclass
class SimilarCases:
    same_session: list[SimilarCase]
    earlier: list[SimilarCase]  # 往年类似, with their replies
    threshold: float
    pending: bool = False  # the model is still being built: ask again in a moment


def similar_cases(actor: User, case_id: int, k: int = 5) -> SimilarCases:
    """The cases most like ``case_id``: of its session (possible duplicates) and of earlier years.

    Only cases ``actor`` may see are shown (a unit's people: their unit's cases).
    """
    _require_similar(actor)
    case = _asked(case_id)
    return _similar(actor, case.item, case.session_id, case.year, k, exclude_case_id=case_id)


def similar_to(actor: User, session_id: int, title: str, category_id: int | None = None, text: str = "",
               k: int = 5) -> SimilarCases:
    """The same for a case being registered (not stored yet): hints while the form is filled."""
    _require_similar(actor)
    session = get(Session, session_id)
    category = db.session.get(Category, category_id) if category_id else None
    return _similar(actor, Item(title=title, category=category.name if category else "", text=text, body=session.body),
                    session.id, session.year, k)


def _similar(actor: User, item: Item, session_id: int, year: int, k: int, exclude_case_id: int | None = None) -> SimilarCases:
    threshold = float(current_app.config["SUGGEST_DUPLICATE_THRESHOLD"])
    built = model()
    if built is None:
        return SimilarCases([], [], threshold, pending=True)
    sims = _similarities(built, item, exclude_case_id)
    case_ids, session_ids, years = built.case_ids, built.session_ids, built.years
    fresh = _fresh_cases(built, item, exclude_case_id)  # registered after the build
    if fresh:
        case_ids = np.concatenate([case_ids, [f[0] for f in fresh]])
        session_ids = np.concatenate([session_ids, [f[1] for f in fresh]])
        years = np.concatenate([years, [f[2] for f in fresh]])
        sims = np.concatenate([sims, [f[3] for f in fresh]])
    same = _top(actor, sims, case_ids, np.flatnonzero(session_ids == session_id), k, threshold)
    earlier = _top(actor, sims, case_ids, np.flatnonzero(years < year), k, threshold, with_replies=True)
    return SimilarCases(same, earlier, threshold)


def _fresh_cases(built: Built, item: Item, exclude_case_id: int | None) -> list[tuple[int, int, int, float]]:
    rows = [r for r in _case_rows(Case.id > built.max_case_id) if r.id != exclude_case_id]
    if not rows:
        return []
    featurizer = built.index.featurizer
    matrix = featurizer.transform([featurizer.parts(_row_item(r)) for r in rows])
    values = (featurizer.transform([featurizer.parts(item)]) @ matrix.T).toarray()[0]
    return [(r.id, r.session_id, r.year, float(v)) for r, v in zip(rows, values)]


def _top(actor: User, sims: np.ndarray, case_ids: np.ndarray, pool: np.ndarray, k: int, threshold: float,
         with_replies: bool = False) -> list[SimilarCase]:
    """The ``k`` most similar cases of ``pool`` that are not withdrawn or merged and ``actor`` may see."""
    pool = pool[sims[pool] > 0]
    if spec.scope_of(actor.role) != "all":  # the unit's cases may be few among the most similar
        pool = pool[np.isin(case_ids[pool], db.session.scalars(select(Case.id).where(case_filter(actor))).all())]
    order = _most_similar(sims, pool, k * 3)  # room for cases hidden since the build
    by_id = {int(case_ids[r]): float(sims[r]) for r in order}
    cases = {c.id: c for c in db.session.scalars(
        select(Case).options(joinedload(Case.session))
        .where(Case.id.in_(by_id), Case.state.not_in(HIDDEN_STATES), case_filter(actor)))}
    chosen = [cid for cid in by_id if cid in cases][:k]
    replies = _latest_replies(chosen) if with_replies else {}
    return [SimilarCase(
        CaseRef(cid, cases[cid].number, cases[cid].number_label, cases[cid].title, cases[cid].session.name, round(by_id[cid], 4)),
        cases[cid].session.year, cases[cid].state_label, by_id[cid] >= threshold, replies.get(cid))
        for cid in chosen]


def _latest_replies(case_ids: list[int]) -> dict[int, PastReply]:
    """Each case's latest sent reply of a lead unit."""
    found: dict[int, PastReply] = {}
    rows = db.session.execute(
        select(Reply, Unit.name).options(joinedload(Reply.result_class))
        .join(Assignment, Assignment.id == Reply.assignment_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Reply.case_id.in_(case_ids), Reply.replied_at.is_not(None), Assignment.role.in_(LEAD_ROLES))
        .order_by(Reply.replied_at)).all()
    for reply, unit_name in rows:
        found[reply.case_id] = PastReply(reply.id, unit_name, reply.result_class.label if reply.result_class else "",
                                         reply.replied_at.astimezone(clock.LOCAL_TZ).date())
    return found
