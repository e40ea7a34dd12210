"""The executor's pure decisions: backoff, adaptive batch size, verification equality."""

from __future__ import annotations

import random
from decimal import Decimal

from zdt.executor.backfill import next_batch_size
from zdt.executor.retry import backoff_delay
from zdt.executor.verify import values_equal


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    for retry, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (10, 1.0)]:
        delays = [backoff_delay(retry, base_ms=100, cap_ms=1000, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered, so retries of two executors do not line up


def test_batch_size_moves_toward_the_target_at_most_twofold_within_bounds() -> None:
    assert next_batch_size(1000, elapsed_ms=100, target_ms=200, low=100, high=10_000) == 2000
    assert next_batch_size(1000, elapsed_ms=10, target_ms=200, low=100, high=10_000) == 2000
    assert next_batch_size(1000, elapsed_ms=1000, target_ms=200, low=100, high=10_000) == 500
    assert next_batch_size(150, elapsed_ms=1000, target_ms=200, low=100, high=10_000) == 100
    assert next_batch_size(8000, elapsed_ms=1, target_ms=200, low=100, high=10_000) == 10_000
    assert next_batch_size(1000, elapsed_ms=5000, target_ms=None, low=100, high=10_000) == 1000


def test_verification_values_compare_strictly_for_booleans() -> None:
    assert values_equal(True, True)
    assert not values_equal(1, True)
    assert not values_equal("true", True)
    assert values_equal(Decimal("3"), 3)
    assert values_equal(3, 3)
    assert not values_equal(None, True)
