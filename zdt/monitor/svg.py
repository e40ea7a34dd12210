"""Draw a chart as a small self-contained SVG: polylines, axes, step boundaries. No dependency, no JS.

The HTML report must open anywhere (a CI artifact, an air-gapped review) and be produced on a machine
without a plotting library, so the drawing is a few dozen lines of plain SVG. Every label passes through
``html.escape`` because step names and probe names come from plans and agents.
"""

from __future__ import annotations

import math
from html import escape

from zdt.monitor.charts import Chart, Point

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 72
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _nice_step(span: float, count: int) -> float:
    """A 1, 2, 2.5 or 5 times a power of ten step giving about ``count`` intervals over ``span``."""
    raw = span / count if span > 0 else 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = _nice_step(high - low, count)
    first = math.ceil(low / step) * step
    return [first + step * index for index in range(int((high - first) / step + 1e-9) + 1)]


def _segments(points: list[Point]) -> list[list[tuple[float, float]]]:
    """Split a series where values are missing, so a gap stays a gap."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, y))
    return [run for run in runs if run]


def render_svg(chart: Chart) -> str:
    xs = [x for series in chart.series for x, _ in series.points] + [m.elapsed_s for m in chart.marks]
    ys = [y for series in chart.series for _, y in series.points if y is not None]
    if chart.baseline is not None:
        ys.append(chart.baseline)
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_high <= x_low:
        x_high = x_low + 1.0
    y_top = max(ys) if ys and max(ys) > 0 else 1.0
    y_high = math.ceil(y_top * 1.05 / _nice_step(y_top, 5)) * _nice_step(y_top, 5)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x_low) / (x_high - x_low) * plot_w

    def sy(y: float) -> float:
        return TOP + plot_h - y / y_high * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(chart.title)}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(chart.title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    for y in _ticks(0.0, y_high):
        parts.append(
            f'<line x1="{LEFT - 4}" y1="{sy(y):.1f}" x2="{LEFT + plot_w}" y2="{sy(y):.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.3g}</text>'
        )
    for x in _ticks(x_low, x_high, 6):
        parts.append(f'<text x="{sx(x):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{x:.1f}</text>')
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{TOP + plot_h + 28}" text-anchor="middle">seconds</text>'
        f'<text x="12" y="{TOP + plot_h / 2:.0f}" transform="rotate(-90 12 {TOP + plot_h / 2:.0f})" '
        f'text-anchor="middle">{escape(chart.y_label)}</text>'
    )
    for index, mark in enumerate(chart.marks):
        x = sx(mark.elapsed_s)
        label_y = TOP + 10 + (index % 3) * 12  # staggered: boundaries close together stay readable
        parts.append(
            f'<line class="step" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#555" '
            f'stroke-dasharray="4 3"/><text x="{x + 2:.1f}" y="{label_y}" fill="#555">'
            f"{escape(mark.label)}</text>"
        )
    for alarm in chart.alarms:
        x = sx(alarm)
        y = TOP + plot_h
        parts.append(
            f'<path class="alarm" d="M{x:.1f} {y - 8:.1f} L{x - 4:.1f} {y:.1f} L{x + 4:.1f} {y:.1f} Z" '
            'fill="#d62728"/>'
        )
    if chart.baseline is not None:
        y = sy(chart.baseline)
        parts.append(
            f'<line class="baseline" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" '
            'stroke="#2ca02c" stroke-dasharray="2 2"/>'
        )
    legend_y = HEIGHT - 22
    for index, series in enumerate(chart.series):
        colour = COLOURS[index % len(COLOURS)]
        for run in _segments(series.points):
            if len(run) == 1:
                x, y = run[0]
                parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2" fill="{colour}"/>')
            else:
                coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in run)
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                )
        lx = LEFT + (index % 4) * 170
        ly = legend_y + (index // 4) * 14
        parts.append(
            f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly + 1}">{escape(series.name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
