"""The append-only event log of one session: ``<sessions dir>/<session id>/events.jsonl``.

One canonical JSON event per line. The writer only ever appends (the file is opened in append mode for
every event, so a crash leaves at most one partial last line, which the verifier names). A session
resumed by another process, maybe days later, opens the same file and continues the chain from its last
event: the numbers go on and the first new event links to the last old one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zdt.record.events import GENESIS, LOG_FILE, Event, seal


def log_path(sessions_dir: Path, session_id: str) -> Path:
    return sessions_dir / session_id / LOG_FILE


@dataclass(frozen=True)
class Line:
    """One line of the log as read back: its number in the file, its text, and the event if it parses."""

    number: int
    text: str
    event: Event | None
    error: str | None = None


def read_lines(path: Path) -> Iterator[Line]:
    """Every non-empty line of the log, parsed where it can be."""
    with path.open(encoding="utf-8") as file:
        for number, raw in enumerate(file, start=1):
            text = raw.rstrip("\n")
            if not text.strip():
                continue
            try:
                yield Line(number, text, Event.model_validate(json.loads(text)))
            except (ValueError, ValidationError) as error:
                yield Line(number, text, None, f"{type(error).__name__}: {str(error).splitlines()[0]}")


def read_events(path: Path) -> list[Event]:
    """The events that parse, in file order (verify the chain first: zdt.record.verify)."""
    return [line.event for line in read_lines(path) if line.event is not None]


def _tail(path: Path) -> tuple[int, str]:
    """The last event's number and hash (0 and GENESIS for a new log)."""
    if not path.exists():
        return 0, GENESIS
    last: Event | None = None
    for line in read_lines(path):
        if line.event is not None:
            last = line.event
    return (last.seq, last.hash) if last is not None else (0, GENESIS)


class EventLog:
    """Seals and appends events; thread-safe (the monitor's sampler records beside the executor)."""

    def __init__(self, path: Path, session_id: str) -> None:
        self.path = path
        self.session_id = session_id
        self._lock = threading.Lock()
        self._seq, self._head = _tail(path)

    @property
    def head(self) -> str:
        """The hash of the last event written (GENESIS before the first)."""
        return self._head

    @property
    def count(self) -> int:
        return self._seq

    def append(
        self, kind: str, data: dict[str, Any], *, node: str | None = None, agent: str | None = None
    ) -> Event:
        with self._lock:
            event = seal(
                seq=self._seq + 1,
                prev=self._head,
                session_id=self.session_id,
                kind=kind,
                data=data,
                node=node,
                agent=agent,
            )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as file:
                file.write(event.line())
            self._seq, self._head = event.seq, event.hash
            return event
