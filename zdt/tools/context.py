"""What the tools need to know about the session that a model must never see or steer.

Connection strings live here, in the graph's runtime context, and nowhere else: not in the checkpointed
state (it is written to disk), not in prompts (they go to an API), not in tool outputs (a model reads
those and may repeat them). ``environment`` and ``production_approved`` are how deterministic code, not
the model, decides which database a tool may touch and whether production may be written at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from zdt.db.urls import redact
from zdt.plan.model import MigrationPlan

Environment = Literal["planning", "rehearsal", "production"]
DatabaseRole = Literal["target", "staging"]


@dataclass(frozen=True)
class ToolContext:
    """The session facts every tool is built with (one per agent run).

    ``plan`` is the checked plan that ``execute_step`` may apply; ``None`` until the gate has stamped
    one. ``production_approved`` is set only by the graph's execute node, after a human approved the
    plan's hash: a model has no way to set it.
    """

    target_url: str
    scratchpad_dir: Path
    session_id: str
    environment: Environment = "planning"
    staging_url: str | None = None
    production_approved: bool = False
    plan: MigrationPlan | None = None
    statement_timeout_ms: int = 5_000
    row_cap: int = 200
    log_name: str = "MIGRATION-LOG.md"
    reader_role: str = "zdt_reader"  # a non-superuser role a model's queries run as, if the server has it

    def url_for(self, role: DatabaseRole | None = None) -> str:
        """The URL for ``role``; by default the database this environment works on.

        Planning reads the target (read-only); a rehearsal works on staging; production on the target.
        Asking for staging when there is none is a ToolError-worthy mistake, reported by the caller.
        """
        chosen = role or ("staging" if self.environment == "rehearsal" else "target")
        if chosen == "staging":
            if self.staging_url is None:
                raise LookupError("this session has no staging database")
            return self.staging_url
        return self.target_url

    def describe(self, role: DatabaseRole | None = None) -> str:
        """The database a tool used, redacted: safe to show a model."""
        try:
            return redact(self.url_for(role))
        except LookupError as error:
            return str(error)

    def __repr__(self) -> str:  # URLs redacted even in tracebacks and debug logs
        staging = redact(self.staging_url) if self.staging_url else None
        return (
            f"ToolContext(session_id={self.session_id!r}, environment={self.environment!r}, "
            f"target={redact(self.target_url)!r}, staging={staging!r}, "
            f"production_approved={self.production_approved!r}, scratchpad_dir={str(self.scratchpad_dir)!r})"
        )

    __str__ = __repr__
