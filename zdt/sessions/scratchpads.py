"""Where a session's documents go: ``<out>/<session id>/``, with ``<out>/latest`` naming the newest.

Why one folder per session: the seed workflow's four agents shared one ``.claude/scratchpads`` folder,
so a second migration overwrote the first one's plan and log. A folder per session keeps every record;
``latest`` keeps the seed's habit of "look in the scratchpads folder" working.
"""

from __future__ import annotations

import os
from pathlib import Path

PLAN_MD = "MIGRATION-PLAN.md"
PLAN_JSON = "plan.json"
LOG_MD = "MIGRATION-LOG.md"
COMPATIBILITY_MD = "APP-COMPATIBILITY.md"
MONITORING_MD = "MIGRATION-MONITORING.md"
SCHEMA_SNAPSHOT_SQL = "schema-before-production.sql"  # pg_dump --schema-only of the target, before execute
MONITORING_HTML = "MIGRATION-MONITORING.html"
REHEARSAL_DIR = "rehearsal"  # the rehearsal's own log, monitoring and charts

#: What zdt's code writes into a session's folder, and no agent tool may: the gate's plan (what the
#: approver reads and what runs), the compatibility verdict, the monitor's reports, the executor's log
#: (agents add to it only through append_log, signed), the schema snapshot. An agent's own notes may be
#: any other Markdown or text file.
WRITTEN_BY_ZDT = (
    PLAN_MD,
    PLAN_JSON,
    LOG_MD,
    COMPATIBILITY_MD,
    MONITORING_MD,
    MONITORING_HTML,
    SCHEMA_SNAPSHOT_SQL,
)
AGENT_NOTE_SUFFIXES = (".md", ".txt")

#: The four documents of the seed's four terminals, in the order ``zdt watch`` shows them.
WATCHED = (PLAN_MD, LOG_MD, COMPATIBILITY_MD, MONITORING_MD)

LATEST = "latest"
DEFAULT_OUT = Path("scratchpads")  # the scratchpads root, relative to where zdt runs


def written_by_zdt(relative: str) -> str | None:
    """Why an agent may not write ``relative`` (a path inside a session's folder); None when it may.

    Compared without case: on a case-insensitive filesystem 'plan.JSON' is plan.json.
    """
    lowered = relative.lower()
    for name in WRITTEN_BY_ZDT:
        if lowered == name.lower():
            return f"{name} is written by zdt itself (once, by code), never by an agent"
    if lowered.split("/", 1)[0] == REHEARSAL_DIR:
        return f"{REHEARSAL_DIR}/ holds the rehearsal's own records, written by zdt"
    if not lowered.endswith(AGENT_NOTE_SUFFIXES):
        return f"an agent writes notes only ({', '.join(AGENT_NOTE_SUFFIXES)} files); zdt writes the rest"
    return None


def session_dir(out_dir: Path, session_id: str) -> Path:
    return out_dir / session_id


def point_latest(out_dir: Path, session_id: str) -> Path:
    """Make ``<out>/latest`` name ``session_id``: a relative symlink, or a text file where links fail."""
    out_dir.mkdir(parents=True, exist_ok=True)
    latest = out_dir / LATEST
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    try:
        os.symlink(session_id, latest, target_is_directory=True)
    except OSError:  # e.g. Windows without the privilege, or a filesystem without links
        latest.write_text(session_id + "\n", encoding="utf-8")
    return latest


def latest_session(out_dir: Path) -> str | None:
    """The session ``<out>/latest`` names, whichever form it took; None when there is none."""
    latest = out_dir / LATEST
    if latest.is_symlink():
        return Path(os.readlink(latest)).name
    if latest.is_file():
        return latest.read_text(encoding="utf-8").strip() or None
    return None
