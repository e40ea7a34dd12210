"""The session recorder: the one object the choke points hand what happened to.

It is threaded through the session's runtime context (zdt.graph.context.SessionContext.recorder), given
to the brain and the toolboxes as their observer, and to the executor as its statement observer. Every
method redacts (zdt.record.redact) before the event is sealed and appended, so nothing secret is ever
hashed or written. Recording must never break a session: an event that cannot be written raises (an
audit trail with a silent hole is worse than a stopped session), but the data of an event is made
JSON-safe here rather than trusted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from zdt import __version__
from zdt.agents.base import ModelCall
from zdt.executor import ExecutionEvent
from zdt.executor.statements import StatementObserver, StatementRecord
from zdt.record.events import Event, EventKind
from zdt.record.log import EventLog, log_path
from zdt.record.prices import PriceTable, Usage, price_table
from zdt.record.redact import Redactor
from zdt.tools.base import ToolCall


def json_safe(value: Any) -> Any:
    """``value`` as JSON primitives (pydantic models dumped at any depth, anything unknown by its str)."""
    return json.loads(json.dumps(to_jsonable_python(value, fallback=str)))


class Recorder:
    """Appends the redacted events of one session to its log."""

    def __init__(self, log: EventLog, redactor: Redactor | None = None, prices: PriceTable | None = None):
        self.log = log
        self.redactor = redactor or Redactor()
        self.prices = prices or price_table()
        self.node: str | None = None  # the node running now (set by the graph's step hook)

    @classmethod
    def open(
        cls,
        sessions_dir: Path,
        session_id: str,
        redactor: Redactor | None = None,
        prices: PriceTable | None = None,
    ) -> Recorder:
        """The recorder of ``session_id``, continuing its log if another process started it."""
        return cls(EventLog(log_path(sessions_dir, session_id), session_id), redactor, prices)

    @property
    def head(self) -> str:
        return self.log.head

    @property
    def path(self) -> Path:
        return self.log.path

    def record(
        self,
        kind: EventKind | str,
        data: Mapping[str, Any],
        *,
        node: str | None = None,
        agent: str | None = None,
    ) -> Event:
        clean = self.redactor.value(json_safe(dict(data)))
        return self.log.append(str(kind), clean, node=node or self.node, agent=agent)

    def session(self, action: str, **data: Any) -> Event:
        """A process started (``run``) or took up (``resume``) the session."""
        return self.record(EventKind.SESSION, {"action": action, "zdt_version": __version__, **data})

    # --- observers handed to the brain, the toolboxes and the executor ---------------------------------

    def model_call(self, call: ModelCall) -> None:
        """ModelCallObserver: one Messages API call, with its usage and what it cost."""
        usage = Usage.model_validate(call.model_dump())
        found = self.prices.price_of(call.model)
        data = call.model_dump(mode="json", exclude={"agent"}) | {
            "cost_usd": self.prices.cost(call.model, usage),
            "priced_as": found[0] if found else None,
        }
        self.record(EventKind.MODEL_REQUEST, data, agent=call.agent)

    def tool_call(self, call: ToolCall) -> None:
        """CallObserver: one tool call, its arguments and its result."""
        self.record(EventKind.TOOL_CALL, call.model_dump(mode="json", exclude={"agent"}), agent=call.agent)

    def statement_observer(self, environment: str) -> StatementObserver:
        """The executor's statement observer for one environment: rehearsal, staging or production."""

        def observe(statement: StatementRecord) -> None:
            self.record(EventKind.SQL, {"environment": environment, **statement.model_dump(mode="json")})

        return observe

    def execution_event(self, event: ExecutionEvent, environment: str = "production") -> None:
        """An executor event (step started, retried after a lock timeout, done, failed ...)."""
        data = event.model_dump(mode="json", exclude_none=True)
        self.record(EventKind.EXECUTION, {"environment": environment, **data})
