"""Brains that can run an agent: Claude through the official SDK, or the deterministic offline code."""

from zdt.agents.brains.claude import ClaudeBrain, ModelCallFailed
from zdt.agents.brains.config import DEFAULT_MODEL, MODEL_ENV, configured_model
from zdt.agents.brains.offline import OFFLINE_NAME, OfflineBrain
from zdt.agents.brains.select import BrainMode, select_brain
from zdt.agents.brains.wire import SUBMIT_TOOL

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
