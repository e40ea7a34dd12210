"""The Database Migration Planner: turns a request into DDL for the recipes, with the risks spelled out.

Its output is only a proposal: the deterministic planner (zdt.plan) rewrites each statement into safe
phased steps and the gate checks them. So the planner's job is to say *what* should change and what a
reviewer must worry about, not to hand-craft the safe *how*.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from zdt.agents.context import AgentContext, ContextAgent
from zdt.agents.errors import AgentError, NeedsModel
from zdt.agents.planner_risks import risks_from_reports
from zdt.agents.results import PlannerResult
from zdt.tools.base import ToolBox

NO_SQL_MESSAGE = "a prompt without SQL needs Claude: set ANTHROPIC_API_KEY or pass --sql FILE"


class PlannerContext(AgentContext):
    """What the planner reads (plus AgentContext's session_id, environment, schema_summary, findings)."""

    prompt: str | None = Field(default=None, description="The request in words.")
    sql: str | None = Field(default=None, description="The migration SQL given by the user, if any.")
    sql_source: str | None = Field(default=None, description="File the SQL came from.")
    queries: str | None = Field(default=None, description="Application queries that must keep working.")
    draft_sql: str | None = Field(default=None, description="The previous round's proposal, to revise.")
    planning_round: int = Field(default=0, description="0 for the first proposal, then 1, 2, ...")


class PlannerAgent(ContextAgent[PlannerResult, PlannerContext]):
    """Proposes the migration DDL (PlannerResult: sql, rationale, risks).

    Context keys read:

    - ``session_id`` (str, required)
    - ``prompt`` (str | None): the request in words; needs Claude when there is no ``sql``
    - ``sql`` (str | None): the user's SQL; offline, it is proposed as is
    - ``sql_source`` (str | None), ``queries`` (str | None), ``draft_sql`` (str | None)
    - ``planning_round`` (int, default 0), ``findings`` (list[str]: the gate's problems last round)
    - ``schema_summary`` (str | None), ``environment`` (str, default 'planning')

    Tools: inspect_schema, analyse_sql, explain_query, run_readonly_sql, read/write_scratchpad.
    """

    name = "planner"
    template = "planner.md.j2"
    result_model = PlannerResult
    context_model: ClassVar[type[AgentContext]] = PlannerContext

    def task_message(self, context: dict[str, Any]) -> str:
        ctx = self.read_context(context)
        parts = []
        if ctx.prompt:
            parts.append(f"Request:\n{ctx.prompt}")
        if ctx.sql:
            source = f" (from {ctx.sql_source})" if ctx.sql_source else ""
            parts.append(f"Proposed SQL{source}:\n```sql\n{ctx.sql}\n```")
        if ctx.findings:
            parts.append("Revise the previous proposal so that every finding listed above is resolved.")
        parts.append(
            "Inspect the schema, analyse your SQL with analyse_sql, then call submit_result with the SQL, "
            "your rationale and the risks."
        )
        return "\n\n".join(parts)

    def offline(self, context: dict[str, Any], tools: ToolBox) -> PlannerResult:
        """Propose the given SQL as is, with risks from the analyser and the live schema's sizes."""
        ctx = self.read_context(context)
        if not (ctx.sql and ctx.sql.strip()):
            raise NeedsModel(NO_SQL_MESSAGE)
        notes: list[str] = []
        result = tools.call("analyse_sql", {"sql": ctx.sql})
        if result.is_error and not result.content.startswith("syntax error"):
            notes.append(f"the live schema could not be read ({result.content}); sizes unknown")
            result = tools.call("analyse_sql", {"sql": ctx.sql, "use_live_schema": False})
        if result.is_error:
            raise AgentError(f"planner: the SQL cannot be analysed: {result.content}")
        reports = json.loads(result.content)["statements"]
        source = f" from {ctx.sql_source}" if ctx.sql_source else ""
        return PlannerResult(
            sql=ctx.sql.strip(),
            rationale=(
                f"The SQL{source} was given, so it is proposed as is ({len(reports)} statements); "
                "the recipes "
                "rewrite each risky statement into safe expand/migrate/contract steps."
            ),
            risks=risks_from_reports(reports) + notes,
        )
