"""The Application Compatibility Agent: does the application keep working through the migration?

Old code must keep working on the new schema until the contract phase; the offline check asks the
server, not a guess: every application query is PREPAREd (parsed, resolved, planned, never run) on the
migrated schema and, when there is one, on the old schema too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from zdt.agents.context import AgentContext, ContextAgent
from zdt.agents.results import CompatibilityResult, QueryCheck
from zdt.analysis.source import SqlSyntaxError, parse_statements
from zdt.tools.base import ToolBox
from zdt.tools.context import DatabaseRole


class CompatibilityContext(AgentContext):
    """What the compatibility agent reads (plus session_id, environment, schema_summary, findings)."""

    queries: str | None = Field(default=None, description="Application queries, ';'-separated SQL.")
    new_schema: DatabaseRole = Field(default="staging", description="The database with the migrated schema.")
    old_schema: DatabaseRole | None = Field(default="target", description="The database with the old schema.")
    plan: dict[str, Any] | None = Field(default=None, description="The MigrationPlan as JSON.")


class CompatibilityAgent(ContextAgent[CompatibilityResult, CompatibilityContext]):
    """Checks application queries against the old and new schema (CompatibilityResult).

    Context keys read:

    - ``session_id`` (str, required)
    - ``queries`` (str | None): the application's queries; none means verdict 'unknown'
    - ``new_schema`` ('staging' | 'target', default 'staging'): where the migrated schema is
    - ``old_schema`` ('staging' | 'target' | None, default 'target'): where the old schema is
    - ``plan`` (dict | None: MigrationPlan JSON), ``environment``, ``findings``, ``schema_summary``

    Tools: inspect_schema, prepare_query, explain_query, run_readonly_sql, read/write_scratchpad.
    """

    name = "compatibility"
    template = "compatibility.md.j2"
    result_model = CompatibilityResult
    context_model: ClassVar[type[AgentContext]] = CompatibilityContext

    def task_message(self, context: dict[str, Any]) -> str:
        ctx = self.read_context(context)
        if not ctx.queries:
            return "No application queries were given. Call submit_result with verdict 'unknown' and say why."
        return (
            f"Check every application query above with prepare_query on database '{ctx.new_schema}'"
            + (f" and on '{ctx.old_schema}'" if ctx.old_schema else "")
            + ", then call submit_result with one check per query and your verdict."
        )

    def offline(self, context: dict[str, Any], tools: ToolBox) -> CompatibilityResult:
        ctx = self.read_context(context)
        if not (ctx.queries and ctx.queries.strip()):
            return CompatibilityResult(verdict="unknown", summary="no application queries were given")
        try:
            queries = [statement.sql for statement in parse_statements(ctx.queries, "queries")]
        except SqlSyntaxError as error:
            return CompatibilityResult(verdict="unknown", summary=f"the queries file does not parse: {error}")
        outcomes = [
            (query, _check(tools, query, ctx.new_schema), _check(tools, query, ctx.old_schema))
            for query in queries
        ]
        return _verdict(outcomes)


@dataclass(frozen=True)
class _Outcome:
    """ok: True/False as the server answered; None when the check could not run (error says why)."""

    ok: bool | None
    error: str | None = None


def _check(tools: ToolBox, query: str, role: DatabaseRole | None) -> _Outcome | None:
    if role is None:
        return None
    result = tools.call("prepare_query", {"sql": query, "database": role})
    if result.is_error:
        return _Outcome(None, f"not checked on {role}: {result.content}")
    answer = json.loads(result.content)
    return _Outcome(bool(answer["prepares"]), answer.get("error"))


def _verdict(outcomes: list[tuple[str, _Outcome | None, _Outcome | None]]) -> CompatibilityResult:
    checks, broken, unchecked, new_only = [], [], [], 0
    for query, new, old in outcomes:
        assert new is not None  # the new schema is always checked
        checks.append(
            QueryCheck(
                query=query,
                new_schema_ok=new.ok is True,
                old_schema_ok=old.ok if old else None,
                error=new.error or (old.error if old and old.ok is not True else None),
            )
        )
        first_line = query.splitlines()[0][:80]
        if new.ok is False:
            broken.append(f"{first_line}: {new.error}")
        elif new.ok is None:
            unchecked.append(f"{first_line}: {new.error}")
        elif old is not None and old.ok is False:
            new_only += 1
    total = len(checks)
    if broken:
        verdict, lead = "incompatible", f"{len(broken)} of {total} queries fail on the new schema"
    elif unchecked:
        verdict, lead = "unknown", f"{len(unchecked)} of {total} queries could not be checked"
    else:
        verdict, lead = "compatible", f"all {total} queries prepare on the new schema"
    details = broken + unchecked[:3]
    if new_only:
        details.append(
            f"{new_only} queries work only on the new schema: new code must wait for the migration"
        )
    summary = lead + ("; " + "; ".join(details) if details else "")
    return CompatibilityResult(verdict=verdict, checks=checks, summary=summary)  # type: ignore[arg-type]
