"""Brains that can run an agent: Claude through the official SDK, or the deterministic offline code."""

from zdt.agents.brains.offline import OFFLINE_NAME, OfflineBrain

__all__ = ["OFFLINE_NAME", "OfflineBrain"]
