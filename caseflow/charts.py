"""Charts drawn on the server as SVG (pygal; no script, no network), embedded as data URIs so
they show in the browser under the page's CSP and in WeasyPrint's PDFs alike."""
from __future__ import annotations

import base64
import re
from collections.abc import Sequence

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from caseflow import stats, trend

STYLE = Style(
    font_family="'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif",
    background="white", plot_background="white", foreground="#1d2430", foreground_strong="#1d2430",
    foreground_subtle="#9aa3ad", colors=("#1f4e8c", "#c77700", "#2e7d32", "#b3261e", "#6b7480", "#7e57c2"),
    title_font_size=16, label_font_size=12, major_label_font_size=12, legend_font_size=13, value_font_size=12,
)
OPTIONS = dict(style=STYLE, js=[], disable_xml_declaration=False, width=720, height=320, margin=16,
               print_values=True, legend_at_bottom=True, show_y_guides=True)


SCRIPT = re.compile(rb"<script.*?</script>", re.S)


def data_uri(chart: pygal.graph.graph.Graph) -> str:
    """The chart as a data URI, without the config script pygal always writes (an image runs none)."""
    return "data:image/svg+xml;base64," + base64.b64encode(SCRIPT.sub(b"", chart.render())).decode()


def monthly_trend(title: str, series: dict[str, Sequence[int]]) -> str:
    chart = pygal.Line(title=title, x_labels=[_("%(month)s月", month=m) for m in range(1, 13)], **OPTIONS)
    for name, values in series.items():
        chart.add(name, list(values))
    return data_uri(chart)


def distribution(title: str, counts: Sequence[tuple[str, int]]) -> str:
    chart = pygal.Bar(title=title, x_labels=[label for label, _ in counts], show_legend=False, **OPTIONS)
    chart.add(title, [n for _, n in counts])
    return data_uri(chart)


def figure_charts(f: stats.Filter, summary: stats.Figures) -> dict[str, str]:
    """The monthly trend, the result-class and the satisfaction distributions of a filter."""
    months = trend.monthly(f, f.year)
    s = summary.satisfaction
    basic = s.satisfied_or_basic.numerator - s.satisfied.numerator
    return {
        "trend": monthly_trend(_("%(year)s年按月交办与答复（件）", year=f.year), {
            _("交办（主办）"): [m.assigned for m in months], _("首次答复"): [m.replied for m in months]}),
        "classes": distribution(_("办理结果分类（件）"), [(c.label or _("未分类"), c.count) for c in summary.classes]),
        "satisfaction": distribution(_("征询意见（件）"), [
            (_("满意"), s.satisfied.numerator), (_("基本满意"), basic), (_("不满意"), s.dissatisfied)]),
    }
