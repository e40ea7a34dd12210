"""MIGRATION-MONITORING.md/.html from known samples: the figures are the ones judged, the charts are SVG."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.monitor.samples import run, sample
from zdt.monitor import (
    Mark,
    MetricSample,
    MonitorVerdict,
    RecordedVerdict,
    ReplicaLag,
    judge,
    write_monitoring_report,
)
from zdt.monitor import png as png_module

BASELINE_MS = 0.5


def _samples() -> list[MetricSample]:
    return [
        *run(5, latency_ms=0.5),
        *run(
            5,
            start_s=1.0,
            step="add-column",
            latency_ms=100.0,
            lock_wait_s=1.25,
            probe_error="55P03: canceling statement due to lock timeout",
        ),
        sample(2.0, step="add-column", connection_error="57P01: terminating connection"),
        *run(4, start_s=2.2, step="backfill <b>", latency_ms=0.6),
    ]


def _marks() -> list[Mark]:
    return [
        Mark(label="migration-start", elapsed_s=0.95),
        Mark(label="add-column", elapsed_s=0.95),
        Mark(label="backfill <b>", elapsed_s=2.1),
    ]


def _verdicts(samples: list[MetricSample]) -> list[RecordedVerdict | MonitorVerdict]:
    alarmed = judge(samples[5:10], BASELINE_MS)
    return [
        RecordedVerdict(elapsed_s=1.8, verdict=alarmed, action="paused the executor 0.5 s"),
        RecordedVerdict(elapsed_s=3.0, verdict=judge(samples[-4:], BASELINE_MS), action="recovered"),
        MonitorVerdict(level="critical", reasons=["critical: integrity violations: 1 > 0"], summary="x"),
    ]


@pytest.fixture
def written(tmp_path: Path) -> list[Path]:
    samples = _samples()
    return write_monitoring_report(tmp_path / "out", samples, _marks(), _verdicts(samples), BASELINE_MS)


def test_the_markdown_has_the_baseline_per_step_figures_alarms_and_actions(written: list[Path]) -> None:
    markdown = written[0]
    assert markdown.name == "MIGRATION-MONITORING.md"
    text = markdown.read_text()
    assert "| baseline (median probe latency before `migration-start`) | 0.50 ms |" in text
    assert "| samples | 15 over 2.8 s |" in text
    assert "| monitor connection failures | 1 |" in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    assert "| 5 | 0.50 ms / 0.50 ms | 0 | 0 | 0.00 s | 0 |" in rows["baseline"]
    add_column = rows["add-column"]
    assert "| 6 | 100.00 ms / 100.00 ms | 0 | 5 | 1.25 s | 1 |" in add_column
    assert add_column.rstrip().endswith("| 1 | critical |")
    assert "| 4 | 0.60 ms / 0.60 ms |" in rows["backfill <b>"]
    assert "| 1.8 | critical | paused the executor 0.5 s | critical: probe latency" in text
    assert "| 3.0 | ok | recovered |" in text
    assert "integrity violations: 1 > 0" in text
    assert "| 200 | add-column | 1.25 s | relation | 100 (idle in transaction: `LOCK TABLE t`) |" in text
    assert "- 2.0 s (add-column): 57P01: terminating connection" in text
    assert "| probe latency over baseline (and more than 2.0 ms) | +50 % | +200 % |" in text


def test_the_html_has_three_svg_charts_with_step_boundaries(written: list[Path]) -> None:
    html = written[1]
    assert html.name == "MIGRATION-MONITORING.html"
    text = html.read_text()
    assert text.count("<svg") == 3
    assert text.count("<polyline") >= 4
    assert len(re.findall(r'<line class="step"', text)) == 9  # 3 marks on each of 3 charts
    assert '<path class="alarm"' in text and '<line class="baseline"' in text
    assert "Probe latency" in text and "Lock waits" in text and "Connections" in text
    assert "<td>0.50 ms</td>" in text


def test_html_escapes_what_came_from_plans_and_sessions(written: list[Path]) -> None:
    text = written[1].read_text()
    assert "<b>" not in text
    assert "backfill &lt;b&gt;" in text


def test_charts_break_the_line_where_the_monitor_was_disconnected(written: list[Path]) -> None:
    latency_svg = written[1].read_text().split("<svg")[1]
    assert latency_svg.count("<polyline") == 2  # before and after the failed sample


@pytest.mark.skipif(not png_module.matplotlib_available(), reason="matplotlib is not installed")
def test_png_charts_when_matplotlib_is_importable(written: list[Path]) -> None:
    images = [path for path in written if path.suffix == ".png"]
    assert sorted(p.name for p in images) == [
        "monitoring-connections.png",
        "monitoring-latency.png",
        "monitoring-lock_waits.png",
    ]
    for image in images:
        assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert f"![{image.name}]({image.name})" in written[0].read_text()


def test_without_matplotlib_the_charts_are_svg_files_beside_the_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(png_module, "matplotlib_available", lambda: False)
    samples = _samples()
    paths = write_monitoring_report(tmp_path, samples, _marks(), [], BASELINE_MS)
    markdown, html, *charts = paths
    assert (markdown.name, html.name) == ("MIGRATION-MONITORING.md", "MIGRATION-MONITORING.html")
    assert sorted(p.name for p in charts) == [
        "monitoring-connections.svg",
        "monitoring-latency.svg",
        "monitoring-lock_waits.svg",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)
    for chart in charts:
        assert chart.read_text().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        assert f"![{chart.name}]({chart.name})" in markdown.read_text()
        assert chart.read_text() in html.read_text()  # the same chart, inline
    assert "No alarm was raised." in paths[0].read_text()


def test_an_empty_run_still_writes_a_report(tmp_path: Path) -> None:
    markdown, html, *_ = write_monitoring_report(tmp_path, [], [], [], None)
    assert "| baseline (median probe latency before `migration-start`) | n/a |" in markdown.read_text()
    assert html.read_text().count("<svg") == 3


def test_application_traffic_and_replica_lag_per_step(tmp_path: Path) -> None:
    samples = _samples()
    for index, s in enumerate(samples):
        s.app_requests, s.app_errors = 40, 0
        s.db_commits, s.db_rollbacks, s.monitor_commits = 50, 0, 2
        s.replicas = [ReplicaLag(application_name="replica-1", state="streaming", replay_lag_s=index * 0.1)]
    for s in samples[5:10]:
        s.app_errors, s.app_errors_by_sqlstate = 4, {"42P01": 3, "40001": 1}
    markdown, html, *_ = write_monitoring_report(tmp_path, samples, _marks(), [], BASELINE_MS)
    text = markdown.read_text()
    assert "## Application traffic and replication" in text
    overall = "Application traffic: 600 requests, 20 errors (3.33 %; top SQLSTATEs: 42P01 x15, 40001 x5)."
    assert overall in text
    assert "Other sessions (pg_stat_database, the monitor excluded): 720 commits, 0 rollbacks." in text
    assert "| `baseline` | 200.0 | 0.0 | 0 of 200 | 240.0 | 0.0 | 0.40 s (replica-1) | no slot |" in text
    # 16 errors/s: the step's first delta is before its first sample, so rates use the four after it.
    assert "| `add-column` | 200.0 | 16.0 | 20 of 240 (42P01 x15, 40001 x5) | 240.0 | 0.0 | 0.90 s" in text
    assert "| `backfill <b>` |" in text
    # The per-step table of the template is unchanged: its rows are still keyed by the bare label.
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    assert rows["baseline"].rstrip().endswith("| ok |")
    page = html.read_text()
    assert "<h2>Application traffic and replication</h2>" in page
    assert "<td>backfill &lt;b&gt;</td>" in page and "<b>" not in page
    assert page.index("Application traffic and replication") < page.index("</body>")
    assert "app errors/s" in page and "replica lag (s)" in page
