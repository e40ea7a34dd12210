"""The schema snapshot a session keeps of its target right before production: what the plan started from.

Why: the seed's readiness checklist asks for a backup before the migration. zdt cannot take or check a
data backup (that is the operator's word, recorded with the approval), but it can keep the schema the
plan was approved against, so that whoever rolls back or investigates later has the exact DDL of the
target before the first production step, beside the plan and the log. The file, its size and its sha256
are recorded in the session; a failed dump is recorded too (the checklist item stays open with it) and
does not stop an approved run: the approver decided on the plan, not on the snapshot.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from zdt.db.pg_dump import PgDumpError, dump_schema_to
from zdt.graph.state import utc_now
from zdt.sessions.scratchpads import SCHEMA_SNAPSHOT_SQL


def keep_schema_snapshot(target_url: str, out_dir: Path) -> dict[str, Any]:
    """Dump the target's schema into ``out_dir``; the JSON the session records (or the error)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SCHEMA_SNAPSHOT_SQL
    try:
        dump = dump_schema_to(target_url, path)
    except PgDumpError as error:
        return {"error": str(error), "at": utc_now()}
    path.chmod(0o600)  # the schema of production: readable by whoever runs zdt only
    content = path.read_bytes()
    return {
        "path": str(path),
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "pg_dump": dump.version,
        "pg_dump_path": str(dump.path),
        "at": utc_now(),
    }
