"""REFRESH MATERIALIZED VIEW: CONCURRENTLY on a live view, plainly only where nobody reads it yet.

A refresh runs the view's query to its end (a full read of its tables under AccessShareLock, which blocks
no reader or writer of them). A plain REFRESH builds new files and swaps them in under
AccessExclusiveLock on the view, held for the whole query: every read of the view waits until it ends.
REFRESH ... CONCURRENTLY takes ExclusiveLock instead, which lets reads go on (only other refreshes and
DDL wait) and applies the difference row by row; PostgreSQL allows it only with a unique index on the
view that uses plain columns and has no WHERE clause, and only once the view is populated.

concurrent:  migrate; the statement as written, no statement timeout. Refused when the snapshot shows
             the view without such a unique index (the server would refuse it too): create one first
             (CREATE UNIQUE INDEX CONCURRENTLY ... ON <view> (<columns>)).
plain:       of a view this plan creates, or one the snapshot shows not populated (nobody can read it:
             reads fail until it is filled): the statement as written, expand for a new view, migrate
             otherwise. Of a populated live view: refused, saying the reads it would block and the safe
             alternative, REFRESH MATERIALIZED VIEW CONCURRENTLY (after a unique index if it lacks one).
             Without a snapshot a view the plan did not create is taken as live and populated.
verify:      pg_class.relispopulated of the view (WITH NO DATA empties it: then not populated).
rollback:    not needed: a refresh replaces the rows by what the view's query gives now, which the old
             and the new release both expect of it; the previous rows are not kept.
"""

from __future__ import annotations

from pglast import ast

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.parse_tree import parse_index
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, literal, render
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import TableInfo

NOT_NEEDED = (
    "a refresh replaces the view's rows by what its query gives now, which both releases expect of it; "
    "the previous rows are not kept, and a rollback of the steps before it leaves the query as it was"
)
_SCHEMA = """
    CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint NOT NULL, title text NOT NULL);
    INSERT INTO posts SELECT g, 1 + g % 100, 'post ' || g FROM generate_series(1, 12000) g;
    ANALYZE posts;
"""


class RefreshMaterializedView(Recipe):
    id = "refresh-materialized-view"
    summary = (
        "Refresh a live materialized view CONCURRENTLY (reads go on); a plain REFRESH only of a view "
        "nobody can read yet."
    )
    examples = (
        RecipeExample(
            title="refresh a view the application reads, without blocking its reads",
            schema=_SCHEMA
            + """
                CREATE MATERIALIZED VIEW post_counts AS
                    SELECT author_id, count(*) AS posts FROM posts GROUP BY author_id;
                CREATE UNIQUE INDEX post_counts_author_id ON post_counts (author_id);
            """,
            sql="REFRESH MATERIALIZED VIEW CONCURRENTLY post_counts;",
            plan="""
                migrate  s01-refresh-materialized-view
                    REFRESH MATERIALIZED VIEW CONCURRENTLY post_counts
            """,
            old_queries=("SELECT posts FROM post_counts WHERE author_id = 1",),
            new_queries=("SELECT posts FROM post_counts WHERE author_id = 1",),
        ),
        RecipeExample(
            title="fill a materialized view created empty, which nobody can read yet",
            schema=_SCHEMA
            + """
                CREATE MATERIALIZED VIEW author_ids AS SELECT DISTINCT author_id FROM posts WITH NO DATA;
            """,
            sql="REFRESH MATERIALIZED VIEW author_ids;",
            plan="""
                migrate  s01-refresh-materialized-view
                    REFRESH MATERIALIZED VIEW author_ids
            """,
            old_queries=("SELECT id, title FROM posts WHERE id = 1",),
            new_queries=("SELECT author_id FROM author_ids WHERE author_id = 1",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return isinstance(context.node, ast.RefreshMatViewStmt)

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.RefreshMatViewStmt)
        line = context.statement.line
        view = names.of_range_var(required(node.relation, "RefreshMatViewStmt.relation"))
        new = context.state.is_new(view)
        info = None if new else context.table(view)
        view_info = context.snapshot.view(view) if context.snapshot and not new else None
        populated = view_info.populated if view_info is not None else True
        sources = [taken.relation for taken in context.report.locks if taken.relation != view]
        read = (
            f"a full read of {', '.join(sources)} under AccessShareLock, which blocks no reader or writer"
            if sources
            else "the view's query"
        )
        if node.concurrent:
            if info is not None and not _has_refresh_key(info):
                raise PlanningError(
                    f"line {line}: REFRESH MATERIALIZED VIEW CONCURRENTLY {view}: the view has no unique "
                    "index on plain columns without a WHERE clause, which PostgreSQL requires for it: "
                    f"create one first (CREATE UNIQUE INDEX CONCURRENTLY ... ON {view} (<columns>))"
                )
            if not populated:
                raise PlanningError(
                    f"line {line}: REFRESH MATERIALIZED VIEW CONCURRENTLY {view}: the view is not populated "
                    "(created WITH NO DATA), which CONCURRENTLY cannot refresh; nobody can read it yet, so "
                    "a plain REFRESH MATERIALIZED VIEW blocks nobody: write that"
                )
            description = (
                f"refresh materialized view {view} concurrently: ExclusiveLock on the view while its "
                f"query runs ({read}); ExclusiveLock lets the view's readers go on and holds off only "
                "other refreshes and DDL on it; no rollback needed"
            )
            phase, lock = Phase.MIGRATE, LockMode.EXCLUSIVE
        elif new or not populated:
            why = "this plan creates it" if new else "it is not populated, so every read of it fails anyway"
            description = (
                f"refresh materialized view {view}: AccessExclusiveLock on the view for the whole query "
                f"({read}); that lock blocks nobody: {why}; no rollback needed"
            )
            phase, lock = (Phase.EXPAND if new else Phase.MIGRATE), LockMode.ACCESS_EXCLUSIVE
        else:
            first = (
                ""
                if info is not None and _has_refresh_key(info)
                else f"create a unique index on plain columns of it (CREATE UNIQUE INDEX CONCURRENTLY ... "
                f"ON {view} (<columns>)), then "
            )
            raise PlanningError(
                f"line {line}: REFRESH MATERIALIZED VIEW {view} takes AccessExclusiveLock on the view for "
                "as long as its query runs: every read of the view waits until the refresh ends; instead, "
                f"{first}write REFRESH MATERIALIZED VIEW CONCURRENTLY {view}, which lets reads go on"
            )
        return [
            context.step(
                "refresh-materialized-view",
                phase=phase,
                description=description,
                sql=[context.statement.sql],
                verify=Verification(
                    sql=render(
                        "SELECT coalesce((SELECT relispopulated = {p} FROM pg_class "
                        "WHERE oid = to_regclass({v})), false)",
                        p=literal(not node.skipData),
                        v=literal(view),
                    ),
                    description=f"{view} is {'populated' if not node.skipData else 'emptied'}",
                ),
                rollback=Rollback(not_needed=NOT_NEEDED),
                lock=lock,
                lock_duration=LockDuration.SCAN,
                tables=list(context.report.tables),
                timeouts=context.settings.timeouts(statement_timeout_ms=0),
                recipe=self.id,
            )
        ]


def _has_refresh_key(info: TableInfo) -> bool:
    """A unique index CONCURRENTLY can match rows by: valid, on plain columns only, with no WHERE clause."""
    for index in info.indexes:
        if not (index.unique and index.valid):
            continue
        statement = parse_index(index.definition)
        if statement.whereClause is None and all(element.name for element in statement.indexParams or ()):
            return True
    return False
