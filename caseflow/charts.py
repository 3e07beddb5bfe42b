"""Charts drawn on the server as SVG (pygal; no script, no network), embedded as data URIs so
they show in the browser under the page's CSP and in WeasyPrint's PDFs alike."""
from __future__ import annotations

import base64
import re
from collections.abc import Sequence

import pygal
from pygal.style import Style

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
    chart = pygal.Line(title=title, x_labels=[f"{m}月" for m in range(1, 13)], **OPTIONS)
    for name, values in series.items():
        chart.add(name, list(values))
    return data_uri(chart)


def distribution(title: str, counts: Sequence[tuple[str, int]]) -> str:
    chart = pygal.Bar(title=title, x_labels=[label for label, _ in counts], show_legend=False, **OPTIONS)
    chart.add(title, [n for _, n in counts])
    return data_uri(chart)
