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

from caseflow.stats import Figures, Rate


@dataclass(frozen=True)
class Figure:
    key: str
    header: str  # the Chinese label; "|" marks where a narrow table header may break
    counts: str  # the count of caseflow.stats the figure shows (a rate's numerator): its case list
    over: str | None  # a rate's denominator count, or None
    value: Callable[[Figures], Any]  # a Rate, an int, or a Decimal number of days (None: nothing yet)
    what: str  # what the cases behind it are, as the case list says (「统计口径：按期答复」)
    table: str | None = None  # the district report's table: progress (表1), quality (表2); None: lights
    hint: str = ""  # a light's days, with %(d)s for LIGHT_YELLOW_DAYS

    @property
    def label(self) -> str:
        return self.header.replace("|", "")

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
    Figure("lead", "主办", "lead", None, lambda x: x.handled.lead, "主办（含分办）", "progress"),
    Figure("co", "会办", "co", None, lambda x: x.handled.co, "会办", "progress"),
    Figure("reply_rate", "办复率", "replied", "due", lambda x: x.reply_rate, "主办已答复", "progress"),
    Figure("on_time_rate", "按期|办复率", "on_time", "due", lambda x: x.on_time_rate, "按期答复", "progress"),
    Figure("co_timely_rate", "会办|及时率", "co_timely", "co_due", lambda x: x.co_timely_rate, "会办意见按时",
           "progress"),
    Figure("adoption_rate", "解决|采纳率", "adopted", "answered", lambda x: x.adoption_rate, "解决采纳", "progress"),
    Figure("handling_days", "平均办理|天数", "answered", None, lambda x: x.handling_days.days,
           "已答复（计入平均天数）", "progress"),
    Figure("overdue", "超期", "red", None, lambda x: x.lights.red, "超期", "progress"),
    # 表2 办理质量、沟通与公开
    Figure("satisfied", "满意率", "final_satisfied", "final_evaluated", lambda x: x.satisfaction.satisfied, "满意",
           "quality"),
    Figure("satisfied_or_basic", "满意率|（含基本满意）", "final_satisfied_or_basic", "final_evaluated",
           lambda x: x.satisfaction.satisfied_or_basic, "满意或基本满意", "quality"),
    Figure("first_satisfied", "初次|满意率", "first_satisfied", "first_evaluated",
           lambda x: x.first_satisfaction.satisfied, "初次评价满意", "quality"),
    Figure("dissatisfied", "不满意", "final_dissatisfied", None, lambda x: x.satisfaction.dissatisfied, "不满意",
           "quality"),
    Figure("meeting_rate", "见面率", "met", "lead_cases", lambda x: x.meeting_rate, "答复前见面沟通", "quality"),
    Figure("contact_rate", "沟通率", "contacted", "lead_cases", lambda x: x.contact_rate, "答复前沟通联系", "quality"),
    Figure("disclosure_rate", "主动|公开率", "published", "replied_cases", lambda x: x.disclosure.published, "已公开",
           "quality"),
    Figure("withheld", "不予|公开", "withheld", None, lambda x: x.disclosure.withheld, "不予公开", "quality"),
    Figure("conversions", "回头看|转化", "converted", None, lambda x: x.conversions.numerator, "回头看结果提升",
           "quality"),
    # the traffic lights of open assignments
    Figure("green", "正常", "green", None, lambda x: x.lights.green, "正常", hint="剩余超过 %(d)s 天"),
    Figure("yellow", "临期", "yellow", None, lambda x: x.lights.yellow, "临期", hint="剩余 %(d)s 天以内"),
]
BY_KEY = {f.key: f for f in FIGURES}
LIGHTS = [BY_KEY["green"], BY_KEY["yellow"], BY_KEY["overdue"]]


def table(name: str | None = None) -> list[Figure]:
    """The figures of a district report table, or (None) every figure of the per-unit table."""
    return [f for f in FIGURES if f.table is not None and (name is None or f.table == name)]


def case_lists() -> dict[str, str]:
    """The counts a figure links to, with what their cases are (the case list's 「统计口径」)."""
    return {f.counts: f.what for f in FIGURES}


def yellow_days() -> int:
    """Days left at which an open assignment's light turns yellow (LIGHT_YELLOW_DAYS)."""
    return current_app.config["LIGHT_YELLOW_DAYS"]

