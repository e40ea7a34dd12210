"""check_compatibility: the whole application query corpus, PREPAREd on the old and the new schema.

The question is whether code running today keeps working once the migration is applied, so every query
must prepare on the new schema; preparing it on the old one too tells a break the migration causes from
a query that was already broken, and shows queries that only new code can use. Nothing runs: PREPARE in
rolled-back read-only transactions. With zdt.compat installed its checker does the work (it also
reports changed result columns and parameter types); otherwise each query goes through prepare_query.
The answer is CompatibilityResult-shaped JSON plus ``source`` (and ``result_changes`` from zdt.compat).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from pydantic import BaseModel, Field

from zdt.analysis.source import SqlSyntaxError, parse_statements
from zdt.tools import compat_library
from zdt.tools.base import Tool, ToolError
from zdt.tools.context import DatabaseRole, ToolContext
from zdt.tools.prepare import prepare
from zdt.tools.session import scrub

BUILTIN = "built-in (prepare_query)"
LIBRARY = "zdt.compat"


class CheckCompatibilityInput(BaseModel):
    queries: str = Field(description="The application's queries, SQL separated by ';' ($1.. parameters ok).")
    new_database: DatabaseRole = Field(default="staging", description="Where the migrated schema is.")
    old_database: DatabaseRole | None = Field(default="target", description="Where the old schema is.")


def check_corpus(
    ctx: ToolContext, queries: str, new_role: DatabaseRole, old_role: DatabaseRole | None
) -> dict[str, Any]:
    library = compat_library.load()
    try:
        if library is not None and old_role is not None:
            return _with_library(library, ctx, queries, new_role, old_role)
        return _builtin(ctx, queries, new_role, old_role)
    except SqlSyntaxError as error:
        raise ToolError(f"the queries do not parse: {error}") from None
    except LookupError as error:
        raise ToolError(str(error)) from None
    except psycopg.Error as error:
        raise ToolError(f"{type(error).__name__}: {scrub(str(error), ctx)}") from None


def _with_library(
    library: Any, ctx: ToolContext, queries: str, new_role: DatabaseRole, old_role: DatabaseRole
) -> dict[str, Any]:
    parsed = library.parse_queries(queries, "queries")
    assessment = library.assess_compatibility(ctx.url_for(old_role), ctx.url_for(new_role), parsed)
    changes = {c.query.label: c.result_changes for c in assessment.comparisons if c.result_changes}
    result = assessment.result.model_dump(mode="json")
    return {"source": LIBRARY, **result, "result_changes": changes}


@dataclass(frozen=True)
class _Outcome:
    """ok: True/False as the server answered; None when the check could not run (error says why)."""

    ok: bool | None
    error: str | None = None


def _prepared(ctx: ToolContext, query: str, role: DatabaseRole | None) -> _Outcome | None:
    if role is None:
        return None
    try:
        answer = prepare(ctx, query, role)
    except ToolError as error:
        return _Outcome(None, f"not checked on {role}: {error}")
    return _Outcome(bool(answer["prepares"]), answer.get("error"))


def _builtin(
    ctx: ToolContext, queries: str, new_role: DatabaseRole, old_role: DatabaseRole | None
) -> dict[str, Any]:
    ctx.url_for(new_role)  # no staging: say so once rather than once per query
    checks, broken, unchecked, new_only = [], [], [], 0
    for statement in parse_statements(queries, "queries"):
        query = statement.sql
        new, old = _prepared(ctx, query, new_role), _prepared(ctx, query, old_role)
        assert new is not None
        error = new.error or (old.error if old and old.ok is not True else None)
        old_ok = old.ok if old else None
        checks.append(
            {"query": query, "new_schema_ok": new.ok is True, "old_schema_ok": old_ok, "error": error}
        )
        label = f"line {statement.line}"
        if new.ok is False:
            broken.append(f"{label}: {new.error}")
        elif new.ok is None:
            unchecked.append(f"{label}: {new.error}")
        elif old is not None and old.ok is False:
            new_only += 1
    return {"source": BUILTIN, **_verdict(len(checks), broken, unchecked, new_only), "checks": checks}


def _verdict(total: int, broken: list[str], unchecked: list[str], new_only: int) -> dict[str, str]:
    if total == 0:
        return {"verdict": "unknown", "summary": "unknown: no queries to check"}
    if broken:
        verdict, lead = "incompatible", f"{len(broken)} of {total} queries break on the new schema"
    elif unchecked:
        verdict, lead = "unknown", f"{len(unchecked)} of {total} queries could not be checked"
    else:
        verdict, lead = "compatible", f"all {total} queries prepare on the new schema"
    details = broken + unchecked[:3]
    if new_only:
        details.append(f"{new_only} pass only on the new schema: new code must wait for the migration")
    return {
        "verdict": verdict,
        "summary": f"{verdict}: {lead}" + ("; " + "; ".join(details) if details else ""),
    }


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
