"""Brains that can run an agent: Claude through the official SDK, or the deterministic offline code.

``ClaudeBrain`` and ``ModelCallFailed`` are imported from ``claude.py`` on first use: the ``anthropic``
SDK takes seconds to import, and a session with the offline brain never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zdt.agents.brains.config import DEFAULT_MODEL, MODEL_ENV, configured_model
from zdt.agents.brains.offline import OFFLINE_NAME, OfflineBrain
from zdt.agents.brains.select import BrainMode, select_brain
from zdt.agents.brains.wire import SUBMIT_TOOL

if TYPE_CHECKING:
    from zdt.agents.brains.claude import ClaudeBrain, ModelCallFailed

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_ENV",
    "OFFLINE_NAME",
    "SUBMIT_TOOL",
    "BrainMode",
    "ClaudeBrain",
    "ModelCallFailed",
    "OfflineBrain",
    "configured_model",
    "select_brain",
]


def __getattr__(name: str) -> object:
    if name in {"ClaudeBrain", "ModelCallFailed"}:
        from zdt.agents.brains import claude

        return getattr(claude, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
