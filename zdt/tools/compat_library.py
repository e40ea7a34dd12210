"""Where the compatibility library (zdt.compat) is found, if it is installed.

Developed alongside the agents: when it is importable, check_compatibility uses its corpus checker (result
column and parameter type changes, error positions, timeouts told apart from breaks); without it, a
built-in per-query PREPARE on both schemas answers the same question more coarsely. One function
decides, so tests can force either path.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def load() -> ModuleType | None:
    """The ``zdt.compat`` package, or None when it is not available."""
    try:
        module = importlib.import_module("zdt.compat")
    except ImportError:
        return None
    needed = ("assess_compatibility", "parse_queries")
    return module if all(hasattr(module, name) for name in needed) else None
