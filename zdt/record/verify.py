"""Checking a log's hash chain, and naming the first thing wrong with it by the event's number.

What each tampering looks like:

- a **changed** event: its hash no longer matches its content (or, if the hash was recomputed, the next
  event's ``prev`` no longer matches it);
- a **removed** event: a number is missing (the next one links to a hash that is not there);
- an **inserted** event: a number appears twice, or an event that links to nothing before it;
- **reordered** events: a number comes before a smaller one that is still to come.

Only the first problem is reported: everything after a break is unproven anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zdt.record.events import GENESIS
from zdt.record.log import Line, read_lines


@dataclass(frozen=True)
class ChainProblem:
    event: int  # the event's number (seq) the problem is named by
    line: int  # where in the file
    what: str  # changed | removed | inserted | reordered | malformed
    message: str

    def __str__(self) -> str:
        return f"event {self.event} (line {self.line}): {self.message}"


@dataclass(frozen=True)
class ChainReport:
    path: Path
    events: int
    head: str  # the last good event's hash (GENESIS for an empty log)
    problem: ChainProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_log(path: Path) -> ChainReport:
    """Walk the chain from the first event; stop at the first problem."""
    lines = list(read_lines(path))
    expected, prev = 1, GENESIS
    seen: dict[int, int] = {}  # seq -> line number
    for index, line in enumerate(lines):
        event = line.event
        if event is None:
            return _report(
                path, expected - 1, prev, expected, line, "malformed", f"not an event ({line.error})"
            )
        if event.seq in seen:
            following = lines[index + 1].event if index + 1 < len(lines) else None
            earlier = seen[event.seq]
            if following is not None and following.prev == event.hash:  # the log goes on from this one
                return ChainReport(
                    path,
                    event.seq - 1,
                    prev,
                    ChainProblem(
                        event.seq,
                        earlier,
                        "inserted",
                        f"inserted: the log goes on from the other event {event.seq}, on line {line.number}",
                    ),
                )
            return _report(
                path,
                expected - 1,
                prev,
                event.seq,
                line,
                "inserted",
                f"two events {event.seq} (lines {earlier} and {line.number}): one of them was inserted",
            )
        if event.seq > expected:
            following = lines[index + 1].event if index + 1 < len(lines) else None
            swapped = following is not None and event.prev == following.hash
            if following is not None and following.seq == expected and following.prev == prev and not swapped:
                return _report(
                    path,
                    expected - 1,
                    prev,
                    event.seq,
                    line,
                    "inserted",
                    f"inserted between events {expected - 1} and {expected}, which link to each other",
                )
            later = _line_of(lines[index + 1 :], expected)
            if later is not None:
                return _report(
                    path,
                    expected - 1,
                    prev,
                    expected,
                    later,
                    "reordered",
                    f"out of order: event {event.seq} comes before it (line {line.number})",
                )
            missing = (
                f"event {expected}" if event.seq == expected + 1 else f"events {expected}-{event.seq - 1}"
            )
            return _report(
                path,
                expected - 1,
                prev,
                expected,
                line,
                "removed",
                f"{missing} removed: the log jumps to event {event.seq}",
            )
        if event.seq < expected:
            return _report(
                path,
                expected - 1,
                prev,
                event.seq,
                line,
                "inserted",
                f"event {event.seq} appears after event {expected - 1}: an event was inserted",
            )
        if event.computed_hash() != event.hash:
            return _report(
                path,
                expected - 1,
                prev,
                event.seq,
                line,
                "changed",
                "changed: its hash does not match its content",
            )
        if event.prev != prev:
            culprit = event.seq - 1 if event.seq > 1 else event.seq
            return _report(
                path,
                expected - 1,
                prev,
                culprit,
                line,
                "changed",
                f"changed: event {event.seq} does not link to it (its prev is {event.prev[:12]}, "
                f"event {culprit} hashes to {prev[:12]})",
            )
        seen[event.seq] = line.number
        expected, prev = expected + 1, event.hash
    return ChainReport(path, expected - 1, prev)


def _line_of(lines: list[Line], seq: int) -> Line | None:
    return next((line for line in lines if line.event is not None and line.event.seq == seq), None)


def _report(path: Path, good: int, head: str, event: int, line: Line, what: str, message: str) -> ChainReport:
    return ChainReport(path, good, head, ChainProblem(event, line.number, what, message))
