"""The console's charts: SVG drawn on the server by pygal, put into the page as markup.

No chart script and no CDN: the page's Content-Security-Policy allows only our own files and no
inline style, so every chart leaves pygal without its `<style>` block, scripts or inline style
attributes; the stylesheet pygal would have inlined is served once, as `/console/charts.css`
(`stylesheet()`), keyed on the `vb-chart` class every chart carries. Text stays SVG text (the
page's CJK fonts draw the Chinese), and each bar or point has a `<title>` a person can hover.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any
from xml.etree.ElementTree import Element

import pygal
from markupsafe import Markup
from pygal.style import Style

FONT = '"PingFang SC", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", sans-serif'
CLASS = "vb-chart"
STYLE_ID = "vbchart"  # the id pygal prefixes its CSS with when the stylesheet is made
STYLE = Style(
    font_family=FONT,
    title_font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    tooltip_font_family=FONT,
    legend_font_family=FONT,
    no_data_font_family=FONT,
    background="transparent",
    plot_background="#ffffff",
    foreground="#1f2328",
    foreground_strong="#1f2328",
    foreground_subtle="#d0d7de",
    colors=("#c0392b",),
    guide_stroke_color="#d0d7de",
    major_guide_stroke_color="#afb8c1",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=14,
    no_data_font_size=18,
)
_ids = itertools.count(1)


def _local(tag: Any) -> str:
    """A tag without its namespace (pygal builds plain names; lxml would add `{ns}`)."""
    return str(tag).rsplit("}", 1)[-1]


def _classes(node: Element) -> set[str]:
    return set(node.get("class", "").split())


def _strip_for_csp(title: str) -> Callable[[Element], Element]:
    """An xml filter: no <style>, <script> or style="" left; the chart's name as its <title>;
    a hover <title> on every bar and point ("11-28: 3")."""

    def apply(root: Element) -> Element:
        for parent in list(root.iter()):
            for child in list(parent):
                tag = _local(child.tag)
                if tag in ("style", "script") or "tooltip-overlay" in _classes(child):
                    parent.remove(child)
        for node in root.iter():
            node.attrib.pop("style", None)
            if _local(node.tag) == "title" and node.text == "Pygal":
                node.text = title
            if _classes(node) & {"bar", "dots"}:
                descs = {
                    next(iter(_classes(d)), ""): d.text or ""
                    for d in node
                    if _local(d.tag) == "desc"
                }
                hover = Element("title")
                label = descs.get("x_label", "")
                hover.text = f"{label}: {descs.get('value', '')}" if label else descs.get("value")
                node.append(hover)
        root.set("role", "img")
        root.set("aria-label", title)
        return root

    return apply


def _config(title: str, no_data: str, **extra: Any) -> dict[str, Any]:
    return {
        "style": STYLE,
        "js": [],
        "classes": ("pygal-chart", CLASS),
        "show_legend": False,
        "no_data_text": no_data,
        "truncate_label": -1,
        "width": 640,
        "height": 300,
        "margin": 16,
        **extra,
    }


def _counts_axis(values: Sequence[int]) -> list[int]:
    """Whole-number ticks for counts (pygal would label a 0..3 axis 0, 0.2, 0.4...)."""
    top = max([*values, 1])
    step = max(1, -(-top // 5))
    return list(range(0, top + step, step))


def _render(chart: Any, title: str, uuid: str | None = None) -> str:
    chart.uuid = uuid or f"vb-{next(_ids)}"
    chart.add_xml_filter(_strip_for_csp(title))
    svg: str = chart.render(is_unicode=True, disable_xml_declaration=True)
    return svg


def line_chart(
    points: Sequence[tuple[str, int]], *, title: str, series: str, no_data: str = "—"
) -> Markup:
    """A line of counts over labelled points (days, oldest first); every 5th label shown."""
    every = max(1, len(points) // 6)
    chart = pygal.Line(
        **_config(
            title,
            no_data,
            fill=True,
            dots_size=3,
            x_labels_major_every=every,
            show_minor_x_labels=False,
        )
    )
    chart.x_labels = [label for label, _ in points]
    chart.y_labels = _counts_axis([value for _, value in points])
    chart.add(series, [value for _, value in points])
    return Markup(_render(chart, title))  # noqa: S704 - pygal escapes every label it writes


def bar_chart(
    bars: Sequence[tuple[str, int]], *, title: str, series: str, no_data: str = "—"
) -> Markup:
    """One bar per label (stores, platforms...), its count printed above it."""
    chart = pygal.Bar(**_config(title, no_data, print_values=True, print_values_position="top"))
    chart.x_labels = [label for label, _ in bars]
    chart.y_labels = _counts_axis([value for _, value in bars])
    chart.add(series, [value for _, value in bars])
    return Markup(_render(chart, title))  # noqa: S704 - pygal escapes every label it writes


@cache
def stylesheet() -> str:
    """The CSS pygal writes into each chart, made once and keyed on `svg.vb-chart`."""
    sheets: list[str] = []
    for kind in (pygal.Line, pygal.Bar):
        captured: list[str] = []

        def keep(root: Element, captured: list[str] = captured) -> Element:
            captured.extend(n.text or "" for n in root.iter() if _local(n.tag) == "style")
            return root

        chart = kind(style=STYLE, js=[], print_values=True)
        chart.add("x", [1, 2])
        chart.add_xml_filter(keep)
        _render(chart, "", STYLE_ID)
        sheets.extend(captured)
    css = "\n".join(dict.fromkeys(sheets))
    return css.replace(f"#chart-{STYLE_ID}", f"svg.{CLASS}")
