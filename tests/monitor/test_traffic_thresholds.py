"""judge() on injected traffic and replication figures: the levels, the volume guards, the named culprits."""

from __future__ import annotations

import pytest

from tests.monitor.samples import run
from zdt.monitor import MetricSample, ReplicaLag, SlotLag, Thresholds, judge, summarise
from zdt.monitor.traffic import Counts, thin, traffic_delta

BASELINE_MS = 1.0


def traffic(samples: list[MetricSample], requests: int, errors: dict[str, int] | None = None) -> None:
    """Spread ``requests`` and ``errors`` (SQLSTATE -> count) evenly over ``samples``, in place."""
    for index, sample in enumerate(samples):
        sample.app_requests = requests // len(samples) + (1 if index < requests % len(samples) else 0)
        sample.app_errors = 0
    for state, count in (errors or {}).items():
        for index in range(count):
            target = samples[index % len(samples)]
            target.app_errors = (target.app_errors or 0) + 1
            target.app_errors_by_sqlstate[state] = target.app_errors_by_sqlstate.get(state, 0) + 1


def server(samples: list[MetricSample], commits: int, rollbacks: int) -> None:
    """Give each sample the same share of other sessions' transactions (no monitor traffic)."""
    for sample in samples:
        sample.db_commits = commits // len(samples)
        sample.db_rollbacks = rollbacks // len(samples)
        sample.monitor_commits = sample.monitor_rollbacks = 0


def test_one_application_error_throttles_and_names_its_sqlstate() -> None:
    window = run(5)
    traffic(window, 200, {"42P01": 1})
    verdict = judge(window, BASELINE_MS)
    assert verdict.level == "throttle"
    assert verdict.reasons == [
        "throttle: application error rate: 0.5 % (1 of 200 requests failed; top SQLSTATEs: 42P01 x1) > 0.0 %"
    ]


def test_application_errors_over_two_percent_are_critical_top_sqlstates_first() -> None:
    window = run(5)
    traffic(window, 200, {"42P01": 4, "40001": 1, "57014": 2, "23505": 1})
    verdict = judge(window, BASELINE_MS)
    assert verdict.level == "critical"
    [reason] = verdict.reasons
    assert reason.startswith("critical: application error rate: 4.0 % (8 of 200 requests failed")
    assert "top SQLSTATEs: 42P01 x4, 57014 x2, 23505 x1) > 2.0 %" in reason


def test_a_few_requests_are_judged_over_the_minimum_so_one_error_is_not_critical() -> None:
    window = run(3)
    traffic(window, 3, {"22012": 1})
    verdict = judge(window, BASELINE_MS)
    assert verdict.level == "throttle"  # 33 % of 3 requests, but 1 % of the minimum 100
    assert "33.3 % (1 of 3 requests failed; judged as 1.0 % over at least 100;" in verdict.reasons[0]
    traffic(window, 3, {"22012": 3})
    assert judge(window, BASELINE_MS).level == "critical"  # 3 errors: 3 % even over 100 requests


def test_without_a_traffic_source_the_application_is_not_judged() -> None:
    figures = summarise(run(5))
    assert figures.app_requests is None and figures.app_requests_per_s is None
    assert judge(run(5), BASELINE_MS).level == "ok"


def test_application_figures_sum_deltas_and_rate_over_the_time_they_cover() -> None:
    window = run(5)  # 0.0 .. 0.8 s
    traffic(window, 250, {"42P01": 5})
    figures = summarise(window)
    assert (figures.app_requests, figures.app_errors, figures.app_error_rate) == (250, 5, 0.02)
    assert figures.app_requests_per_s == pytest.approx(200 / 0.8)  # the first delta is before 0.0 s
    assert figures.app_errors_by_sqlstate == {"42P01": 5}


def test_traffic_delta_is_none_first_and_survives_a_restart_of_the_source() -> None:
    first = Counts(100, 2, {"42P01": 2})
    assert traffic_delta(None, first) is None
    delta = traffic_delta(first, Counts(150, 5, {"42P01": 3, "22012": 2}))
    assert delta is not None and (delta.requests, delta.errors) == (50, 3)
    assert delta.errors_by_sqlstate == {"42P01": 1, "22012": 2}
    restarted = traffic_delta(first, Counts(10, 1, {"40001": 1}))
    assert restarted is not None and (restarted.requests, restarted.errors_by_sqlstate) == (10, {"40001": 1})


def test_thinning_keeps_every_count() -> None:
    window = run(7)
    traffic(window, 70, {"42P01": 7})
    server(window, 700, 70)
    thinned = thin(window)
    assert len(thinned) == 4
    assert sum(s.app_requests or 0 for s in thinned) == 70
    assert sum(s.app_errors_by_sqlstate.get("42P01", 0) for s in thinned) == 7
    assert sum(s.db_commits or 0 for s in thinned) == 700


