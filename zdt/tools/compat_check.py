"""check_compatibility: the whole application query corpus, PREPAREd on the old and the new schema.

The question is whether code running today keeps working once the migration is applied, so every query
must prepare on the new schema; preparing it on the old one too tells a break the migration causes from
a query that was already broken, and shows queries that only new code can use. Nothing runs: zdt.compat
PREPAREs in rolled-back read-only transactions and also reports changed result columns and parameter
types. The answer is CompatibilityResult-shaped JSON plus ``source`` and ``result_changes``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from pydantic import BaseModel, Field

from zdt.analysis.source import SqlSyntaxError
from zdt.compat import assess_compatibility, read_queries
from zdt.compat.corpus import CorpusError
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.session import scrub

SOURCE = "zdt.compat"


class CheckCompatibilityInput(BaseModel):
    queries: str = Field(
        description=(
            "The application's queries: SQL separated by ';' ($1.. parameters ok), or a collected "
            "corpus's JSON (zdt queries collect)."
        )
    )
    new_database: DatabaseRole = Field(default="staging", description="Where the migrated schema is.")
    old_database: DatabaseRole = Field(default="target", description="Where the old schema is.")


def check_corpus(
    ctx: ToolContext, queries: str, new_role: DatabaseRole, old_role: DatabaseRole
) -> dict[str, Any]:
    try:
        new_url = ctx.url_for(new_role)  # no staging: say so before parsing anything
        parsed = read_queries(queries, "queries")
        assessment = assess_compatibility(ctx.url_for(old_role), new_url, parsed)
    except (SqlSyntaxError, CorpusError) as error:
        raise ToolError(f"the queries do not parse: {error}") from None
    except LookupError as error:
        raise ToolError(str(error)) from None
    except psycopg.Error as error:
        raise ToolError(f"{type(error).__name__}: {scrub(str(error), ctx)}") from None
    changes = {c.query.label: c.result_changes for c in assessment.comparisons if c.result_changes}
    result = assessment.result.model_dump(mode="json")
    return {"source": SOURCE, **result, "result_changes": changes}


def check_compatibility_tool(ctx: ToolContext) -> Tool:
    def run(args: CheckCompatibilityInput) -> dict[str, Any]:
        return check_corpus(ctx, args.queries, args.new_database, args.old_database)

    return Tool(
        name="check_compatibility",
        description=(
            "Check every application query at once: PREPARE on the new schema (staging) and the old one "
            "(target), nothing runs. Returns a verdict, one check per query and a summary."
        ),
        input_model=CheckCompatibilityInput,
        function=run,
    )
