"""MIGRATION-LOG.md: an append-only, human-readable record of every action the executor took.

Written as it happens (one flushed line per action) so that the log of a run that was killed is still
complete up to the kill. It names the target by its redacted URL only, and scrubs the password from
every line in case a server error message ever echoes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from zdt.db.urls import redact

LOG_NAME = "MIGRATION-LOG.md"
DEFAULT_LOG_PATH = Path("scratchpads") / LOG_NAME

_COLUMNS = ["UTC time", "step", "action", "SQL", "duration", "rows", "result", "retries"]


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def _cell(text: str) -> str:
    """One Markdown table cell: no raw newlines or pipes."""
    return " ".join(text.split()).replace("|", "\\|")


def _sql_cell(statements: list[str]) -> str:
    if not statements:
        return ""
    return "<br>".join("`" + _cell(s).replace("`", "'") + "`" for s in statements)


def _password(url: str) -> str | None:
    try:
        password = conninfo_to_dict(url).get("password")
        return str(password) if password else None
    except Exception:  # an unparseable URL has no password we could find
        return None


class MigrationLog:
    """Appends one section per run (apply or rollback) and one table row per action."""

    def __init__(self, path: Path, url: str) -> None:
        self.path = path
        self._target = redact(url)
        self._secret = _password(url)

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with self.path.open("a", encoding="utf-8") as handle:
            if new:
                handle.write("# Migration log\n")
            handle.write(self._scrub(text))
            handle.flush()

    def begin(self, action: str, migration_id: str, plan_hash: str, note: str = "") -> None:
        header = "| " + " | ".join(_COLUMNS) + " |\n|" + "---|" * len(_COLUMNS) + "\n"
        lines = [
            f"\n## {action} `{migration_id}` started {_utc_now()}\n",
            f"\nTarget `{self._target}`, plan hash `{plan_hash[:16]}`.{(' ' + note) if note else ''}\n\n",
            header,
        ]
        self._append("".join(lines))

    def entry(
        self,
        step_id: str,
        action: str,
        *,
        sql: list[str] | None = None,
        duration_s: float | None = None,
        rows: int | None = None,
        result: str = "",
        retries: int = 0,
    ) -> None:
        cells = [
            _utc_now(),
            _cell(step_id),
            _cell(action),
            _sql_cell(sql or []),
            "" if duration_s is None else f"{duration_s * 1000:.0f} ms",
            "" if rows is None else str(rows),
            _cell(result),
            str(retries),
        ]
        self._append("| " + " | ".join(cells) + " |\n")

    def note(self, text: str) -> None:
        """A paragraph after the table: the outcome of the run, in words."""
        self._append(f"\n{_cell(text)}\n")
