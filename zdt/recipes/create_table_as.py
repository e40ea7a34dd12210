"""CREATE MATERIALIZED VIEW ... AS and CREATE TABLE ... AS -> one expand step, run as written.

The new relation is invisible to the running release, so creating it is expand and its undo is a plain
DROP. What it costs the live database is the query: WITH DATA (the default) runs it once, to its end,
inside the step; a query over a large live table is a long full read. That read takes AccessShareLock on
every table it names, which blocks no reader and no writer, only DDL wanting AccessExclusiveLock on them
(an ALTER TABLE, a DROP) for as long as the query runs, and everything queued behind that DDL; the new
relation's own lock (AccessExclusiveLock, it is being created) conflicts with nobody, since nobody else
can see it yet. WITH NO DATA runs no query: a materialized view is then unreadable ("has not been
populated") until a REFRESH fills it, a table is empty.

create:   the statement as written, in expand; no statement timeout (the query may be long).
          verify: to_regclass(<relation>) is a materialized view (relkind m) or a table (r).
          rollback: DROP MATERIALIZED VIEW|TABLE IF EXISTS <relation>, after a plain CREATE, which fails
          if the relation exists, so when it ran it created it. After IF NOT EXISTS of a relation the
          schema snapshot has, the statement does nothing: rollback not needed. IF NOT EXISTS without a
          snapshot is refused: the plan could not tell whether its undo would drop a relation the
          running release uses (plan with --database-url).
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, ident, literal, render
from zdt.recipes.errors import PlanningError

_KINDS = {ObjectType.OBJECT_MATVIEW: ("materialized view", "m"), ObjectType.OBJECT_TABLE: ("table", "r")}
_SCHEMA = """
    CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint NOT NULL, title text NOT NULL);
    INSERT INTO posts SELECT g, 1 + g % 100, 'post ' || g FROM generate_series(1, 12000) g;
    ANALYZE posts;
"""


class CreateTableAs(Recipe):
    id = "create-table-as"
    summary = (
        "Create a materialized view or a table from a query in expand (its query reads the sources "
        "under AccessShareLock); rollback drops it."
    )
    examples = (
        RecipeExample(
            title="a materialized view of a live table, filled at once",
            schema=_SCHEMA,
            sql="CREATE MATERIALIZED VIEW post_counts AS SELECT author_id, count(*) AS posts FROM posts "
            "GROUP BY author_id;",
            plan="""
                expand   s01-create-materialized-view
                    CREATE MATERIALIZED VIEW post_counts AS SELECT author_id, count(*) AS posts FROM
                        posts GROUP BY author_id
            """,
            old_queries=("SELECT id, title FROM posts WHERE id = 1",),
            new_queries=("SELECT posts FROM post_counts WHERE author_id = 1",),
        ),
        RecipeExample(
            title="a table copied from a query, and an empty materialized view",
            schema=_SCHEMA,
            sql="""
                CREATE TABLE post_titles AS SELECT id, title FROM posts WHERE id <= 100;
                CREATE MATERIALIZED VIEW author_ids AS SELECT DISTINCT author_id FROM posts WITH NO DATA;
            """,
            plan="""
                expand   s01-create-table-as
                    CREATE TABLE post_titles AS SELECT id, title FROM posts WHERE id <= 100
                expand   s02-create-materialized-view
                    CREATE MATERIALIZED VIEW author_ids AS SELECT DISTINCT author_id FROM posts WITH NO
                        DATA
            """,
            old_queries=("SELECT id, title FROM posts WHERE id = 1",),
            new_queries=("SELECT title FROM post_titles WHERE id = 1",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        return isinstance(node, ast.CreateTableAsStmt) and node.objtype in _KINDS

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.CreateTableAsStmt)
        line = context.statement.line
        what, relkind = _KINDS[required(node.objtype, "CreateTableAsStmt.objtype")]
        into = required(node.into, "CreateTableAsStmt.into")
        relation = names.of_range_var(required(into.rel, "IntoClause.rel"))
        snapshot = context.snapshot
        existed = snapshot is not None and snapshot.table(relation) is not None
        if node.if_not_exists and snapshot is None:
            raise PlanningError(
                f"line {line}: CREATE {what.upper()} IF NOT EXISTS {relation}: without the schema zdt cannot "
                "tell whether the statement creates it or leaves one the running release uses, so neither "
                "whether its undo may drop it: plan with --database-url, or drop IF NOT EXISTS"
            )
        if node.if_not_exists and existed:
            rollback = Rollback(
                not_needed=f"{relation} existed before this plan: IF NOT EXISTS left it as it was"
            )
        else:
            drop = "DROP MATERIALIZED VIEW IF EXISTS {r}" if relkind == "m" else "DROP TABLE IF EXISTS {r}"
            rollback = Rollback(sql=[render(drop, r=ident(relation))])
        sources = [taken.relation for taken in context.report.locks if taken.relation != relation]
        filled = not into.skipData
        description = (
            f"leave {relation} as it is: it exists, and IF NOT EXISTS makes the statement a no-op"
            if node.if_not_exists and existed
            else _description(what, relation, sources, filled=filled)
        )
        return [
            context.step(
                "create-materialized-view" if relkind == "m" else "create-table-as",
                phase=Phase.EXPAND,
                description=description,
                sql=[context.statement.sql],
                verify=Verification(
                    sql=render(
                        "SELECT coalesce((SELECT relkind = {k} FROM pg_class WHERE oid = to_regclass({r})), "
                        "false)",
                        k=literal(relkind),
                        r=literal(relation),
                    ),
                    description=f"{what} {relation} exists",
                ),
                rollback=rollback,
                lock=LockMode.ACCESS_SHARE if sources and filled else None,
                lock_duration=LockDuration.SCAN if sources and filled else LockDuration.NONE,
                tables=list(context.report.tables),
                timeouts=context.settings.timeouts(statement_timeout_ms=0),
                recipe=self.id,
            )
        ]


def _description(what: str, relation: str, sources: list[str], *, filled: bool) -> str:
    created = f"create {what} {relation} (new: no running release reads it)"
    if not filled:
        unreadable = (
            "; unreadable until a REFRESH MATERIALIZED VIEW fills it" if what == "materialized view" else ""
        )
        return f"{created} WITH NO DATA: its query does not run{unreadable}"
    if not sources:
        return f"{created}, filled by its query, which reads no table"
    read = ", ".join(sources)
    return (
        f"{created}, filled by its query in this step: a full read of {read} under AccessShareLock, which "
        "blocks no reader or writer but holds off DDL on them (and whatever queues behind it) until the "
        "query ends; over a large table that is a long statement, run it when a long read is acceptable"
    )
