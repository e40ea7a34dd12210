"""Where sessions are kept between processes: SQLite by default, PostgreSQL with ``--state-url``.

Why it matters: a session waits at the approval for as long as a person takes, often longer than the
process that started it lives. The checkpointer writes the state after every node (``durability="sync"``
makes that write finish before the next node starts, so a production step never runs ahead of its
record), and ``zdt resume`` picks the session up from any process.

SQLite: one saver per process and file (two savers on one file end in "database is locked"), its
connection shared across threads (the monitor's sampler runs beside the executor). PostgreSQL needs the
``langgraph-checkpoint-postgres`` package, imported only when asked for.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, cast

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

DEFAULT_STATE_PATH = Path(".zdt") / "state.sqlite"
RECORD_FOLDER = "sessions"  # the session records (zdt.record), beside the SQLite store

_SQLITE_PREFIX = "sqlite:///"
_POSTGRES_PREFIXES = ("postgresql://", "postgres://")

_savers: dict[Path, SqliteSaver] = {}
_savers_lock = threading.Lock()


class _OneConnectionSaver(Protocol):
    """SqliteSaver and PostgresSaver: one connection, which they use under their ``lock``."""

    conn: Any
    lock: threading.Lock


class StateStoreError(RuntimeError):
    """The session store cannot be opened (missing package, unknown URL scheme)."""


def sqlite_saver(path: Path) -> SqliteSaver:
    """The process's one SqliteSaver for ``path`` (created, with its folder, on first use)."""
    resolved = path.expanduser().resolve()
    with _savers_lock:
        saver = _savers.get(resolved)
        if saver is None:
            resolved.parent.mkdir(parents=True, exist_ok=True)
            saver = SqliteSaver(sqlite3.connect(resolved, check_same_thread=False))
            saver.setup()
            _savers[resolved] = saver
        return saver


def _postgres_saver_class() -> Any:
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError as error:
        raise StateStoreError(
            "keeping sessions in PostgreSQL needs the langgraph-checkpoint-postgres package: "
            "pip install langgraph-checkpoint-postgres"
        ) from error
    return PostgresSaver


def describe_store(state_url: str | None, state_path: Path = DEFAULT_STATE_PATH) -> str:
    """The store in words, without a password: for messages and the resume command."""
    from zdt.db.urls import redact

    if state_url is None:
        return str(state_path)
    if state_url.startswith(_SQLITE_PREFIX):
        return state_url
    return redact(state_url)


def record_dir(state_url: str | None = None, state_path: Path = DEFAULT_STATE_PATH) -> Path:
    """Where the sessions' event logs are kept: ``sessions/`` beside the SQLite file holding their
    checkpoints (``.zdt/sessions`` by default); beside the default file when the store is PostgreSQL."""
    if state_url is not None and state_url.startswith(_SQLITE_PREFIX):
        return Path(state_url[len(_SQLITE_PREFIX) :]).parent / RECORD_FOLDER
    return state_path.parent / RECORD_FOLDER


@contextmanager
def open_checkpointer(
    state_url: str | None = None, state_path: Path = DEFAULT_STATE_PATH
) -> Iterator[BaseCheckpointSaver[Any]]:
    """The session store: ``state_path`` (SQLite) by default, or ``state_url``.

    ``state_url`` is ``sqlite:///path/to/file.sqlite`` or a PostgreSQL URL (or key=value conninfo).
    """
    if state_url is None:
        yield sqlite_saver(state_path)
    elif state_url.startswith(_SQLITE_PREFIX):
        yield sqlite_saver(Path(state_url[len(_SQLITE_PREFIX) :]))
    elif state_url.startswith(_POSTGRES_PREFIXES) or "://" not in state_url:  # URL or key=value conninfo
        saver_class = _postgres_saver_class()
        with saver_class.from_conn_string(state_url) as saver:
            saver.setup()
            yield saver
    else:
        raise StateStoreError(f"--state-url must be sqlite:///PATH or a postgresql:// URL, not {state_url!r}")


def thread_ids(saver: BaseCheckpointSaver[Any]) -> list[str]:
    """Every session (thread) the store holds, in no particular order."""
    conn = getattr(saver, "conn", None)
    if conn is not None:
        shared = cast(_OneConnectionSaver, saver)  # only those two savers have a .conn
        with shared.lock:  # both savers serialise use of their one connection with it
            rows = conn.execute("SELECT DISTINCT thread_id FROM checkpoints").fetchall()
        return [row["thread_id"] if isinstance(row, dict) else row[0] for row in rows]
    return list(dict.fromkeys(str(t.config["configurable"]["thread_id"]) for t in saver.list(None)))
