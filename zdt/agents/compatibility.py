"""The Application Compatibility Agent: does the application keep working through the migration?

Old code must keep working on the new schema until the contract phase; the offline check asks the
server, not a guess: every application query is PREPAREd (parsed, resolved, planned, never run) on the
migrated schema and on the old schema, by the check_compatibility tool (zdt.compat's checker).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from zdt.agents.context import AgentContext, ContextAgent
from zdt.compat import CompatibilityResult
from zdt.tools.base import ToolBox
from zdt.tools.context import DatabaseRole


class CompatibilityContext(AgentContext):
    """What the compatibility agent reads (plus session_id, environment, schema_summary, findings)."""

    queries: str | None = Field(default=None, description="Application queries, ';'-separated SQL.")
    new_schema: DatabaseRole = Field(default="staging", description="The database with the migrated schema.")
    old_schema: DatabaseRole = Field(default="target", description="The database with the old schema.")
    plan: dict[str, Any] | None = Field(default=None, description="The MigrationPlan as JSON.")


class CompatibilityAgent(ContextAgent[CompatibilityResult, CompatibilityContext]):
    """Checks application queries against the old and new schema (CompatibilityResult).

    Context keys read:

    - ``session_id`` (str, required)
    - ``queries`` (str | None): the application's queries; none means verdict 'unknown'
    - ``new_schema`` ('staging' | 'target', default 'staging'): where the migrated schema is
    - ``old_schema`` ('staging' | 'target', default 'target'): where the old schema is
    - ``plan`` (dict | None: MigrationPlan JSON), ``environment``, ``findings``, ``schema_summary``

    Tools: check_compatibility, prepare_query, inspect_schema, explain_query, run_readonly_sql,
    read/write_scratchpad.
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
            f"Check the application queries above with check_compatibility (new schema: '{ctx.new_schema}', "
            f"old schema: '{ctx.old_schema}'), look closer with prepare_query where needed, then call "
            "submit_result with one check per query, your verdict and what the application must change."
        )

    def offline(self, context: dict[str, Any], tools: ToolBox) -> CompatibilityResult:
        """One check_compatibility call (zdt.compat's checker) on the corpus."""
        ctx = self.read_context(context)
        if not (ctx.queries and ctx.queries.strip()):
            return CompatibilityResult(verdict="unknown", summary="no application queries were given")
        arguments = {"queries": ctx.queries, "new_database": ctx.new_schema, "old_database": ctx.old_schema}
        result = tools.call("check_compatibility", arguments)
        if result.is_error:
            return CompatibilityResult(
                verdict="unknown", summary=f"the check could not run: {result.content}"
            )
        return CompatibilityResult.model_validate(json.loads(result.content))
