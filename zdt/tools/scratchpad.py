"""read_scratchpad, write_scratchpad, append_log: the agents' shared documents, and nothing else on disk.

The seed workflow coordinates agents through files in a scratchpads folder (MIGRATION-PLAN.md,
MIGRATION-LOG.md, APP-COMPATIBILITY.md, MIGRATION-MONITORING.md). A model names a file; this module makes
sure the name resolves inside the session's scratchpad folder, so '../../etc/passwd', absolute paths and
symlinks pointing out are refused rather than followed. And what zdt's code writes there (the gate's
MIGRATION-PLAN.md and plan.json, APP-COMPATIBILITY.md, the monitor's reports, the log, the schema
snapshot: ``zdt.sessions.scratchpads.WRITTEN_BY_ZDT``) is read-only to every agent: a model that could
rewrite them would forge what the approver reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from zdt.sessions.scratchpads import written_by_zdt
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import ToolContext
from zdt.tools.session import scrub

MAX_READ_CHARS = 100_000
MAX_WRITE_CHARS = 200_000


class ReadScratchpadInput(BaseModel):
    name: str = Field(description="File name inside the session's scratchpad folder, e.g. MIGRATION-PLAN.md.")


class WriteScratchpadInput(BaseModel):
    name: str = Field(description="File name inside the session's scratchpad folder.")
    content: str
    mode: Literal["overwrite", "append"] = "overwrite"


class AppendLogInput(BaseModel):
    message: str = Field(description="One log entry; it is timestamped and signed with the agent's name.")


def confined_path(ctx: ToolContext, name: str) -> Path:
    """The path ``name`` names inside the scratchpad folder; ToolError if it would leave it."""
    if not name or "\x00" in name or "\\" in name:
        raise ToolError(f"invalid scratchpad file name {name!r}")
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise ToolError(f"scratchpad file names must stay inside the scratchpad folder: {name!r}")
    root = ctx.scratchpad_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ToolError(f"scratchpad file names must stay inside the scratchpad folder: {name!r}")
    return path


def read_scratchpad_tool(ctx: ToolContext) -> Tool:
    def run(args: ReadScratchpadInput) -> str:
        path = confined_path(ctx, args.name)
        if not path.is_file():
            existing = sorted(p.name for p in ctx.scratchpad_dir.glob("*") if p.is_file())
            raise ToolError(f"no scratchpad file {args.name!r}; existing: {', '.join(existing) or 'none'}")
        text = path.read_text(encoding="utf-8", errors="replace")
        if len(text) > MAX_READ_CHARS:
            return text[:MAX_READ_CHARS] + f"\n[... truncated: {len(text) - MAX_READ_CHARS} more characters]"
        return text

    return Tool(
        name="read_scratchpad",
        description="Read a document of this session's scratchpad folder (plan, log, compatibility notes).",
        input_model=ReadScratchpadInput,
        function=run,
    )


def write_scratchpad_tool(ctx: ToolContext) -> Tool:
    def run(args: WriteScratchpadInput) -> str:
        if len(args.content) > MAX_WRITE_CHARS:
            raise ToolError(f"content too long ({len(args.content)} > {MAX_WRITE_CHARS} characters)")
        path = confined_path(ctx, args.name)
        refused = written_by_zdt(path.relative_to(ctx.scratchpad_dir.resolve()).as_posix())
        if refused is not None:
            raise ToolError(
                f"refused: {refused}; write your notes to another file (e.g. notes/{ctx.session_id}.md)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        content = scrub(args.content, ctx)
        with path.open("a" if args.mode == "append" else "w", encoding="utf-8") as handle:
            handle.write(content)
        return f"wrote {len(content)} characters to {args.name} ({args.mode})"

    return Tool(
        name="write_scratchpad",
        description=(
            "Write (or append to) a note of yours (.md or .txt) in this session's scratchpad folder. The "
            "documents zdt writes (MIGRATION-PLAN.md, plan.json, APP-COMPATIBILITY.md, MIGRATION-LOG.md, "
            "MIGRATION-MONITORING.md, ...) are read-only to you."
        ),
        input_model=WriteScratchpadInput,
        function=run,
    )


def append_log_tool(ctx: ToolContext, agent: str) -> Tool:
    def run(args: AppendLogInput) -> str:
        path = confined_path(ctx, ctx.log_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        message = " ".join(scrub(args.message, ctx).split())
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"- {stamp} [{agent}] {message}\n")
        return f"logged to {ctx.log_name}"

    return Tool(
        name="append_log",
        description=f"Append a timestamped entry, signed '{agent}', to the session log ({ctx.log_name}).",
        input_model=AppendLogInput,
        function=run,
    )
