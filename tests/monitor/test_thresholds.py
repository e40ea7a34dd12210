"""judge() on injected samples: each seed trigger raises the right level and names metric, value, limit."""

from __future__ import annotations

import pytest

from tests.monitor.samples import run, sample
from zdt.monitor import Thresholds, judge, summarise

BASELINE_MS = 1.0


def test_a_quiet_window_is_ok() -> None:
    verdict = judge(run(5, latency_ms=1.1), BASELINE_MS)
    assert verdict.level == "ok"
    assert verdict.reasons == []
    assert verdict.summary.startswith("ok: 5 sample(s)")


def test_no_samples_is_ok_and_says_so() -> None:
    verdict = judge([], BASELINE_MS)
    assert verdict.level == "ok"
    assert "no samples" in verdict.summary


def test_latency_fifty_percent_over_baseline_throttles() -> None:
    verdict = judge(run(5, latency_ms=7.0), 4.0)
    assert verdict.level == "throttle"
    [reason] = verdict.reasons
    assert reason.startswith("throttle: probe latency")
    assert "median 7.0 ms" in reason
    assert "+75 % over the baseline 4.00 ms" in reason
    assert "threshold +50 %" in reason


def test_latency_far_over_baseline_is_critical() -> None:
    verdict = judge(run(5, latency_ms=10.0), BASELINE_MS)
    assert verdict.level == "critical"
    assert "threshold +200 %" in verdict.reasons[0]


def test_sub_millisecond_noise_never_counts_as_degradation() -> None:
    """+100 % of 0.3 ms is 0.3 ms: under the absolute floor, so not an alarm."""
    assert judge(run(5, latency_ms=0.6), 0.3).level == "ok"


def test_latency_is_judged_on_the_worst_probe_not_averaged_away() -> None:
    samples = run(5, latency_ms=50.0)
    for s in samples:
        quiet = s.probes[0].model_copy(update={"latency_ms": 1.0})
        s.probes += [quiet.model_copy(update={"name": f"quiet{i}"}) for i in range(4)]
    verdict = judge(samples, BASELINE_MS)
    assert verdict.level == "critical"
    assert "probe 'public.t'" in verdict.reasons[0]


def test_a_probe_that_hit_its_lock_timeout_is_slow_not_an_error() -> None:
    timed_out = run(5, latency_ms=100.0, probe_error="55P03: canceling statement due to lock timeout")
    figures = summarise(timed_out)
    assert (figures.probe_timeouts, figures.probe_errors) == (5, 0)
    verdict = judge(timed_out, BASELINE_MS)
    assert verdict.level == "critical"
    assert "5 probe(s) hit their lock/statement timeout" in verdict.reasons[0]


def test_probe_errors_throttle_then_become_critical_over_two_percent() -> None:
    window = run(60, latency_ms=1.0)
    window.append(sample(20.0, latency_ms=1.0, probe_error="42703: column x does not exist"))
    verdict = judge(window, BASELINE_MS)
    assert verdict.level == "throttle"  # 1 of 61 = 1.6 %
    assert verdict.reasons == ["throttle: probe error rate: 2 % (1 of 61 probes failed: public.t x1) > 0 %"]
    window.append(sample(20.2, latency_ms=1.0, probe_error="42703: column x does not exist"))
    verdict = judge(window, BASELINE_MS)
    assert verdict.level == "critical"  # 2 of 62 = 3.2 %
    assert "2 of 62 probes failed" in verdict.reasons[0]
    assert "> 2 %" in verdict.reasons[0]


def test_any_connection_failure_is_critical() -> None:
    window = [*run(4), sample(1.0, connection_error="57P01: terminating connection")]
    verdict = judge(window, BASELINE_MS)
    assert verdict.level == "critical"
    assert verdict.reasons == ["critical: connection failures: 1 > 0 (last: 57P01: terminating connection)"]


def test_any_integrity_violation_is_critical() -> None:
    verdict = judge(run(3), BASELINE_MS, integrity_failures=2)
    assert verdict.level == "critical"
    assert verdict.reasons == ["critical: integrity violations: 2 > 0"]


@pytest.mark.parametrize(("wait_s", "level"), [(0.3, "ok"), (0.8, "throttle"), (6.0, "critical")])
def test_lock_waits_name_the_waiter_and_its_blocker(wait_s: float, level: str) -> None:
    verdict = judge(run(3, lock_wait_s=wait_s), BASELINE_MS)
    assert verdict.level == level
    if level != "ok":
        [reason] = verdict.reasons
        assert f"pid 200 has waited {wait_s:.2f} s on a relation lock behind pid(s) 100" in reason


@pytest.mark.parametrize(("connections", "level"), [(70, "ok"), (85, "throttle"), (97, "critical")])
def test_connection_use(connections: int, level: str) -> None:
    verdict = judge(run(3, connections=connections), BASELINE_MS)
    assert verdict.level == level
    if level != "ok":
        assert f"{connections} of max_connections 100 in use" in verdict.reasons[0]


def test_a_long_idle_transaction_throttles() -> None:
    verdict = judge(run(3, idle_in_transaction_s=12.0), BASELINE_MS)
    assert verdict.level == "throttle"
    assert "idle in an open transaction for 12.0 s (threshold 10 s)" in verdict.reasons[0]


def test_critical_reasons_come_first_and_every_breach_is_listed() -> None:
    window = run(5, latency_ms=2.0 + BASELINE_MS * 4, lock_wait_s=1.0)
    verdict = judge(window, BASELINE_MS)
    assert [reason.split(":")[0] for reason in verdict.reasons] == ["critical", "throttle"]
    assert "probe latency" in verdict.summary and "lock wait" in verdict.summary


def test_none_disables_a_check() -> None:
    thresholds = Thresholds(lock_wait_throttle_s=None, lock_wait_critical_s=None)
    assert judge(run(3, lock_wait_s=60.0), BASELINE_MS, thresholds).level == "ok"


def test_without_a_baseline_latency_is_not_judged_but_the_rest_is() -> None:
    verdict = judge(run(3, latency_ms=500.0, lock_wait_s=1.0), None)
    assert verdict.level == "throttle"
    assert "(no baseline)" in verdict.summary
