"""District statistics (统计口径, DESIGN §5), each figure one SQL aggregation.

Population: the assignments (承办) of every case that was not withdrawn or merged, except those
returned (已退回). 主办 means ``lead`` and 分办 ``split`` (each split unit answers for its part);
会办 means ``co``. A :class:`Filter` narrows it by unit, body (人大建议 / 政协提案), session (届次),
the session's year, and a date range (inclusive, Shanghai dates) applied to:

- the 交办 date (assigned_at) for what counts assignments: 承办数, 办复率, 按期办复率,
  会办及时率, 见面率 / 沟通率, overdue and traffic lights;
- the first reply date (首次答复) for what counts replied cases: 解决采纳率 and the class
  distribution, 满意率, 主动公开率, average handling days, 回头看 conversions.

Assignment figures count assignments (a case with two split units counts twice); case figures
(满意率, 见面率, 公开率, 回头看) count distinct cases, so a unit's row counts its own cases and
the district total counts each case once. Every count reads the stored facts, one row per
assignment (``caseflow.facts``: derived from the event log and the rows the services write with
it — replies, co-opinions, feedback, contacts, disclosures, follow-ups — in the same transaction,
and checked by ``flask stats rebuild --check``).

Every function takes a :class:`Filter` and returns plain dataclasses; :func:`table` gives every
figure for the whole population and for every unit in three grouped queries, each computing the
total and the units' rows together (dashboard, PDF reports).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from sqlalchemy import Integer, Select, Subquery, and_, case, distinct, func, literal, or_, select, true, tuple_, union_all

from caseflow import clock
from caseflow.extensions import db
from caseflow.facts import days_between, postgres
from caseflow.models import AssignmentFact, Disclosure, Reply, ResultClass, Unit
from caseflow.models.feedback import SATISFACTION
from caseflow.workflow import spec


@dataclass(frozen=True)
class Filter:
    start: date | None = None  # inclusive; 交办 or first-reply date, see the module docstring
    end: date | None = None
    unit_id: int | None = None
    body: str | None = None
    session_id: int | None = None
    year: int | None = None  # the session's year
    as_of: date | None = None  # "today" for what is due or overdue; default: today


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    rate: Decimal | None  # numerator ÷ denominator to 4 places; None when there is nothing to count

    @classmethod
    def of(cls, numerator: int | None, denominator: int | None) -> Rate:
        n, d = int(numerator or 0), int(denominator or 0)
        return cls(n, d, (Decimal(n) / Decimal(d)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if d else None)

    @property
    def percent(self) -> str:
        """"95.5%", or "—" when there is nothing to count."""
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass(frozen=True)
class Handled:
    """承办数: lead (主办, 分办) and co (会办) assignments."""

    lead: int
    co: int

    @property
    def total(self) -> int:
        return self.lead + self.co


@dataclass(frozen=True)
class Satisfaction:
    """满意率 and 满意率(含基本满意) over the evaluated cases, and the 不满意 cases."""

    satisfied: Rate  # 满意 ÷ evaluated
    satisfied_or_basic: Rate  # (满意 + 基本满意) ÷ evaluated
    dissatisfied: int  # 不满意件数


@dataclass(frozen=True)
class ClassCount:
    label: str | None  # None: replied without a result class
    count: int


@dataclass(frozen=True)
class DisclosureFigures:
    published: Rate  # 主动公开率: published ÷ replied lead cases
    withheld: int  # 不予公开件数
    reasons: list[tuple[str, int]] = field(default_factory=list)  # (reason, cases), most frequent first


@dataclass(frozen=True)
class Average:
    count: int
    days: Decimal | None  # to 1 place; None when nothing was replied


@dataclass(frozen=True)
class Lights:
    """Traffic light of open assignments: green > yellow days left, yellow ≤, red overdue."""

    green: int
    yellow: int
    red: int


@dataclass(frozen=True)
class Figures:
    """Every figure of DESIGN §5 for one population (a unit, or the district)."""

    handled: Handled
    reply_rate: Rate
    on_time_rate: Rate
    co_timely_rate: Rate
    adoption_rate: Rate
    classes: list[ClassCount]
    satisfaction: Satisfaction
    first_satisfaction: Satisfaction
    meeting_rate: Rate
    contact_rate: Rate
    disclosure: DisclosureFigures
    handling_days: Average
    lights: Lights
    conversions: Rate

    @property
    def overdue(self) -> int:
        return self.lights.red


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int
    unit_name: str
    figures: Figures


# -- SQL building blocks ---------------------------------------------------------------------------


def _facts(f: Filter) -> Subquery:
    """One row per assignment of the population, with what the figures count (the stored facts,
    ``caseflow.facts``, narrowed by the filter)."""
    x = AssignmentFact
    due_then = x.due_then if current_app.config["STATS_EXTENSION_COUNTS"] else x.due_then_assigned
    query = select(
        x.assignment_id.label("id"), x.case_id, x.unit_id, x.due_date, x.lead, x.open, x.assigned_on,
        x.replied_at, x.replied_on, x.opinion_on, due_then.label("due_then"), x.class_id,
        x.class_id.in_(select(ResultClass.id).where(ResultClass.adopted)).label("adopted"),
        x.first_overall, x.final_overall, x.met, x.contacted, x.published, x.withheld, x.followed_up, x.converted,
    )
    for column, value in ((x.unit_id, f.unit_id), (x.body, f.body), (x.session_id, f.session_id), (x.year, f.year)):
        if value is not None:
            query = query.where(column == value)
    return query.subquery("facts")


def _in_range(day: Any, f: Filter) -> Any:
    return and_(true(), *([day >= f.start] if f.start else []), *([day <= f.end] if f.end else []))


def _conditions(x: Any, f: Filter) -> dict[str, tuple[bool, Any]]:
    """What each count counts, over the facts ``x``: name → (counts distinct cases?, condition)."""
    as_of = f.as_of or clock.today()
    yellow_until = as_of + timedelta(days=current_app.config["LIGHT_YELLOW_DAYS"])
    assigned = _in_range(x.assigned_on, f)
    lead, co = and_(x.lead, assigned), and_(~x.lead, assigned)
    replied = and_(x.lead, x.replied_at.is_not(None), _in_range(x.replied_on, f))
    open_ = and_(x.open, assigned)
    return {
        "lead": (False, lead), "co": (False, co),
        "replied": (False, and_(lead, x.replied_at.is_not(None))),
        "due": (False, and_(lead, or_(x.replied_at.is_not(None), x.due_date < as_of))),
        "on_time": (False, and_(lead, x.replied_on <= x.due_then)),
        "co_due": (False, and_(co, or_(x.opinion_on.is_not(None), x.due_date < as_of))),
        "co_timely": (False, and_(co, x.opinion_on <= x.due_then)),
        "lead_cases": (True, lead), "met": (True, and_(lead, x.met)), "contacted": (True, and_(lead, x.contacted)),
        "red": (False, and_(open_, x.due_date < as_of)),
        "yellow": (False, and_(open_, x.due_date >= as_of, x.due_date <= yellow_until)),
        "green": (False, and_(open_, x.due_date > yellow_until)),
        "answered": (False, replied), "adopted": (False, and_(replied, x.adopted)),
        "replied_cases": (True, replied),
        "published": (True, and_(replied, x.published)), "withheld": (True, and_(replied, x.withheld)),
        "followed_up": (True, and_(replied, x.followed_up)), "converted": (True, and_(replied, x.converted)),
        **{f"{which}_{answer}": (True, and_(replied, getattr(x, f"{which}_overall") == answer))
           for which in ("first", "final") for answer in ("satisfied", "basically_satisfied", "dissatisfied")},
        "final_satisfied_or_basic": (True, and_(replied, x.final_overall.in_(("satisfied", "basically_satisfied")))),
        **{f"{which}_evaluated": (True, and_(replied, getattr(x, f"{which}_overall").in_(SATISFACTION)))
           for which in ("first", "final")},
    }


LINKS_ONLY = ("final_satisfied_or_basic", "first_evaluated", "final_evaluated")  # rates add their parts


def _aggregates(x: Any, f: Filter) -> dict[str, Any]:
    """Every count the figures need, over the facts ``x``."""
    conditions = {name: c for name, c in _conditions(x, f).items() if name not in LINKS_ONLY}
    counts = {name: func.count(distinct(case((condition, x.case_id)))) if by_case else func.count(case((condition, 1)))
              for name, (by_case, condition) in conditions.items()}
    replied = conditions["answered"][1]
    return {**counts, "days": func.avg(case((replied, days_between(x.replied_on, x.assigned_on))))}


def cases_behind(f: Filter, count: str) -> Select:
    """The ids of the cases one count of the figures is made of (the dashboard links each
    figure to this list): e.g. ``on_time`` for 按期办复率's numerator, ``red`` for the overdue."""
    x = _facts(f).c
    condition = _conditions(x, f)[count][1]
    return select(x.case_id).where(condition).distinct()


