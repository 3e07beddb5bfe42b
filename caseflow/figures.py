"""The statistics figures (DESIGN §5), each defined once: its label, the count of ``caseflow.stats``
it shows (for a rate: its numerator, over which count), and so the list of cases behind it.

The dashboard's table and traffic lights, its Excel export, the district report's two tables and
the case list's 「统计口径」 filter all read this list; ``caseflow.stats`` computes the counts.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app

from caseflow.i18n import N_, Labels, translate
from caseflow.stats import Figures, Rate


@dataclass(frozen=True)
class Figure:
    key: str
    header: str  # the Chinese label (a msgid); "|" marks where a narrow table header may break
    counts: str  # the count of caseflow.stats the figure shows (a rate's numerator): its case list
    over: str | None  # a rate's denominator count, or None
    value: Callable[[Figures], Any]  # a Rate, an int, or a Decimal number of days (None: nothing yet)
    what: str  # what the cases behind it are, as the case list says (「统计口径：按期答复」)
    table: str | None = None  # the district report's table: progress (表1), quality (表2); None: lights
    hint: str = ""  # a light's days, with %(d)s for LIGHT_YELLOW_DAYS

    @property
    def label(self) -> str:
        """The header in the request's language, on one line."""
        return translate(self.header).replace("|", "")

    @property
    def kind(self) -> str:
        return "rate" if self.over is not None else "days" if self.key == "handling_days" else "count"

    def shown(self, x: Figures) -> str:
        """The figure as a page or a report prints it: 95.5%, 12, 38.5, or — when there is nothing."""
        value = self.value(x)
        if isinstance(value, Rate):
            return value.percent
        return "—" if value is None else str(value)

    def number(self, x: Figures) -> float | int | None:
        """The figure for a spreadsheet: a rate as a fraction (formatted as a percentage there)."""
        value = self.value(x)
        if isinstance(value, Rate):
            return float(value.rate) if value.rate is not None else None
        return float(value) if isinstance(value, Decimal) else value


FIGURES: list[Figure] = [
    # 表1 办理进度
    Figure("lead", N_("主办"), "lead", None, lambda x: x.handled.lead, N_("主办（含分办）"), "progress"),
    Figure("co", N_("会办"), "co", None, lambda x: x.handled.co, N_("会办"), "progress"),
    Figure("reply_rate", N_("办复率"), "replied", "due", lambda x: x.reply_rate, N_("主办已答复"), "progress"),
    Figure("on_time_rate", N_("按期|办复率"), "on_time", "due", lambda x: x.on_time_rate, N_("按期答复"), "progress"),
    Figure("co_timely_rate", N_("会办|及时率"), "co_timely", "co_due", lambda x: x.co_timely_rate, N_("会办意见按时"),
           "progress"),
    Figure("adoption_rate", N_("解决|采纳率"), "adopted", "answered", lambda x: x.adoption_rate, N_("解决采纳"), "progress"),
    Figure("handling_days", N_("平均办理|天数"), "answered", None, lambda x: x.handling_days.days,
           N_("已答复（计入平均天数）"), "progress"),
    Figure("overdue", N_("超期"), "red", None, lambda x: x.lights.red, N_("超期"), "progress"),
    # 表2 办理质量、沟通与公开
    Figure("satisfied", N_("满意率"), "final_satisfied", "final_evaluated", lambda x: x.satisfaction.satisfied, N_("满意"),
           "quality"),
    Figure("satisfied_or_basic", N_("满意率|（含基本满意）"), "final_satisfied_or_basic", "final_evaluated",
           lambda x: x.satisfaction.satisfied_or_basic, N_("满意或基本满意"), "quality"),
    Figure("first_satisfied", N_("初次|满意率"), "first_satisfied", "first_evaluated",
           lambda x: x.first_satisfaction.satisfied, N_("初次评价满意"), "quality"),
    Figure("dissatisfied", N_("不满意"), "final_dissatisfied", None, lambda x: x.satisfaction.dissatisfied, N_("不满意"),
           "quality"),
    Figure("meeting_rate", N_("见面率"), "met", "lead_cases", lambda x: x.meeting_rate, N_("答复前见面沟通"), "quality"),
    Figure("contact_rate", N_("沟通率"), "contacted", "lead_cases", lambda x: x.contact_rate, N_("答复前沟通联系"), "quality"),
    Figure("disclosure_rate", N_("主动|公开率"), "published", "replied_cases", lambda x: x.disclosure.published, N_("已公开"),
           "quality"),
    Figure("withheld", N_("不予|公开"), "withheld", None, lambda x: x.disclosure.withheld, N_("不予公开"), "quality"),
    Figure("conversions", N_("回头看|转化"), "converted", None, lambda x: x.conversions.numerator, N_("回头看结果提升"),
           "quality"),
    # the traffic lights of open assignments
    Figure("green", N_("正常"), "green", None, lambda x: x.lights.green, N_("正常"), hint=N_("剩余超过 %(d)s 天")),
    Figure("yellow", N_("临期"), "yellow", None, lambda x: x.lights.yellow, N_("临期"), hint=N_("剩余 %(d)s 天以内")),
]
BY_KEY = {f.key: f for f in FIGURES}
LIGHTS = [BY_KEY["green"], BY_KEY["yellow"], BY_KEY["overdue"]]


def table(name: str | None = None) -> list[Figure]:
    """The figures of a district report table, or (None) every figure of the per-unit table."""
    return [f for f in FIGURES if f.table is not None and (name is None or f.table == name)]


def case_lists() -> dict[str, str]:
    """The counts a figure links to, with what their cases are (the case list's 「统计口径」)."""
    return Labels({f.counts: f.what for f in FIGURES})


def yellow_days() -> int:
    """Days left at which an open assignment's light turns yellow (LIGHT_YELLOW_DAYS)."""
    return current_app.config["LIGHT_YELLOW_DAYS"]

