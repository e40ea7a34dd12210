"""Render a session at the terminal: who is working, each tool call and step live, the approval, the end.

The graph streams plain dicts (``{"agent": ..., "event": ..., ...}``) and state updates; this module is
the only place that knows how they look on screen, so the graph stays free of presentation and the
same stream can feed a recorder or a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from zdt.agents.base import ModelCall
from zdt.graph.checklists import session_facts
from zdt.graph.state import SessionState
from zdt.reports.checklists import checklists

_AGENT_STYLE = {
    "planner": "cyan",
    "gate": "blue",
    "rehearsal": "magenta",
    "compatibility": "yellow",
    "executor": "green",
    "monitor": "bright_blue",
    "session": "bold",
}

_QUIET_EXECUTOR_EVENTS = {"executor.batch_done", "executor.backfill_started"}


class SessionRenderer:
    """``observer(mode, chunk)`` for ``zdt.graph.runner.drive``; also a model-call observer."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._agent: str | None = None

    def __call__(self, mode: str, chunk: Any) -> None:
        if mode == "custom" and isinstance(chunk, dict):
            self._event(chunk)
        elif mode == "updates" and isinstance(chunk, dict):
            for node, update in chunk.items():
                if node != "__interrupt__" and isinstance(update, dict) and update.get("error"):
                    self._line(f"  [bold red]{escape(node)}:[/] {escape(str(update['error']))}")

    def model_call(self, call: ModelCall) -> None:
        """ModelCallObserver: a line per Messages API call, with its tokens."""
        if call.error:
            self._line(f"    [dim]model {escape(call.model)}: call failed, {call.duration_ms:.0f} ms[/]")
            return
        tokens = f"{call.input_tokens} in / {call.output_tokens} out"
        if call.cache_read_input_tokens:
            tokens += f", {call.cache_read_input_tokens} cached"
        self._line(f"    [dim]model {escape(call.model)}: {tokens}, {call.duration_ms:.0f} ms[/]")

    def _event(self, event: dict[str, Any]) -> None:
        agent = str(event.get("agent", "?"))
        kind = str(event.get("event", ""))
        if kind in _QUIET_EXECUTOR_EVENTS:
            return
        if agent != self._agent:
            style = _AGENT_STYLE.get(agent, "white")
            self._line(f"[bold {style}]▶ {escape(agent)}[/]")
            self._agent = agent
        details = {k: v for k, v in event.items() if k not in ("agent", "event")}
        if kind == "tool":
            mark = "[green]ok[/]" if details.get("ok") else "[red]error[/]"
            self._line(f"    tool {escape(str(details.get('tool')))} {mark} [dim]{details.get('ms')} ms[/]")
        elif kind.startswith("executor."):
            self._line(f"    {escape(_executor_line(kind, details))}")
        else:
            shown = ", ".join(f"{k}={_short(v)}" for k, v in details.items())
            self._line(f"  {escape(kind)}" + (f" [dim]{escape(shown)}[/]" if shown else ""))

    def _line(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True)


def _short(value: Any, limit: int = 100) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _executor_line(kind: str, details: dict[str, Any]) -> str:
    what = kind.removeprefix("executor.").replace("_", " ")
    step = details.get("step") or ""
    elapsed = details.get("elapsed_s")
    timing = f" ({elapsed * 1000:.0f} ms)" if isinstance(elapsed, float) else ""
    return f"{what} {step} {details.get('message', '')}{timing}".replace("  ", " ").strip()


def render_approval(console: Console, request: dict[str, Any]) -> None:
    """The question at the gate: the plan, its hash, what the rehearsal showed, compatibility, risks."""
    table = Table("step", "phase", "what", "lock", "held", "undo", title=f"plan {request.get('plan_id')}")
    rehearsed = {row["step"]: row for row in (request.get("rehearsal") or {}).get("steps", [])}
    for step in request.get("steps", []):
        row = rehearsed.get(step["id"], {})
        held = step.get("lock_duration") or ""
        if "duration_s" in row:
            held += f" ({row['duration_s'] * 1000:.0f} ms rehearsed)"
        table.add_row(
            step["id"],
            step["phase"],
            step["description"],
            step.get("lock") or "none",
            held,
            "yes" if step.get("reversible") else "[red]no[/]",
        )
    console.print(table)
    rehearsal = request.get("rehearsal") or {}
    rollback = rehearsal.get("rollback") or {}
    compatibility = request.get("compatibility") or {}
    lines = [
        f"target: {request.get('target')}",
        f"plan hash: {request.get('plan_hash')}",
        f"the hash covers: {request.get('hash_covers')}",
        f"documents: {request.get('documents')}",
        f"planned by: {request.get('brain')}",
        f"rehearsal: {'passed' if rehearsal.get('ok') else 'FAILED'} on {rehearsal.get('where')}"
        + (f"; rollback restored the schema: {rollback.get('schema_restored')}" if rollback else "")
        + (
            f"; applied again after it: {'ok' if again.get('ok') else 'FAILED'}"
            if (again := rehearsal.get("forward_again"))
            else ""
        ),
        f"monitor during rehearsal: {(rehearsal.get('monitor') or {}).get('level', 'not watched')}",
        f"application load during rehearsal: {rehearsal.get('traffic_summary') or 'none'}",
        f"compatibility: {compatibility.get('verdict')} — {compatibility.get('summary')}",
    ]
    boundaries = request.get("boundaries")
    if boundaries:
        lines.append(f"every phase boundary: {boundaries['verdict']} — {boundaries['summary']}")
        lines += [f"break: {sentence}" for sentence in boundaries["breaks"]]
    lines += [f"risk: {risk}" for risk in request.get("risks", [])]
    console.print(Panel("\n".join(escape(line) for line in lines), title="approval needed"), highlight=False)


