"""Why an agent could not produce its result: raised to the graph node, which records it in the session."""

from __future__ import annotations


class AgentError(Exception):
    """An agent run ended without a valid result."""


class NeedsModel(AgentError):
    """The task needs a language model (e.g. a request in words) and the offline brain was chosen."""


class SubmissionRejected(AgentError):
    """The model kept submitting results that fail validation."""


class TurnLimitReached(AgentError):
    """The model did not submit a result within the turn bound."""
