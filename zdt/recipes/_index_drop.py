"""The one way recipes drop an index on a live table: CONCURRENTLY, one per step, rebuilt on rollback.

``DROP INDEX CONCURRENTLY`` takes ShareUpdateExclusiveLock (reads and writes go on) and waits for the
transactions using the index; it accepts a single index and no transaction block, hence one
non-transactional step per index. Its rollback clears an INVALID leftover of a failed run, then
rebuilds the index CONCURRENTLY from the snapshot's pg_get_indexdef (an exact rebuild: same name,
method, columns, predicate); without a snapshot the definition is unknown and the step is irreversible,
saying why. Two recipes drop indexes: drop-index-concurrently (``DROP INDEX``) and drop-column (the
indexes that would otherwise go silently with the column).
"""

from __future__ import annotations

from pglast import ast, parser

from zdt.analysis.fields import node_of
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes._reprint import faithful_sql
from zdt.recipes.base import PlanningContext, ident, render, with_changes
from zdt.schema.snapshot import IndexInfo


def drop_index_step(
    context: PlanningContext,
    *,
    suffix: str,
    index: str,
    table: str | None,
    drop_sql: str,
    known: IndexInfo | None,
    why: str,
    recipe: str,
) -> Step:
    """A contract step running ``drop_sql`` (a DROP INDEX CONCURRENTLY of ``index``); ``why`` ends the
    description: why the index goes now."""
    on = f" on {table}" if table else ""
    return context.step(
        suffix,
        phase=Phase.CONTRACT,
        description=(
            f"drop index {index}{on} concurrently (ShareUpdateExclusiveLock: reads and writes go on); {why}"
        ),
        sql=[drop_sql],
        transactional=False,
        verify=Verification(sql=checks.relation_absent(index), description=f"{index} is gone"),
        rollback=rebuild_index(index, known),
        lock=LockMode.SHARE_UPDATE_EXCLUSIVE,
        lock_duration=LockDuration.NONE,
        tables=[table] if table else [],
        recipe=recipe,
    )


def rebuild_index(index: str, known: IndexInfo | None) -> Rollback:
    """CREATE INDEX CONCURRENTLY from the definition PostgreSQL itself printed before the drop."""
    if known is None:
        return Rollback(
            irreversible=(
                f"the definition of {index} is unknown without a schema snapshot: plan against the "
                "database to get a rebuild as rollback"
            )
        )
    definition = node_of(parser.parse_sql(known.definition)[0].stmt, ast.IndexStmt, "pg_get_indexdef()")
    rebuild = faithful_sql(with_changes(definition, concurrent=True))
    if rebuild is None:
        return Rollback(
            irreversible=(
                f"zdt cannot print a faithful CREATE INDEX CONCURRENTLY for {index} ({known.definition}); "
                "recreate it by hand from that definition if needed"
            )
        )
    # A failed concurrent drop or build leaves an INVALID index under the name: clear it first, so the
    # rebuild never stops at IF NOT EXISTS in front of a useless index.
    leftover = render("DROP INDEX CONCURRENTLY IF EXISTS {i}", i=ident(index))
    return Rollback(sql=[leftover, rebuild], transactional=False)