def _select(f: Filter, names: tuple[str, ...] | None = None, by_unit: bool = False) -> Select:
    x = _facts(f).c
    columns = {k: v for k, v in _aggregates(x, f).items() if names is None or k in names}
    query = select(*(v.label(k) for k, v in columns.items()))
    return _and_by_unit(query, x.unit_id) if by_unit else query


def _and_by_unit(query: Select, unit_id: Any, *keys: Any) -> Select:
    """``query`` grouped by ``keys`` for the whole population and by unit and ``keys``, in one
    statement: its last column ``unit_id`` is NULL on the whole population's rows. GROUPING SETS
    on PostgreSQL (one scan of the facts); SQLite has none: the two groupings' UNION ALL."""
    if postgres():
        return query.add_columns(unit_id.label("unit_id")).group_by(
            func.grouping_sets(tuple_(unit_id, *keys), tuple_(*keys)))
    return union_all(query.add_columns(unit_id.label("unit_id")).group_by(unit_id, *keys),
                     query.add_columns(literal(None, Integer).label("unit_id")).group_by(*keys))


def _row(f: Filter, *names: str) -> Any:
    return db.session.execute(_select(f, names)).one()


def _satisfaction(row: Any, which: str) -> Satisfaction:
    s, b, d = (getattr(row, f"{which}_{a}") for a in ("satisfied", "basically_satisfied", "dissatisfied"))
    return Satisfaction(Rate.of(s, s + b + d), Rate.of(s + b, s + b + d), d)


