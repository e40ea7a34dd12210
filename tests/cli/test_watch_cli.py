"""``zdt watch``: the four scratchpads followed live, bounded by --timeout; --once shows them and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from zdt.cli.app import app
from zdt.sessions.scratchpads import LOG_MD, PLAN_MD, point_latest


def _session(tmp_path: Path) -> Path:
    folder = tmp_path / "pads" / "s-20260101-000000-abcd"
    folder.mkdir(parents=True)
    (folder / PLAN_MD).write_text("# Migration plan\n\nstep s01\n")
    point_latest(tmp_path / "pads", folder.name)
    return folder


def test_watch_follows_new_lines_until_its_timeout(tmp_path: Path) -> None:
    folder = _session(tmp_path)
    env = {**os.environ, "COLUMNS": "200"}
    started = time.monotonic()
    watcher = subprocess.Popen(
        [sys.executable, "-m", "zdt", "watch", "--out", str(tmp_path / "pads"), "--timeout", "4"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(2.0)  # the observer is watching by now
    with (folder / LOG_MD).open("a") as log:
        log.write("| 12:00:00 | s01 | apply | CREATE INDEX | 3 ms |\n")
    out, err = watcher.communicate(timeout=30)

    assert watcher.returncode == 0, err
    assert time.monotonic() - started < 20
    assert f"{PLAN_MD} | step s01" in out, "what was there at the start is shown"
    assert f"{LOG_MD} | | 12:00:00 | s01 | apply" in out, "a line written while watching is shown"


def test_watch_once_shows_the_documents_and_exits(tmp_path: Path) -> None:
    folder = _session(tmp_path)
    result = CliRunner().invoke(app, ["watch", folder.name, "--out", str(tmp_path / "pads"), "--once"])

    assert result.exit_code == 0, result.output
    assert "step s01" in result.output and "(nothing yet)" in result.output


def test_watch_without_a_session_says_how_to_start_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["watch", "--out", str(tmp_path / "nothing"), "--once"])
    assert result.exit_code == 2
