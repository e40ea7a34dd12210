"""Where the monitor library (zdt.monitor) is found, if it is installed.

The monitor library is developed alongside the agents; the tool and the agent use its sampler and its
judgement when it is importable, so that the verdict an agent gives and the verdict the executor's
throttle acts on come from the same code. Without it they fall back to a small built-in version. One
function decides, so tests can force either path.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def load() -> ModuleType | None:
    """The ``zdt.monitor`` package, or None when it is not available."""
    try:
        module = importlib.import_module("zdt.monitor")
    except ImportError:
        return None
    needed = ("MetricsSampler", "MetricSample", "Thresholds", "judge")
    return module if all(hasattr(module, name) for name in needed) else None