def _average(count: int, days: Any) -> Average:
    return Average(count, None if days is None else Decimal(str(days)).quantize(Decimal("0.1"), ROUND_HALF_UP))


SATISFACTION_COLUMNS = tuple(f"{w}_{a}" for w in ("first", "final")
                             for a in ("satisfied", "basically_satisfied", "dissatisfied"))


# -- the figures ------------------------------------------------------------------------------------


def handled(f: Filter) -> Handled:
    """承办数 (cases handled): 主办 (lead, split) and 会办 (co) assignments, counted separately,
    by 交办 date (长宁 2023: 主办 3 + 会办 8 = 11)."""
    row = _row(f, "lead", "co")
    return Handled(row.lead, row.co)


def reply_rate(f: Filter) -> Rate:
    """办复率 (reply rate) = lead assignments replied ÷ lead assignments due (应办复: replied, or past
    their due date on ``as_of``), by 交办 date."""
    row = _row(f, "replied", "due")
    return Rate.of(row.replied, row.due)


def on_time_rate(f: Filter) -> Rate:
    """按期办复率 (on-time reply rate) = lead assignments whose first reply came on or before the due
    date then in force (an approved 延期 counts, unless STATS_EXTENSION_COUNTS is off) ÷ lead
    assignments due (as for 办复率; at year end every one is due), by 交办 date."""
    row = _row(f, "on_time", "due")
    return Rate.of(row.on_time, row.due)


def co_timely_rate(f: Filter) -> Rate:
    """会办及时率 (co-opinion timeliness) = co assignments whose 会办意见 was sent by its due date
    (1 month after 交办, or as extended) ÷ co assignments due, by 交办 date."""
    row = _row(f, "co_timely", "co_due")
    return Rate.of(row.co_timely, row.co_due)


