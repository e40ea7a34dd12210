"""select_brain: auto means Claude only with a key; 'claude' without one fails early and clearly."""

from __future__ import annotations

import pytest

from tests.agents.fake_api import FakeMessagesAPI
from zdt.agents import AgentError
from zdt.agents.brains import DEFAULT_MODEL, ClaudeBrain, OfflineBrain, configured_model, select_brain


def test_auto_without_key_is_offline() -> None:
    brain = select_brain("auto", environ={})
    assert isinstance(brain, OfflineBrain) and brain.name == "offline (deterministic)"


def test_auto_with_key_is_claude_with_the_configured_model() -> None:
    environ = {"ANTHROPIC_API_KEY": "sk-ant-secret-value", "ZDT_MODEL": "claude-custom-1"}
    brain = select_brain("auto", environ=environ, model=configured_model(environ))
    assert isinstance(brain, ClaudeBrain) and brain.name == "claude (claude-custom-1)"
    assert "sk-ant-secret-value" not in repr(brain) + brain.name


def test_default_model_is_one_constant() -> None:
    assert configured_model({}) == DEFAULT_MODEL
    assert configured_model({"ZDT_MODEL": "  "}) == DEFAULT_MODEL


def test_claude_without_key_fails_clearly() -> None:
    with pytest.raises(AgentError, match="needs ANTHROPIC_API_KEY"):
        select_brain("claude", environ={})


def test_injected_client_counts_as_configured() -> None:
    brain = select_brain("claude", client=FakeMessagesAPI().client(), environ={})
    assert isinstance(brain, ClaudeBrain)


def test_offline_never_uses_claude() -> None:
    assert isinstance(select_brain("offline", environ={"ANTHROPIC_API_KEY": "k"}), OfflineBrain)


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown brain mode"):
        select_brain("gpt", environ={})  # type: ignore[arg-type]
