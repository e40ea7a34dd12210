"""The session's checklists in its scratchpads: MIGRATION-PLAN.md and APP-COMPATIBILITY.md, kept current.

Why after every node: an item is ticked by a check the moment that check has run (the rehearsal, the
compatibility agent, the snapshot before production, the verify node), so a reviewer reading the plan
while the session waits at the approval sees what is proven so far and what is still open, and the same
documents read after the run show the post-migration verification. The section is rewritten in place
(between its markers); the rest of each document is the writer's own (zdt.reports, zdt.compat).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zdt.graph.state import SessionState, SessionStatus
from zdt.reports.checklists import SessionFacts, checklists, with_checklists
from zdt.sessions.scratchpads import COMPATIBILITY_MD, PLAN_MD

PRODUCTION_RUNS = frozenset({"execute", "contract"})  # the nodes whose Watch.summary() names its run
#: A rollback is history once a later run got this far (a revised plan, run again after it).
PAST_A_ROLLBACK = frozenset({SessionStatus.AWAITING_DEPLOY, SessionStatus.CONTRACTING, SessionStatus.DONE})


def session_facts(state: SessionState) -> SessionFacts:
    """What the checklists read, from the state's own records."""
    runs = [summary for summary in state.monitor_verdicts if summary.get("run") in PRODUCTION_RUNS]
    rolled_back = None
    if state.rollback is not None and state.status not in PAST_A_ROLLBACK:
        rolled_back = state.error or "the migration was rolled back"
    return SessionFacts(
        rehearsal=state.rehearsal,
        compatibility=state.compatibility,
        schema_snapshot=state.schema_snapshot,
        approvals=state.approvals,
        execution=state.execution,
        verification=state.verification,
        production_monitor=runs,
        rolled_back=rolled_back,
    )


def merged(state: SessionState, update: Mapping[str, Any]) -> SessionState:
    """The state as LangGraph will have it after ``update``: accumulated lists appended, the rest replaced."""
    values = state.model_dump(mode="json")
    for key, value in update.items():
        if key not in SessionState.model_fields:
            continue
        accumulates = operator.add in SessionState.model_fields[key].metadata  # the list reducers
        values[key] = [*values[key], *value] if accumulates else value
    return SessionState.model_validate(values)


def refresh_checklists(state: SessionState, out_dir: Path) -> list[Path]:
    """Rewrite the checklist section of the session's plan and compatibility documents that exist."""
    section = checklists(session_facts(state)).markdown()
    written = []
    for name in (PLAN_MD, COMPATIBILITY_MD):
        path = out_dir / name
        if path.is_file():
            path.write_text(with_checklists(path.read_text(encoding="utf-8"), section), encoding="utf-8")
            written.append(path)
    return written
