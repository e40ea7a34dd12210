"""Turning each run's load result into the benchmark's numbers, checking them, and printing one table.

The machine is shared and noisy, so absolute latencies move from run to run; what is compared is each
migration run's p99 to the p99 of the baseline run of the same round (same load, no migration, minutes
apart), and the batched backfill's rows/s to the one-statement UPDATE's of the same round. Each case
runs several times; the table shows the median and, after a slash, the worst run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.table import Table

from zdt.load import LoadResult

LONG_REQUEST_MS = 1000.0


@dataclass
class Limits:
    """What every zdt plan must show (the issue's acceptance criteria)."""

    lock_timeout_ms: float = 200.0
    p99_ratio: float = 1.5
    max_ms_unblocked: float = 150.0
    backfill_rows_ratio: float = 0.5
    backfill_max_ms: float = 100.0

    @property
    def max_ms(self) -> float:
        return self.lock_timeout_ms + 300

    @property
    def lock_wait_ms(self) -> float:
        return self.lock_timeout_ms + 100


@dataclass
class RunMetrics:
    """One run of one case: the load's numbers over the migration and the ``after_s`` that follow it."""

    scenario: str
    method: str  # baseline, naive, zdt
    round: int
    migration_s: float
    requests: int
    failed: int
    errors_by_sqlstate: dict[str, int]
    p50_ms: float
    p99_ms: float
    max_ms: float
    over_1s: int
    stall_ms: float
    lock_wait_ms: float
    window: tuple[float, float] = (0.0, 0.0)  # seconds since the load started
    blocked: bool = False  # an injected blocker was running
    backfill: bool = False
    rows: int = 0
    ok: bool = True
    message: str = ""
    notes: list[str] = field(default_factory=list)
    marks: list[tuple[float, str, str]] = field(default_factory=list)  # (s since load start, event, step)
    checkpoints: tuple[int, int] = (0, 0)  # (requested, timed) checkpoints during the measured window
    p99_ratio: float | None = None
    rows_per_s: float | None = None
    rows_ratio: float | None = None

    def failures(self, limits: Limits) -> dict[str, tuple[float, str]]:
        """Every criterion this run misses, as {criterion: (how badly, message)}; empty: it met them all."""
        problems: dict[str, tuple[float, str]] = {}
        if not self.ok:
            problems["migration"] = (1, f"migration failed: {self.message[:120]}")
        if self.failed:
            codes = ", ".join(f"{code} x{count:,}" for code, count in sorted(self.errors_by_sqlstate.items()))
            problems["failed"] = (self.failed, f"{self.failed:,} failed requests ({codes or 'unsent'})")
        if self.over_1s:
            problems["over 1 s"] = (self.over_1s, f"{self.over_1s:,} requests over 1 s")
        if self.max_ms >= limits.max_ms:
            problems["max"] = (self.max_ms, f"max {self.max_ms:,.0f} ms >= {limits.max_ms:.0f}")
        if self.lock_wait_ms > limits.lock_wait_ms:
            message = f"lock wait {self.lock_wait_ms:,.0f} ms > {limits.lock_wait_ms:.0f}"
            problems["lock wait"] = (self.lock_wait_ms, message)
        if not self.blocked:
            if self.p99_ratio is not None and self.p99_ratio > limits.p99_ratio:
                message = f"p99 {self.p99_ratio:.2f}x baseline > {limits.p99_ratio}x"
                problems["p99"] = (self.p99_ratio, message)
            if self.max_ms >= limits.max_ms_unblocked and "max" not in problems:
                problems["max"] = (self.max_ms, f"max {self.max_ms:,.0f} ms >= {limits.max_ms_unblocked:.0f}")
        if self.backfill and self.method.startswith("zdt"):
            if self.rows_ratio is not None and self.rows_ratio < limits.backfill_rows_ratio:
                message = f"rows/s {self.rows_ratio:.0%} of one UPDATE's < {limits.backfill_rows_ratio:.0%}"
                problems["rows/s"] = (-self.rows_ratio, message)
            if self.max_ms >= limits.backfill_max_ms and "max" not in problems:
                problems["max"] = (self.max_ms, f"max {self.max_ms:,.0f} ms >= {limits.backfill_max_ms:.0f}")
        return problems


def verdict(method: str, runs: Sequence[RunMetrics], limits: Limits) -> str:
    """PASS, or each missed criterion once with its worst run and how many runs missed it."""
    if method == "baseline":
        return ""
    worst: dict[str, tuple[float, str]] = {}
    missed: dict[str, int] = {}
    for run in runs:
        for criterion, (badness, message) in run.failures(limits).items():
            missed[criterion] = missed.get(criterion, 0) + 1
            if criterion not in worst or badness > worst[criterion][0]:
                worst[criterion] = (badness, message)
    if method == "naive":
        return "fails as expected" if worst else "DID NOT FAIL"
    if not worst:
        return "PASS"
    return "FAIL: " + "; ".join(
        f"{message} ({missed[criterion]}/{len(runs)} runs)" for criterion, (_, message) in worst.items()
    )


def measure(
    result: LoadResult,
    *,
    scenario: str,
    method: str,
    round_number: int,
    started: float,
    finished: float,
    migration_s: float,
    after_s: float,
) -> RunMetrics:
    """The load's numbers for requests meant to start between ``started`` and ``finished + after_s``."""
    start, end = result.offset(started), result.offset(finished) + after_s
    window = result.window(start, end, threshold_ms=LONG_REQUEST_MS)
    return RunMetrics(
        scenario=scenario,
        method=method,
        round=round_number,
        migration_s=migration_s,
        requests=window.requests + window.unsent,
        failed=window.failed,
        errors_by_sqlstate=window.errors_by_sqlstate,
        p50_ms=window.p50_ms,
        p99_ms=window.p99_ms,
        max_ms=window.max_ms,
        over_1s=window.over_threshold,
        stall_ms=window.longest_stall_ms,
        lock_wait_ms=window.longest_lock_wait_ms,
        window=(start, end),
    )


def add_ratios(runs: Sequence[RunMetrics]) -> None:
    """p99 against the same round's baseline; backfill rows/s of zdt against the same round's naive."""
    baselines = {run.round: run for run in runs if run.method == "baseline"}
    for run in runs:
        baseline = baselines.get(run.round)
        if baseline is not None and baseline.p99_ms > 0:
            run.p99_ratio = run.p99_ms / baseline.p99_ms
        if run.backfill and run.migration_s > 0:
            run.rows_per_s = run.rows / run.migration_s
    naive = {(run.scenario, run.round): run for run in runs if run.backfill and run.method == "naive"}
    for run in runs:
        reference = naive.get((run.scenario, run.round))
        if run.method == "naive" or reference is None or not reference.rows_per_s:
            continue
        if run.backfill and run.rows_per_s is not None:
            run.rows_ratio = run.rows_per_s / reference.rows_per_s


def _cell(values: Sequence[float | None], fmt: Callable[[float], str], worst: Callable[..., float]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "-"
    median = statistics.median(present)
    if len(present) == 1:
        return fmt(median)
    return f"{fmt(median)} / {fmt(worst(present))}"


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def table(cases: dict[tuple[str, str], list[RunMetrics]], limits: Limits, title: str) -> Table:
    """ONE table: a row per scenario and method, each cell 'median / worst' over the runs."""
    grid = Table(title=title, title_justify="left")
    for header, justify in [
        ("scenario", "left"),
        ("method", "left"),
        ("migration s", "right"),
        ("requests", "right"),
        ("failed", "right"),
        ("p99 ms", "right"),
        ("max ms", "right"),
        (">1 s", "right"),
        ("stall ms", "right"),
        ("lock wait ms", "right"),
        ("p99 / baseline", "right"),
        ("rows/s ratio", "right"),
        ("verdict", "left"),
    ]:
        grid.add_column(header, justify=justify)  # type: ignore[arg-type]
    for (scenario, method), runs in cases.items():
        grid.add_row(
            scenario,
            method,
            _cell([r.migration_s for r in runs], lambda v: f"{v:.2f}", max) if method != "baseline" else "-",
            _cell([r.requests for r in runs], lambda v: f"{v:,.0f}", min),
            _cell([r.failed for r in runs], lambda v: f"{v:,.0f}", max),
            _cell([r.p99_ms for r in runs], _ms, max),
            _cell([r.max_ms for r in runs], _ms, max),
            _cell([r.over_1s for r in runs], lambda v: f"{v:,.0f}", max),
            _cell([r.stall_ms for r in runs], _ms, max),
            _cell([r.lock_wait_ms for r in runs], _ms, max),
            _cell([r.p99_ratio for r in runs], lambda v: f"{v:.2f}x", max),
            _cell([r.rows_ratio for r in runs], lambda v: f"{v:.0%}", min),
            verdict(method, runs, limits),
        )
    return grid


def error_notes(cases: dict[tuple[str, str], list[RunMetrics]]) -> list[str]:
    """Failed requests by SQLSTATE, rows/s and executor notes, per case, for under the table."""
    lines = []
    for (scenario, method), runs in cases.items():
        codes: dict[str, int] = {}
        for run in runs:
            for code, count in run.errors_by_sqlstate.items():
                codes[code] = codes.get(code, 0) + count
        parts = []
        if codes:
            parts.append("errors " + ", ".join(f"{c} x{n:,}" for c, n in sorted(codes.items())))
        rates = [r.rows_per_s for r in runs if r.rows_per_s]
        if rates:
            parts.append(f"rows/s median {statistics.median(rates):,.0f} (rows {runs[0].rows:,})")
        if any(sum(run.checkpoints) for run in runs):
            counts = ", ".join(f"{run.checkpoints[0]}+{run.checkpoints[1]}" for run in runs)
            parts.append(f"checkpoints requested+timed per run: {counts}")
        notes = sorted({note for run in runs for note in run.notes})
        if notes:
            parts.append("; ".join(notes))
        if parts:
            lines.append(f"{scenario} / {method}: " + " · ".join(parts))
    return lines