def test_rollback_rate_over_its_baseline_is_critical_and_says_by_how_much() -> None:
    window = run(10)
    server(window, 900, 100)  # 10 % rolled back
    verdict = judge(window, BASELINE_MS, rollback_baseline=0.05)
    assert verdict.level == "critical"
    [reason] = verdict.reasons
    assert reason.startswith("critical: rollback rate: 10.0 % of 1000 transactions in 1.8 s rolled back")
    assert "+5.0 points over the baseline 5.0 % (threshold +2 points)" in reason


def test_a_routine_rollback_rate_is_not_an_alarm() -> None:
    window = run(10)
    server(window, 600, 400)  # 40 % rollbacks, as a pool that resets every connection would have
    assert judge(window, BASELINE_MS, rollback_baseline=0.39).level == "ok"
    assert judge(window, BASELINE_MS, rollback_baseline=None).level == "ok"  # no baseline, no judgement


def test_rollback_rate_needs_a_minimum_volume_and_excludes_the_monitor() -> None:
    window = run(10)
    server(window, 50, 40)  # 90 transactions: below the minimum of 100
    assert judge(window, BASELINE_MS, rollback_baseline=0.0).level == "ok"
    server(window, 1000, 100)
    for sample in window:
        sample.monitor_rollbacks = 10  # the monitor's own failed probes account for every rollback
    figures = summarise(window)
    assert (figures.db_commits, figures.db_rollbacks) == (1000, 0)
    assert judge(window, BASELINE_MS, rollback_baseline=0.0).level == "ok"


def test_the_rollback_rate_is_judged_on_the_server_window_when_given() -> None:
    short, long = run(5), run(25)
    server(long, 2000, 200)
    verdict = judge(short, BASELINE_MS, rollback_baseline=0.0, server_samples=long)
    assert verdict.level == "critical" and "of 2200 transactions in 4.8 s" in verdict.reasons[0]


def _lagging(lag_s: float | None, bytes_behind: int = 4096) -> list[MetricSample]:
    window = run(3)
    for sample in window:
        sample.replicas = [
            ReplicaLag(application_name="replica-1", state="streaming", replay_lag_s=0.1, bytes_behind=0),
            ReplicaLag(
                application_name="replica-2",
                client_addr="10.0.0.2",
                state="streaming",
                replay_lag_s=lag_s,
                bytes_behind=bytes_behind,
            ),
        ]
    return window


@pytest.mark.parametrize(("lag_s", "level"), [(1.2, "ok"), (1.8, "throttle"), (30.0, "throttle")])
def test_replication_lag_throttles_over_one_and_a_half_seconds_and_names_the_replica(
    lag_s: float, level: str
) -> None:
    verdict = judge(_lagging(lag_s), BASELINE_MS)
    assert verdict.level == level
    if level != "ok":
        assert verdict.reasons == [
            f"throttle: replication lag: standby 'replica-2' (streaming) replays {lag_s:.2f} s behind, "
            "4.0 kB of WAL (threshold 1.5 s)"
        ]


def test_replication_lag_critical_and_bytes_when_configured() -> None:
    thresholds = Thresholds(replication_lag_critical_s=10.0, replication_lag_bytes_throttle=1024)
    verdict = judge(_lagging(12.0, bytes_behind=5 * 1024 * 1024), BASELINE_MS, thresholds)
    assert verdict.level == "critical"
    assert verdict.reasons[0].startswith("critical: replication lag: standby 'replica-2'")
    assert verdict.reasons[1] == (
        "throttle: replication lag: a standby is 5.0 MB of WAL behind (threshold 1.0 kB)"
    )


def test_an_unknown_lag_is_not_zero_but_is_not_judged_either() -> None:
    figures = summarise(_lagging(None))
    assert figures.lagging_replica is not None and figures.lagging_replica.name == "replica-1"
    assert figures.replicas_seen == 2


def test_a_slot_retaining_wal_throttles_only_when_configured() -> None:
    window = run(3)
    for sample in window:
        sample.slots = [SlotLag(slot_name="old_subscriber", slot_type="logical", retained_bytes=3 << 30)]
    assert judge(window, BASELINE_MS).level == "ok"
    verdict = judge(window, BASELINE_MS, Thresholds(slot_retained_bytes_throttle=1 << 30))
    assert verdict.reasons == [
        "throttle: replication slot: 'old_subscriber' (logical, inactive) retains 3.0 GB of WAL "
        "(threshold 1.0 GB)"
    ]
