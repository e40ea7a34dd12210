"""Proof that a plan means what its migration file means: both end in the same schema.

Recipes rewrite statements and the planner regroups them by phase; either could change what the
migration does (an index re-created before it is dropped, a column re-added before it is removed). So
before a plan is stamped, the file is run as written on one scratch copy of the schema and the plan is
applied by the real executor, all phases, on another; their schema fingerprints must be equal (after the
end state a recipe declares on purpose, such as a type change leaving the column under its new name, is
applied to the first). When they
are not, the differing objects are named. When the file cannot even run as written on the copy (it
needs data, or objects the copy lacks), equivalence is *not proven*, and the result says why rather than
pretending either way.

The copies live on the server named by ``server_url`` (scratch databases, dropped afterwards) or on an
embedded PostgreSQL started for the purpose; the target is only read, by ``pg_dump --schema-only``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from zdt.analysis.schema_copy import copy_schema
from zdt.analysis.source import parse_statements
from zdt.db.embedded import EmbeddedPostgres
from zdt.db.scratch import scratch_database
from zdt.executor import ExecutorSettings, apply_plan
from zdt.plan.check import for_a_copy
from zdt.plan.model import MigrationPlan
from zdt.schema import SchemaSnapshot, introspect
from zdt.schema.diff import schema_differences

AS_WRITTEN, PLANNED = "file as written", "plan"


@dataclass(frozen=True)
class Equivalence:
    """The outcome: ``proven`` (same end state), different (``differences``), or ``not_proven`` (why)."""

    differences: list[str] = field(default_factory=list)
    not_proven: str | None = None

    @property
    def proven(self) -> bool:
        return self.not_proven is None and not self.differences

    def summary(self) -> str:
        if self.not_proven is not None:
            return f"equivalence not proven: {self.not_proven}"
        if self.differences:
            return f"the plan does not end in the schema the file gives: {self.differences[0]}"
        return "equivalence proven: the plan ends in exactly the schema the file gives as written"


def prove_equivalence(
    plan: MigrationPlan,
    *,
    schema_from: str | None,
    log_dir: Path,
    server_url: str | None = None,
) -> Equivalence:
    """Run ``plan.source`` as written and ``plan`` through the executor on two copies; compare schemas.

    ``schema_from`` is the database whose schema both copies start from (None: an empty database).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    with _server(server_url) as admin_url:
        with scratch_database(admin_url, prefix="zdt_as_written") as written_url:
            if schema_from is not None:
                copy_schema(schema_from, written_url)
            failure = run_as_written(plan.source, written_url)
            if failure is not None:
                return Equivalence(not_proven=failure)
            run_declared_end_state(plan, written_url)
            expected = _snapshot(written_url)
        with scratch_database(admin_url, prefix="zdt_planned") as planned_url:
            if schema_from is not None:
                copy_schema(schema_from, planned_url)
            unbound = for_a_copy(plan)
            settings = ExecutorSettings(batch_pause_ms=0, application_name="zdt-equivalence")
            result = apply_plan(
                unbound, planned_url, settings=settings, log_path=log_dir / "EQUIVALENCE-LOG.md"
            )
            if not result.ok:
                return Equivalence(differences=[f"the plan fails on the copy: {result.message}"])
            actual = _snapshot(planned_url)
    return Equivalence(
        differences=schema_differences(expected, actual, expected_as=AS_WRITTEN, actual_as=PLANNED)
    )


@contextlib.contextmanager
def _server(server_url: str | None) -> Iterator[str]:
    if server_url is not None:
        yield server_url
        return
    with EmbeddedPostgres() as server:
        yield server.url


def run_as_written(source: str, url: str) -> str | None:
    """Each statement as the file has it, transaction control included; the first failure, or None.

    The failure names the line and the server's message: "the file as written fails on the copy at line
    3: relation \"t\" does not exist".
    """
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in parse_statements(source):
            try:
                conn.execute(statement.sql)
            except psycopg.Error as error:
                message = str(error).strip().splitlines()[0]
                return (
                    f"the file as written fails on a copy of the schema at line {statement.line}: {message}"
                )
    return None


def declared_end_state(plan: MigrationPlan) -> list[str]:
    """What the plan's recipes declare they end in beyond the file (a type change's new column name)."""
    return [statement for step in plan.steps for statement in step.end_state_sql]


def run_declared_end_state(plan: MigrationPlan, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in declared_end_state(plan):
            conn.execute(statement)


def _snapshot(url: str) -> SchemaSnapshot:
    with psycopg.connect(url) as conn:
        return introspect(conn, sizes=False)
