"""What a graph step puts in the session's record (zdt.record), read off the state and the node's update.

Why from the update and not from inside each node: every node already says what it decided in the keys
it returns, so one hook after each node (zdt.graph.wiring) records the step — its state diff — and what
the step means for an auditor: the gate's verdict (``plan_gate``), every decision at the plan or the
contract gate (new ``approvals`` entries, whichever node took them), every monitor summary with its
alarms (new ``monitor_verdicts``, and the rehearsal's own), every rollback of production. No node
carries recording code, and a new node is recorded as a step without doing anything. The update is then
stamped with the record's head, which the checkpoint keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zdt.graph.state import SessionState
from zdt.record.canonical import canonical, digest
from zdt.record.events import EventKind
from zdt.record.recorder import Recorder, json_safe

SHOWN_BYTES = 400  # a changed value this small is recorded as is; a larger one by its digest and size
ACCUMULATING = frozenset(
    name for name, info in SessionState.model_fields.items() if info.metadata
)  # the operator.add lists
NOT_DIFFED = frozenset({"record_head"})


def summarise(value: Any) -> Any:
    """``value`` itself when small, else its digest and size (the record stays readable and bounded)."""
    safe = json_safe(value)
    encoded = canonical(safe)
    if len(encoded) <= SHOWN_BYTES:
        return safe
    summary: dict[str, Any] = {"sha256": digest(safe), "bytes": len(encoded)}
    if isinstance(safe, list):
        summary["items"] = len(safe)
    elif isinstance(safe, dict):
        summary["keys"] = sorted(safe)
    return summary


def state_diff(state: SessionState, update: Mapping[str, Any]) -> dict[str, Any]:
    """Per changed key: ``{"from", "to"}`` (summarised), or ``{"appended"}`` for the accumulating lists."""
    before = state.model_dump(mode="json")
    diff: dict[str, Any] = {}
    for key, value in update.items():
        if key in NOT_DIFFED or key not in before:
            continue
        if key in ACCUMULATING:
            if value:
                diff[key] = {"appended": [summarise(entry) for entry in value]}
            continue
        new = json_safe(value)
        if new != before[key]:
            diff[key] = {"from": summarise(before[key]), "to": summarise(new)}
    return diff


def node_started(recorder: Recorder, name: str, state: SessionState) -> None:
    recorder.node = name
    recorder.record(
        EventKind.NODE_STARTED,
        {"status": state.status, "route": state.route, "state_sha256": digest(state.model_dump(mode="json"))},
    )


def node_waiting(recorder: Recorder, name: str, question: Any) -> None:
    """The node stopped for a person (approval, deploy gate): what it asked, by digest and plan hash."""
    data: dict[str, Any] = {"question_sha256": digest(json_safe(question))}
    if isinstance(question, Mapping):
        data |= {key: question.get(key) for key in ("kind", "plan_id", "plan_hash", "contract_hash")}
    recorder.record(EventKind.NODE_WAITING, data, node=name)


def node_failed(recorder: Recorder, name: str, error: BaseException) -> None:
    recorder.record(
        EventKind.NODE_FINISHED, {"raised": f"{type(error).__name__}: {error}", "changed": {}}, node=name
    )


def node_finished(
    recorder: Recorder, name: str, state: SessionState, update: Mapping[str, Any]
) -> dict[str, Any]:
    """Record the step and what it means; return the update stamped with the record's new head."""
    _meaning(recorder, name, state, update)
    recorder.record(
        EventKind.NODE_FINISHED,
        {"route": update.get("route"), "changed": state_diff(state, update)},
        node=name,
    )
    recorder.node = None
    return {**update, "record_head": recorder.head}


def _meaning(recorder: Recorder, name: str, state: SessionState, update: Mapping[str, Any]) -> None:
    if name == "plan_gate":
        plan = update.get("plan") or {}
        recorder.record(
            EventKind.GATE,
            {
                "passed": bool(update.get("plan_hash")),
                "route": update.get("route"),
                "plan_id": plan.get("id"),
                "plan_hash": update.get("plan_hash"),
                "steps": [_step_summary(step) for step in plan.get("steps") or []],
                "findings": list(update.get("findings") or []),
                "error": update.get("error"),
                "round": state.planning_rounds,
            },
            node=name,
        )
    for entry in update.get("approvals") or []:
        recorder.record(EventKind.APPROVAL, dict(entry) | {"route": update.get("route")}, node=name)
    for verdict in update.get("monitor_verdicts") or []:
        recorder.record(EventKind.MONITOR, dict(verdict), node=name)
    if isinstance(update.get("rollback"), Mapping):
        rollback = dict(update["rollback"])
        recorder.record(
            EventKind.ROLLBACK, rollback | {"failure": state.error, "status": update.get("status")}
        )
    rehearsal = update.get("rehearsal")
    if isinstance(rehearsal, Mapping) and isinstance(rehearsal.get("monitor"), Mapping):
        recorder.record(EventKind.MONITOR, {"run": name, **rehearsal["monitor"]}, node=name)


def _step_summary(step: Mapping[str, Any]) -> dict[str, Any]:
    """A plan step as the audit shows it beside the statements that ran for it."""
    return {
        key: step.get(key) for key in ("id", "phase", "description", "lock", "lock_duration", "tables", "sql")
    }


def extra_node(recorder: Recorder, name: str, state: SessionState, output: Mapping[str, Any] | None) -> None:
    """A plugin node's input (the state it was given, by digest and keys) and its whole output."""
    given = state.model_dump(mode="json")
    recorder.record(
        EventKind.EXTRA_NODE,
        {
            "input_sha256": digest(given),
            "input_keys": sorted(key for key, value in given.items() if value not in (None, [], {})),
            "output": json_safe(dict(output or {})),
        },
        node=name,
    )