def adoption_rate(f: Filter) -> Rate:
    """解决采纳率 (adoption rate) = replied lead assignments whose latest reply is in an adopted class
    (人大: 解决采纳, 政协: 解决或采纳; ``ResultClass.adopted``) ÷ replied lead assignments, by
    first-reply date."""
    row = _row(f, "adopted", "answered")
    return Rate.of(row.adopted, row.answered)


def class_distribution(f: Filter) -> list[ClassCount]:
    """办理结果分类 (result classes) of the replied lead assignments (latest reply), by first-reply
    date, in the classes' order; ``None`` counts replies without a class."""
    return _classes(f, by_unit=False)[None]


def _classes(f: Filter, by_unit: bool) -> dict[int | None, list[ClassCount]]:
    """The class counts of the population (key ``None``) and, ``by_unit``, of each unit."""
    facts = _facts(f)
    x = facts.c
    query = (select(ResultClass.label, func.count().label("n"),
                    func.min(func.coalesce(ResultClass.position, 999)).label("position"))
             .select_from(facts).outerjoin(ResultClass, ResultClass.id == x.class_id)
             .where(x.lead, x.replied_at.is_not(None), _in_range(x.replied_on, f)))
    rows = db.session.execute(_and_by_unit(query, x.unit_id, ResultClass.label) if by_unit
                              else query.add_columns(literal(None, Integer)).group_by(ResultClass.label)).all()
    found: dict[int | None, list[ClassCount]] = {None: []}
    for label, n, _, unit_id in sorted(rows, key=lambda r: (r.position, r.label or "")):
        found.setdefault(unit_id, []).append(ClassCount(label, n))
    return found


def satisfaction(f: Filter, first: bool = False) -> Satisfaction:
    """满意率 (satisfaction) = 满意 ÷ evaluated cases; 满意率(含基本满意) = (满意 + 基本满意) ÷ evaluated;
    不满意件数. Over replied lead cases, by first-reply date. The final evaluation is the proposer's
    latest answer (征询期满未反馈 is no evaluation); ``first=True`` gives 初次满意率 from the
    first evaluation (a first round that lapsed counts as not evaluated)."""
    return _satisfaction(_row(f, *SATISFACTION_COLUMNS), "first" if first else "final")


def meeting_rate(f: Filter) -> Rate:
    """见面率 (face-to-face rate) = lead cases with a 见面 contact by the lead unit on or before its
    first reply (any so far, if not replied yet) ÷ lead cases, by 交办 date."""
    row = _row(f, "met", "lead_cases")
    return Rate.of(row.met, row.lead_cases)


def contact_rate(f: Filter) -> Rate:
    """沟通率 (contact rate): as 见面率, with a contact of any kind (见面, 电话, 线上)."""
    row = _row(f, "contacted", "lead_cases")
    return Rate.of(row.contacted, row.lead_cases)


def disclosure(f: Filter) -> DisclosureFigures:
    """主动公开率 (disclosure rate) = replied lead cases with a published reply ÷ replied lead cases;
    不予公开 cases with their reasons. By first-reply date."""
    row = _row(f, "published", "replied_cases", "withheld")
    return DisclosureFigures(Rate.of(row.published, row.replied_cases), row.withheld, disclosure_reasons(f))


def disclosure_reasons(f: Filter) -> list[tuple[str, int]]:
    """不予公开 reasons with their number of cases, most frequent first."""
    return _reasons(f, by_unit=False)[None]


