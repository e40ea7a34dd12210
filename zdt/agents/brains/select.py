"""Choosing the brain for a session: Claude when a key is configured, the offline code otherwise.

'auto' keeps the tool usable without an account (and in CI); 'claude' fails early and clearly when no
key is set rather than at the first agent call; 'offline' never touches the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from zdt.agents.base import Brain, ModelCallObserver
from zdt.agents.brains.config import API_KEY_ENV, DEFAULT_MAX_RETRIES, api_key_present
from zdt.agents.brains.mode import BrainMode
from zdt.agents.brains.offline import OfflineBrain
from zdt.agents.errors import AgentError

if TYPE_CHECKING:
    import anthropic


def select_brain(
    mode: BrainMode | str = BrainMode.AUTO,
    *,
    model: str | None = None,
    client: anthropic.Anthropic | None = None,
    observers: Iterable[ModelCallObserver] = (),
    max_retries: int = DEFAULT_MAX_RETRIES,
    environ: Mapping[str, str] | None = None,
) -> Brain:
    """The brain for ``mode``; an injected ``client`` counts as configured Claude access."""
    try:
        mode = BrainMode(mode)
    except ValueError:
        raise ValueError(f"unknown brain mode {mode!r}: auto, claude or offline") from None
    if mode == "offline":
        return OfflineBrain()
    configured = client is not None or api_key_present(environ)
    if mode == "claude" and not configured:
        raise AgentError(f"--brain claude needs {API_KEY_ENV} to be set")
    if not configured:
        return OfflineBrain()
    from zdt.agents.brains.claude import ClaudeBrain  # the SDK takes seconds to import: only for Claude

    return ClaudeBrain(model=model, client=client, observers=observers, max_retries=max_retries)
