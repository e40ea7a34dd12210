"""What an auditor reads first, built from a verified log: the data only, no rendering.

``zdt audit`` renders it as text or JSON; an HTML renderer (later) takes the same :class:`AuditSummary`.
Everything here is derived from the events alone (no database, no session store): the timeline of nodes,
the gate's verdicts with the plan's steps, every decision at the plan and contract gates, every
statement sent to production (with the plan step it belonged to, that step's lock, its duration and any
lock wait), the monitor's summaries and alarms, the rollbacks, and the tokens and cost per agent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from zdt.record.events import Event
from zdt.record.verify import ChainReport

_STEP_OPEN = {"step_started", "step_resumed", "rollback_started"}
_STEP_CLOSED = {"step_done", "step_failed", "step_skipped"}


class NodeStep(BaseModel):
    node: str
    event: int  # where the step starts in the log
    started_at: str
    finished_at: str | None = None
    route: str | None = None
    waiting: bool = False  # stopped for a person here
    raised: str | None = None
    changed: list[str] = Field(default_factory=list)


class GateVerdict(BaseModel):
    event: int
    at: str
    passed: bool
    plan_id: str | None = None
    plan_hash: str | None = None
    findings: list[str] = Field(default_factory=list)
    steps: list[dict[str, Any]] = Field(default_factory=list)


class Decision(BaseModel):
    event: int
    phase: str
    approved: bool
    by: str
    at: str
    plan_hash: str
    contract_hash: str | None = None
    comment: str = ""
    route: str | None = None
    backup_confirmed: str = ""
    team_notified: str = ""
    force_reason: str = ""
    old_release_gone: bool = False


class Statement(BaseModel):
    event: int
    at: str
    environment: str
    node: str | None = None
    role: str = ""
    step_id: str | None = None
    lock: str | None = None  # the plan step's strongest lock, as the analyser named it
    sql: str
    duration_ms: float
    rows: int | None = None
    outcome: str = "ok"
    lock_wait_ms: float | None = None
    sqlstate: str | None = None
    error: str | None = None


class MonitorVerdict(BaseModel):
    event: int
    run: str | None = None
    level: str = "ok"
    samples: int = 0
    pauses: int = 0
    alarms: list[dict[str, Any]] = Field(default_factory=list)


class Rollback(BaseModel):
    event: int
    at: str
    failure: str | None = None  # what went wrong that made the session roll back
    ok: bool = False  # the schema is back to its fingerprint before the run
    message: str = ""
    steps_undone: int = 0
    advice: dict[str, Any] = Field(default_factory=dict)  # the executor agent's advice


class AgentUsage(BaseModel):
    agent: str
    model_calls: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0  # calls of a model with no price: their cost is unknown, not zero
    models: list[str] = Field(default_factory=list)
    latency_ms: float = 0.0

    def add(self, data: dict[str, Any]) -> None:
        self.model_calls += 1
        for key in (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        ):
            setattr(self, key, getattr(self, key) + int(data.get(key) or 0))
        cost = data.get("cost_usd")
        if cost is None:
            self.unpriced_calls += 1
        else:
            self.cost_usd = round(self.cost_usd + float(cost), 8)
        model = str(data.get("model") or "")
        if model and model not in self.models:
            self.models.append(model)
        self.latency_ms += float(data.get("duration_ms") or 0.0)


class AuditSummary(BaseModel):
    session_id: str | None
    log: str
    events: int
    head: str
    chain_ok: bool
    checkpoint_head: str | None = None  # the head the session store holds, when it was looked up
    checkpoint_matches: bool | None = None
    started_at: str | None = None
    ended_at: str | None = None
    zdt_versions: list[str] = Field(default_factory=list)
    brains: list[str] = Field(default_factory=list)
    processes: list[dict[str, Any]] = Field(default_factory=list, description="run / resume, when, by")
    timeline: list[NodeStep] = Field(default_factory=list)
    gate: list[GateVerdict] = Field(default_factory=list)
    approved_plan_hash: str | None = None
    decisions: list[Decision] = Field(default_factory=list)
    production_statements: list[Statement] = Field(default_factory=list)
    statements_by_environment: dict[str, int] = Field(default_factory=dict)
    monitor: list[MonitorVerdict] = Field(default_factory=list)
    rollbacks: list[Rollback] = Field(default_factory=list)
    agents: list[AgentUsage] = Field(default_factory=list)
    total: AgentUsage = Field(default_factory=lambda: AgentUsage(agent="session"))


class _Builder:
    def __init__(self, report: ChainReport) -> None:
        self.summary = AuditSummary(
            session_id=None, log=str(report.path), events=report.events, head=report.head, chain_ok=report.ok
        )
        self.agents: dict[str, AgentUsage] = {}
        self.open_steps: dict[str, NodeStep] = {}
        self.step_of: dict[str, str | None] = {}  # environment -> the executor step running there
        self.locks: dict[str, str | None] = {}  # plan step id -> lock

    def agent(self, name: str | None) -> AgentUsage:
        key = name or "?"
        return self.agents.setdefault(key, AgentUsage(agent=key))

    def add(self, event: Event) -> None:
        summary, data = self.summary, event.data
        summary.session_id = summary.session_id or event.session_id
        summary.started_at = summary.started_at or event.at
        summary.ended_at = event.at
        handler = getattr(self, f"_{event.kind}", None)
        if handler is not None:
            handler(event, data)

    def _session(self, event: Event, data: dict[str, Any]) -> None:
        version, brain = str(data.get("zdt_version", "")), str(data.get("brain", ""))
        if version and version not in self.summary.zdt_versions:
            self.summary.zdt_versions.append(version)
        if brain and brain not in self.summary.brains:
            self.summary.brains.append(brain)
        self.summary.processes.append(
            {
                "event": event.seq,
                "at": event.at,
                "action": data.get("action"),
                "by": data.get("by"),
                "options": data.get("options"),
            }
        )

    def _node_started(self, event: Event, data: dict[str, Any]) -> None:
        step = NodeStep(node=event.node or "?", event=event.seq, started_at=event.at)
        self.open_steps[step.node] = step
        self.summary.timeline.append(step)

    def _node_finished(self, event: Event, data: dict[str, Any]) -> None:
        step = self.open_steps.pop(event.node or "?", None)
        if step is None:
            return
        step.finished_at = event.at
        step.route = data.get("route")
        step.raised = data.get("raised")
        step.changed = sorted(data.get("changed") or {})

    def _node_waiting(self, event: Event, data: dict[str, Any]) -> None:
        step = self.open_steps.pop(event.node or "?", None)
        if step is not None:
            step.finished_at, step.waiting = event.at, True

    def _gate_verdict(self, event: Event, data: dict[str, Any]) -> None:
        steps = list(data.get("steps") or [])
        for step in steps:
            self.locks[str(step.get("id"))] = step.get("lock")
        self.summary.gate.append(
            GateVerdict(
                event=event.seq,
                at=event.at,
                passed=bool(data.get("passed")),
                plan_id=data.get("plan_id"),
                plan_hash=data.get("plan_hash"),
                findings=list(data.get("findings") or []),
                steps=steps,
            )
        )

    def _approval(self, event: Event, data: dict[str, Any]) -> None:
        decision = Decision.model_validate({**data, "event": event.seq})
        self.summary.decisions.append(decision)
        if decision.approved and decision.phase == "plan":
            self.summary.approved_plan_hash = decision.plan_hash

    def _execution(self, event: Event, data: dict[str, Any]) -> None:
        environment, kind = str(data.get("environment", "")), str(data.get("kind", ""))
        if kind in _STEP_OPEN:
            self.step_of[environment] = data.get("step_id")
        elif kind in _STEP_CLOSED:
            self.step_of[environment] = None

    def _sql(self, event: Event, data: dict[str, Any]) -> None:
        environment = str(data.get("environment", "?"))
        counts = self.summary.statements_by_environment
        counts[environment] = counts.get(environment, 0) + 1
        if environment != "production":
            return
        step_id = self.step_of.get(environment)
        self.summary.production_statements.append(
            Statement.model_validate(
                {
                    **data,
                    "event": event.seq,
                    "at": event.at,
                    "node": event.node,
                    "step_id": step_id,
                    "lock": self.locks.get(step_id) if step_id else None,
                }
            )
        )

    def _monitor(self, event: Event, data: dict[str, Any]) -> None:
        self.summary.monitor.append(
            MonitorVerdict.model_validate({"run": event.node, **data, "event": event.seq})
        )

    def _rollback(self, event: Event, data: dict[str, Any]) -> None:
        self.summary.rollbacks.append(Rollback.model_validate({**data, "event": event.seq, "at": event.at}))

    def _model_request(self, event: Event, data: dict[str, Any]) -> None:
        self.agent(event.agent).add(data)
        self.summary.total.add(data)

    def _tool_call(self, event: Event, data: dict[str, Any]) -> None:
        self.agent(event.agent).tool_calls += 1
        self.summary.total.tool_calls += 1


def build_summary(report: ChainReport, events: Iterable[Event]) -> AuditSummary:
    """The summary of a log whose chain ``report`` describes (build it only from a verified chain)."""
    builder = _Builder(report)
    for event in events:
        builder.add(event)
    builder.summary.agents = sorted(builder.agents.values(), key=lambda usage: usage.agent)
    return builder.summary
