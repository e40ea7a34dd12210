"""The Monitoring agent's instruments: a sampler, thresholds and a verdict, a throttle hook, a report.

Public API::

    MetricsSampler(url, probe_queries=None, interval_s=0.2, traffic=None)  # .start() .mark(label) .stop()
        .samples .marks .baseline() .rollback_baseline() .recent(window_s)
    TrafficCounts: requests, errors, errors_by_sqlstate (cumulative; e.g. LoadGenerator.live_counts)
    table_probes(tables) -> {name: probe}                     # SELECT 1 FROM t LIMIT 1, quoted
    Thresholds(...); judge(samples, baseline, thresholds, integrity_failures=0,
                           rollback_baseline=None, server_samples=None) -> MonitorVerdict
    MonitorThrottle(sampler, thresholds)                      # the executor's ``throttle`` hook
    write_monitoring_report(out_dir, samples, marks, verdicts, baseline) -> [md, html, *png]

Deterministic code only: the agent decides what to do with a verdict, these measure and judge.
"""

from zdt.monitor.figures import WindowFigures, summarise
from zdt.monitor.models import (
    LockWait,
    Mark,
    MetricSample,
    MonitorVerdict,
    ProbeResult,
    RecordedVerdict,
    ReplicaLag,
    SessionInfo,
    SlotLag,
    TrafficCounts,
)
from zdt.monitor.probes import table_probe, table_probes
from zdt.monitor.report import write_monitoring_report
from zdt.monitor.sampler import MIGRATION_START, MetricsSampler
from zdt.monitor.thresholds import Thresholds, judge
from zdt.monitor.throttle import MonitorThrottle

__all__ = [
    "MIGRATION_START",
    "LockWait",
    "Mark",
    "MetricSample",
    "MetricsSampler",
    "MonitorThrottle",
    "MonitorVerdict",
    "ProbeResult",
    "RecordedVerdict",
    "ReplicaLag",
    "SessionInfo",
    "SlotLag",
    "Thresholds",
    "TrafficCounts",
    "WindowFigures",
    "judge",
    "summarise",
    "table_probe",
    "table_probes",
    "write_monitoring_report",
]
