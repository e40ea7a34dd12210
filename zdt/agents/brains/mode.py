"""BrainMode: which brain runs the agents, as the CLI's --brain, the session state and select_brain spell it.

Its own module, free of the Anthropic SDK, so the session state and the CLI can name it without loading
the client.
"""

from __future__ import annotations

from enum import StrEnum


class BrainMode(StrEnum):
    """auto: Claude when ANTHROPIC_API_KEY is set, else offline; claude: Claude or a clear error; offline."""

    AUTO = "auto"
    CLAUDE = "claude"
    OFFLINE = "offline"
