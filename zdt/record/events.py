"""One recorded event, and the kinds a session records.

Every event carries its number in the log (``seq``, from 1), the hash of the event before it (``prev``;
64 zeros for the first) and its own ``hash``: SHA-256 over the canonical encoding of every other field.
Changing a field changes the hash; removing, inserting or moving a line breaks a ``seq`` or a ``prev``
link. ``data`` is the kind's payload, JSON-safe and already redacted (zdt.record.redact) when it is
hashed: nothing secret ever reaches the bytes that are hashed or written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zdt.record.canonical import canonical, sha256_hex

GENESIS = "0" * 64
LOG_FILE = "events.jsonl"


class EventKind(StrEnum):
    SESSION = "session"  # a process started or resumed the session (zdt version, brain, command)
    NODE_STARTED = "node_started"
    NODE_FINISHED = "node_finished"  # with the state diff: which keys changed, from what to what
    NODE_WAITING = "node_waiting"  # interrupted for a person (the question's digest)
    AGENT_STARTED = "agent_started"  # what the agent was given
    AGENT_RESULT = "agent_result"  # what it returned (the offline brain's decisions, Claude's submission)
    MODEL_REQUEST = "model_request"  # one Messages API call: request, response, usage, cost, latency
    TOOL_CALL = "tool_call"
    SQL = "sql"  # one statement the executor sent, with its environment, duration, rows, outcome
    EXECUTION = "execution"  # an executor event in production (step started/done/retried ...)
    GATE = "gate_verdict"
    APPROVAL = "approval"  # a decision at the plan or the contract gate
    MONITOR = "monitor"  # a monitor verdict summary, alarms included
    EXTRA_NODE = "extra_node"  # a plugin node's input (digest) and output
    ROLLBACK = "rollback"  # a rollback of production: why, what was undone, whether the schema is restored


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Event(BaseModel):
    """One line of ``events.jsonl``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=1)
    at: str
    session_id: str
    kind: str
    node: str | None = None
    agent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        """Every field but ``hash``: what the hash is computed over."""
        return self.model_dump(mode="json", exclude={"hash"})

    def computed_hash(self) -> str:
        return event_hash(self.body())

    def line(self) -> bytes:
        return canonical(self.model_dump(mode="json")) + b"\n"


def event_hash(body: dict[str, Any]) -> str:
    return sha256_hex(canonical(body))


def seal(
    *,
    seq: int,
    prev: str,
    session_id: str,
    kind: str,
    data: dict[str, Any],
    node: str | None = None,
    agent: str | None = None,
    at: str | None = None,
) -> Event:
    """A new event with its hash computed."""
    body = {
        "seq": seq,
        "at": at or now_iso(),
        "session_id": session_id,
        "kind": kind,
        "node": node,
        "agent": agent,
        "data": data,
        "prev": prev,
    }
    return Event.model_validate({**body, "hash": event_hash(body)})
