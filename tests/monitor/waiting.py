"""Polling for a condition the sampler's thread will make true: the monitor tests' one way to wait."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """True as soon as ``predicate()`` is; after ``timeout_s``, its last answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
