"""PNG charts with matplotlib, only when it is importable: it is not a declared dependency of zdt.

The SVG in the HTML report is the chart every install gets; PNGs are for people who paste images into a
ticket or view the Markdown where SVG is not rendered. The Agg canvas is used directly (no pyplot), so no
global backend is switched and nothing tries to open a window on a headless server.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from zdt.monitor.charts import Chart
from zdt.monitor.svg import COLOURS


def matplotlib_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def write_png_charts(out_dir: Path, charts: Sequence[Chart]) -> list[Path]:
    """Write one PNG per chart into ``out_dir``; return [] when matplotlib is not installed."""
    if not matplotlib_available():
        return []
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    paths = []
    for chart in charts:
        figure = Figure(figsize=(9, 3.2), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        for index, series in enumerate(chart.series):
            xs = [x for x, _ in series.points]
            ys = [float("nan") if y is None else y for _, y in series.points]  # NaN breaks the line
            axes.plot(xs, ys, label=series.name, color=COLOURS[index % len(COLOURS)], linewidth=1.2)
        for mark in chart.marks:
            axes.axvline(mark.elapsed_s, color="#555555", linestyle="--", linewidth=0.8)
            axes.annotate(
                mark.label,
                (mark.elapsed_s, 1.0),
                xycoords=("data", "axes fraction"),
                fontsize=7,
                rotation=90,
                va="top",
                ha="right",
            )
        for alarm in chart.alarms:
            axes.axvline(alarm, color="#d62728", linewidth=0.6, alpha=0.5)
        if chart.baseline is not None:
            axes.axhline(chart.baseline, color="#2ca02c", linestyle=":", linewidth=1, label="baseline")
        axes.set_title(chart.title)
        axes.set_xlabel("seconds")
        axes.set_ylabel(chart.y_label)
        axes.set_ylim(bottom=0)
        if chart.series:
            axes.legend(loc="upper left", fontsize=7)
        figure.tight_layout()
        path = out_dir / f"monitoring-{chart.name}.png"
        figure.savefig(path)
        paths.append(path)
    return paths