def _reasons(f: Filter, by_unit: bool) -> dict[int | None, list[tuple[str, int]]]:
    """The reasons of the population (key ``None``) and, ``by_unit``, of each unit."""
    facts = _facts(f)
    x = facts.c
    query = (select(Disclosure.reason, func.count(distinct(Disclosure.case_id)).label("n"))
             .select_from(facts).join(Reply, Reply.assignment_id == x.id)
             .join(Disclosure, Disclosure.reply_id == Reply.id)
             # the facts' flag first: only the few withheld rows are joined to their replies
             .where(x.withheld, Disclosure.state.in_(spec.group("disclosure", "kept_private")), x.lead,
                    x.replied_at.is_not(None), _in_range(x.replied_on, f)))
    rows = db.session.execute(_and_by_unit(query, x.unit_id, Disclosure.reason) if by_unit
                              else query.add_columns(literal(None, Integer)).group_by(Disclosure.reason)).all()
    found: dict[int | None, list[tuple[str, int]]] = {None: []}
    for reason, n, unit_id in sorted(rows, key=lambda r: (-r.n, r.reason)):
        found.setdefault(unit_id, []).append((reason, n))
    return found


def handling_days(f: Filter) -> Average:
    """Average handling days (平均办理天数): calendar days from 交办 to the first reply, over replied
    lead assignments, by first-reply date."""
    row = _row(f, "answered", "days")
    return _average(row.answered, row.days)


def traffic_lights(f: Filter) -> Lights:
    """Traffic light (红黄绿灯) of the open assignments (lead and co; cases not closed) on ``as_of``:
    red overdue, yellow ≤ LIGHT_YELLOW_DAYS (15) days left, green more."""
    row = _row(f, "green", "yellow", "red")
    return Lights(row.green, row.yellow, row.red)


def overdue_count(f: Filter) -> int:
    """逾期件数 (overdue): open assignments past their due date on ``as_of`` (the red light)."""
    return traffic_lights(f).red


def follow_up_conversions(f: Filter) -> Rate:
    """回头看 conversions (回头看转化) = replied lead cases whose 回头看 record raised the result class
    (to one listed before the class at the reply) ÷ replied lead cases with a 回头看 record, by
    first-reply date."""
    row = _row(f, "converted", "followed_up")
    return Rate.of(row.converted, row.followed_up)


def _figures(row: Any, classes: list[ClassCount], reasons: list[tuple[str, int]]) -> Figures:
    return Figures(
        handled=Handled(row.lead, row.co),
        reply_rate=Rate.of(row.replied, row.due),
        on_time_rate=Rate.of(row.on_time, row.due),
        co_timely_rate=Rate.of(row.co_timely, row.co_due),
        adoption_rate=Rate.of(row.adopted, row.answered),
        classes=classes,
        satisfaction=_satisfaction(row, "final"),
        first_satisfaction=_satisfaction(row, "first"),
        meeting_rate=Rate.of(row.met, row.lead_cases),
        contact_rate=Rate.of(row.contacted, row.lead_cases),
        disclosure=DisclosureFigures(Rate.of(row.published, row.replied_cases), row.withheld, reasons),
        handling_days=_average(row.answered, row.days),
        lights=Lights(row.green, row.yellow, row.red),
        conversions=Rate.of(row.converted, row.followed_up),
    )


@dataclass(frozen=True)
class Table:
    total: Figures  # the filter's whole population (the district, or one unit)
    units: list[UnitFigures]  # each unit with assignments in it, by name


def table(f: Filter) -> Table:
    """Every figure for the filter's whole population and for each unit in it: three grouped
    queries (the counts, the classes, the 不予公开 reasons), each giving the total's rows and the
    units' together, and the units' names."""
    rows = {r.unit_id: r for r in db.session.execute(_select(f, by_unit=True))}
    classes, reasons = _classes(f, by_unit=True), _reasons(f, by_unit=True)
    figures = {unit_id: _figures(row, classes.get(unit_id, []), reasons.get(unit_id, []))
               for unit_id, row in rows.items()}
    total = figures.pop(None)
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(figures))).all())
    return Table(total, [UnitFigures(unit_id, names[unit_id], figures[unit_id])
                         for unit_id in sorted(figures, key=lambda u: names[u])])


def summary(f: Filter) -> Figures:
    """Every figure for the filter's whole population (the district, or one unit)."""
    row = db.session.execute(_select(f)).one()
    return _figures(row, class_distribution(f), disclosure_reasons(f))


def unit_table(f: Filter) -> list[UnitFigures]:
    """Every figure for every unit with assignments in the filter, by unit name."""
    return table(f).units
