"""The hash chain: a log written by two processes verifies; every kind of tampering is named by number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zdt.record.canonical import canonical
from zdt.record.events import GENESIS, seal
from zdt.record.log import EventLog, read_events
from zdt.record.verify import verify_log


def _log(path: Path, count: int = 6) -> list[str]:
    log = EventLog(path, "s-test")
    for number in range(count):
        log.append("tool_call", {"tool": "inspect_schema", "n": number, "text": "é ✓"}, agent="planner")
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_a_log_continued_by_another_writer_verifies_as_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    _log(path, 3)
    later = EventLog(path, "s-test")  # another process resuming the session
    assert later.count == 3
    later.append("session", {"action": "resume"})

    report = verify_log(path)

    assert report.ok, report.problem
    events = read_events(path)
    assert [event.seq for event in events] == [1, 2, 3, 4]
    assert events[0].prev == GENESIS and events[3].prev == events[2].hash
    assert report.head == events[-1].hash == later.head


def test_lines_are_the_canonical_encoding_and_hashes_cover_every_field(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first = _log(path, 1)[0]
    parsed = json.loads(first)
    assert canonical(parsed).decode("utf-8") == first  # sorted keys, no whitespace, UTF-8 as is
    assert "é ✓" in first
    event = read_events(path)[0]
    assert event.computed_hash() == event.hash
    moved = seal(
        seq=1,
        prev=GENESIS,
        session_id="s-test",
        kind=event.kind,
        data=event.data,
        agent="executor",
        at=event.at,
    )
    assert moved.hash != event.hash


def test_a_changed_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    tampered = json.loads(lines[3])
    tampered["data"]["n"] = 99
    lines[3] = json.dumps(tampered)
    _write(path, lines)

    problem = verify_log(path).problem

    assert problem is not None and (problem.event, problem.what) == (4, "changed")
    assert "event 4" in str(problem)


def test_a_changed_event_with_a_recomputed_hash_is_named_by_the_next_link(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    event = read_events(path)[2]
    forged = seal(
        seq=3, prev=event.prev, session_id="s-test", kind=event.kind, data={"n": "forged"}, at=event.at
    )
    lines[2] = forged.line().decode("utf-8").rstrip("\n")
    _write(path, lines)

    report = verify_log(path)

    assert report.problem is not None and (report.problem.event, report.problem.what) == (3, "changed")
    assert report.events == 3  # events 1-3 chain, event 4 does not link to the forged 3


def test_a_removed_event_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    del lines[2]
    _write(path, lines)

    problem = verify_log(path).problem

    assert problem is not None and (problem.event, problem.what) == (3, "removed")


def test_a_removed_last_event_shows_only_against_the_checkpointed_head(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    head = read_events(path)[-1].hash
    _write(path, lines[:-1])

    report = verify_log(path)

    assert report.ok and report.head != head  # zdt audit compares with the checkpoint's record_head


@pytest.mark.parametrize("where", [2, 5])
def test_an_inserted_event_is_named(tmp_path: Path, where: int) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    events = read_events(path)
    before = events[where - 1]
    fake = seal(seq=where + 1, prev=before.hash, session_id="s-test", kind="approval", data={"by": "mallory"})
    lines.insert(where, fake.line().decode("utf-8").rstrip("\n"))
    _write(path, lines)

    problem = verify_log(path).problem

    assert problem is not None and problem.what == "inserted"
    assert problem.event == where + 1
    if where + 2 < len(lines):  # an event follows: it links to the genuine one, so the forgery is named
        assert problem.line == where + 1
    else:  # the two last events both link to the one before: either may be the forgery
        assert f"lines {where + 1} and {where + 2}" in problem.message


def test_a_copied_line_is_named_as_inserted(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    lines.insert(5, lines[1])
    _write(path, lines)

    problem = verify_log(path).problem

    assert problem is not None and (problem.event, problem.what, problem.line) == (2, "inserted", 6)


def test_swapped_events_are_named_as_reordered(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    lines[3], lines[4] = lines[4], lines[3]
    _write(path, lines)

    problem = verify_log(path).problem

    assert problem is not None and (problem.event, problem.what) == (4, "reordered")
    assert "event 5 comes before it" in problem.message


def test_a_line_that_is_not_an_event_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = _log(path)
    lines[2] = lines[2][:40]  # a write cut short
    _write(path, lines)

    problem = verify_log(path).problem

    assert problem is not None and (problem.event, problem.what, problem.line) == (3, "malformed", 3)
