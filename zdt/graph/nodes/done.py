"""done: the migration is applied, verified and watched; the session is closed."""

from __future__ import annotations

from zdt.graph.progress import Progress
from zdt.graph.state import SessionState, SessionStatus, SessionUpdate, log_entry


def done(state: SessionState) -> SessionUpdate:
    progress = Progress("session")
    message = (state.execution or {}).get("message", "done")
    progress("done", message=message)
    return {"status": SessionStatus.DONE.value, "error": None, "log": log_entry("done", message)}
