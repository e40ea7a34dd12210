"""The session store: one SQLite saver per process, PostgreSQL on request, and a clear word when missing.

Why: a session waiting for an approval lives only in this store; a second SQLite saver on the same file
in one process ends in "database is locked", and a missing optional package must say what to install.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.graph.conftest import Harness
from zdt.graph.build import build_graph
from zdt.graph.checkpoint import StateStoreError, open_checkpointer, sqlite_saver, thread_ids
from zdt.graph.runner import outcome
from zdt.sessions.scratchpads import latest_session, point_latest


def test_one_sqlite_saver_per_file_per_process(tmp_path: Path) -> None:
    first = sqlite_saver(tmp_path / "a" / "state.sqlite")
    assert sqlite_saver(tmp_path / "a" / ".." / "a" / "state.sqlite") is first
    with open_checkpointer(f"sqlite:///{tmp_path}/a/state.sqlite") as saver:
        assert saver is first
    assert (tmp_path / "a" / "state.sqlite").is_file()


def test_an_unknown_store_and_a_missing_package_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    with (
        pytest.raises(StateStoreError, match="sqlite:///PATH or a postgresql:// URL"),
        open_checkpointer("mysql://x"),
    ):
        pass
    monkeypatch.setitem(sys.modules, "langgraph.checkpoint.postgres", None)  # as if not installed
    with (
        pytest.raises(StateStoreError, match="pip install langgraph-checkpoint-postgres"),
        open_checkpointer("postgresql://nobody@127.0.0.1:1/none"),
    ):
        pass


def test_a_waiting_session_kept_in_postgresql_is_found_by_another_saver(
    target_url: str, staging_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("langgraph.checkpoint.postgres")
    state_url = (
        staging_url  # any database the user names; here the staging one, for a fresh server-side store
    )
    with open_checkpointer(state_url) as saver:
        harness = Harness(target_url, staging_url, tmp_path, saver=saver)
        assert harness.start("ALTER TABLE users ADD COLUMN nickname text;").waiting

    with open_checkpointer(state_url) as another:  # a new connection, as a new process would open
        graph = build_graph().compile(checkpointer=another)
        assert harness.session_id in thread_ids(another)
        waiting = outcome(graph, harness.session_id)
        assert waiting.pending is not None and waiting.pending["plan_hash"] == waiting.values["plan_hash"]
        harness.graph = graph
        assert harness.approve().status == "done"


def test_latest_names_the_newest_session_with_or_without_symlinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_latest(tmp_path, "s-1")
    point_latest(tmp_path, "s-2")
    assert (tmp_path / "latest").is_symlink() and latest_session(tmp_path) == "s-2"

    def no_links(*_args: object, **_kwargs: object) -> None:
        raise OSError("symlinks are not supported here")

    monkeypatch.setattr(os, "symlink", no_links)
    point_latest(tmp_path, "s-3")
    assert not (tmp_path / "latest").is_symlink()
    assert latest_session(tmp_path) == "s-3"