def render_deploy_gate(console: Console, request: dict[str, Any]) -> None:
    """The question at the deploy gate: what to deploy, what must be gone, what contract will run."""
    table = Table("step", "what", "lock", "undo", title=f"contract of plan {request.get('plan_id')}")
    for step in request.get("steps", []):
        table.add_row(
            step["id"],
            step["description"],
            step.get("lock") or "none",
            "yes" if step.get("reversible") else "[red]no[/]",
        )
    console.print(table)
    retired = request.get("retired") or []
    lines = [
        f"target: {request.get('target')}",
        f"plan hash: {request.get('plan_hash')}",
        f"contract hash: {request.get('contract_hash')}",
        "expand and migrate are done: the old and the new release both work now.",
        "deploy the new release, then stop every instance of the old one.",
        *(
            [f"the new release runs with search_path = {request['new_search_path']} (its version schema)"]
            if request.get("new_search_path")
            else []
        ),
        "contract removes: " + (", ".join(retired) or "nothing a query names"),
        "before contract, zdt watches the target for statements using those and for old-release sessions.",
    ]
    evidence = request.get("evidence") or {}
    if evidence.get("summary"):
        lines.append(f"last check: {evidence['summary']}")
    if request.get("error"):
        lines.append(f"last attempt: {request['error']}")
    console.print(Panel("\n".join(escape(line) for line in lines), title="deploy gate"), highlight=False)


def _checklists_line(values: dict[str, Any]) -> str:
    """'readiness 7/8, verification 5/5 ticked; open: Team notified' (the documents say why)."""
    try:
        lists = checklists(session_facts(SessionState.model_validate(values)))
    except ValidationError:
        return "unknown (the session's state does not read as this version's)"
    every = lists.readiness + lists.verification
    counts = ", ".join(
        f"{name} {sum(item.ticked for item in items)}/{len(items)}"
        for name, items in (("readiness", lists.readiness), ("verification", lists.verification))
    )
    still = [item.item for item in every if not item.ticked]
    return f"{counts} ticked" + (f"; open: {', '.join(still)}" if still else "")


def render_summary(console: Console, values: dict[str, Any], out_dir: Path) -> None:
    """The end of a session: status, steps, locks held, the monitor's verdict, where the documents are."""
    plan = values.get("plan") or {}
    execution = values.get("execution") or {}
    steps = execution.get("steps") or []
    locks = sorted(
        {
            f"{s.get('lock')} on {', '.join(s.get('tables') or ['?'])} ({s.get('lock_duration')})"
            for s in plan.get("steps", [])
            if s.get("lock")
        }
    )
    verdicts = values.get("monitor_verdicts") or []
    levels = [str(v.get("level")) for v in verdicts if v.get("level")]
    worst = max(levels, key=["ok", "throttle", "critical"].index, default="not watched")
    rows = [
        ("session", str(values.get("session_id"))),
        ("status", str(values.get("status"))),
        ("brain", str(values.get("brain"))),
        ("steps", f"{sum(1 for s in steps if s.get('ok'))} of {len(plan.get('steps', []))} applied"),
        ("locks held", ", ".join(locks) or "none"),
        ("monitor verdict", worst),
        ("rehearsal load", str((values.get("rehearsal") or {}).get("traffic_summary") or "none")),
        ("checklists", _checklists_line(values)),
        ("scratchpads", str(out_dir)),
    ]
    if values.get("error"):
        rows.append(("why", str(values["error"])))
    table = Table.grid(padding=(0, 2))
    for name, value in rows:
        table.add_row(f"[bold]{name}[/]", escape(value))
    console.print(Panel(table, title="session summary"))
