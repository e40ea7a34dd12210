"""The runtime context of a session: everything a node needs that must not be checkpointed.

Why a separate object: connection strings carry passwords and a brain holds an API client; neither may
be written to the checkpoint (it is a file on disk, read back by another process). LangGraph hands this
context to every node (``context_schema``); the CLI builds it again on resume from the URLs the user
supplies again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from zdt.agents.base import Brain
from zdt.executor import ExecutorSettings
from zdt.record.recorder import Recorder
from zdt.rehearsal.traffic import TrafficSettings
from zdt.sessions.scratchpads import DEFAULT_OUT
from zdt.tools.base import CallObserver


@dataclass(frozen=True)
class RolloutSettings:
    """How the contract gate looks for the old release before contract removes what it uses."""

    old_application_name: str | None = None  # the old release's application_name, if the team sets one
    observe_s: float = 30.0  # how long pg_stat_statements is watched for the old release's statements


@dataclass(frozen=True)
class SessionSettings:
    """Knobs of a session that are configuration, not state."""

    max_planning_rounds: int = 3  # planner -> gate rounds before the session stops FAILED
    sample_rows: int = 0  # rows per table copied into the embedded rehearsal
    monitor_interval_s: float = 0.2  # how often the monitor samples while something runs
    critical_grace_s: float = 5.0  # a critical verdict lasting this long stops the run (then rollback)
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    traffic: TrafficSettings = field(default_factory=TrafficSettings)  # the load the rehearsal runs under
    rollout: RolloutSettings = field(default_factory=RolloutSettings)


@dataclass(frozen=True)
class SessionContext:
    """Given to every node as ``runtime.context``."""

    target_url: str
    brain: Brain
    staging_url: str | None = None  # None: rehearse on a throwaway embedded PostgreSQL
    out_dir: Path = DEFAULT_OUT  # scratchpads root; a session writes into out_dir/<session id>/
    settings: SessionSettings = field(default_factory=SessionSettings)
    observers: Sequence[CallObserver] = ()
    recorder: Recorder | None = None  # the session's event log (zdt.record); None records nothing

    def executor_settings(self, environment: str) -> ExecutorSettings:
        """The executor's settings for a run in ``environment`` (rehearsal, staging, production): with
        the recorder as statement observer, so every statement it sends is in the session's record."""
        if self.recorder is None:
            return self.settings.executor
        return replace(self.settings.executor, on_statement=self.recorder.statement_observer(environment))

    def session_dir(self, session_id: str) -> Path:
        return self.out_dir / session_id

    def __repr__(self) -> str:  # never show a URL, even in a traceback
        return (
            f"SessionContext(brain={self.brain.name!r}, out_dir={str(self.out_dir)!r}, "
            f"staging={'given' if self.staging_url else 'embedded'})"
        )
