"""Scratchpad tools: confined to the session's folder; the log is timestamped, signed and password-free."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from zdt.tools import ToolContext, build_toolbox


@pytest.fixture
def pad_context(tmp_path: Path) -> ToolContext:
    pad = tmp_path / "pad"
    pad.mkdir()
    return ToolContext(
        target_url="postgresql://app:hunter2-secret@127.0.0.1:5432/prod", scratchpad_dir=pad, session_id="s"
    )


def test_write_then_read_and_append(pad_context: ToolContext) -> None:
    tools = build_toolbox("planner", pad_context)
    assert not tools.call("write_scratchpad", {"name": "PLANNER-NOTES.md", "content": "# Plan\n"}).is_error
    tools.call("write_scratchpad", {"name": "PLANNER-NOTES.md", "content": "step 1\n", "mode": "append"})
    assert tools.call("read_scratchpad", {"name": "PLANNER-NOTES.md"}).content == "# Plan\nstep 1\n"
    tools.call("write_scratchpad", {"name": "notes/a.md", "content": "x"})
    assert (pad_context.scratchpad_dir / "notes" / "a.md").read_text() == "x"


@pytest.mark.parametrize(
    "name", ["../escape.md", "/etc/passwd", "notes/../../escape.md", "..", "", ".", "a\\..\\b", "a\x00b"]
)
def test_path_traversal_is_refused(pad_context: ToolContext, name: str) -> None:
    tools = build_toolbox("planner", pad_context)
    assert tools.call("write_scratchpad", {"name": name, "content": "pwned"}).is_error
    assert tools.call("read_scratchpad", {"name": name}).is_error
    assert not (pad_context.scratchpad_dir.parent / "escape.md").exists()


def test_symlink_out_of_the_folder_is_refused(pad_context: ToolContext, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("secret")
    os.symlink(outside, pad_context.scratchpad_dir / "link.md")
    tools = build_toolbox("planner", pad_context)
    assert tools.call("read_scratchpad", {"name": "link.md"}).is_error
    assert tools.call("write_scratchpad", {"name": "link.md", "content": "x"}).is_error
    assert outside.read_text() == "secret"


def test_missing_file_lists_what_exists(pad_context: ToolContext) -> None:
    (pad_context.scratchpad_dir / "MIGRATION-LOG.md").write_text("log")
    result = build_toolbox("planner", pad_context).call("read_scratchpad", {"name": "nope.md"})
    assert result.is_error and "MIGRATION-LOG.md" in result.content


def test_append_log_is_signed_and_scrubbed(pad_context: ToolContext) -> None:
    tools = build_toolbox("monitor", pad_context)
    tools.call(
        "append_log", {"message": "connected with\npostgresql://app:hunter2-secret@127.0.0.1:5432/prod"}
    )
    tools.call("append_log", {"message": "password hunter2-secret again"})
    lines = (pad_context.scratchpad_dir / "MIGRATION-LOG.md").read_text().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("- 20") and "[monitor]" in line for line in lines)
    assert "hunter2-secret" not in "\n".join(lines)


def test_write_scratchpad_scrubs_passwords(pad_context: ToolContext) -> None:
    build_toolbox("planner", pad_context).call(
        "write_scratchpad", {"name": "x.md", "content": "pw is hunter2-secret"}
    )
    assert (pad_context.scratchpad_dir / "x.md").read_text() == "pw is ***"


def test_log_name_is_configurable(pad_context: ToolContext) -> None:
    ctx = replace(pad_context, log_name="MIGRATION-MONITORING.md")
    build_toolbox("monitor", ctx).call("append_log", {"message": "ok"})
    assert (ctx.scratchpad_dir / "MIGRATION-MONITORING.md").is_file()


FORGED = [
    "MIGRATION-PLAN.md",
    "plan.json",
    "./plan.json",
    "notes/../plan.json",
    "PLAN.JSON",
    "migration-plan.md",
    "APP-COMPATIBILITY.md",
    "MIGRATION-LOG.md",
    "MIGRATION-MONITORING.md",
    "MIGRATION-MONITORING.html",
    "schema-before-production.sql",
    "rehearsal/MIGRATION-LOG.md",
    "evil.sql",
    "notes/plan.json",
]


@pytest.mark.parametrize("name", FORGED)
@pytest.mark.parametrize("agent", ["planner", "compatibility"])
def test_the_documents_zdt_writes_cannot_be_forged(pad_context: ToolContext, agent: str, name: str) -> None:
    pad = pad_context.scratchpad_dir
    (pad / "MIGRATION-PLAN.md").write_text("# the gate's plan\n")
    (pad / "plan.json").write_text('{"id": "the gate\'s"}\n')
    tools = build_toolbox(agent, pad_context)
    for mode in ("overwrite", "append"):
        result = tools.call("write_scratchpad", {"name": name, "content": "DROP TABLE users;", "mode": mode})
        assert result.is_error, result.content
    assert (pad / "MIGRATION-PLAN.md").read_text() == "# the gate's plan\n"
    assert (pad / "plan.json").read_text() == '{"id": "the gate\'s"}\n'
    assert not any("DROP TABLE" in p.read_text() for p in pad.rglob("*") if p.is_file())


def test_the_refusal_names_the_document_and_where_notes_go(pad_context: ToolContext) -> None:
    result = build_toolbox("compatibility", pad_context).call(
        "write_scratchpad", {"name": "plan.json", "content": "{}"}
    )
    assert "plan.json is written by zdt itself" in result.content and "notes/s.md" in result.content
    assert "read-only to you" in build_toolbox("planner", pad_context).tools["write_scratchpad"].description
