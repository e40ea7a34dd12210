"""DROP TABLE -> contract phase only: a guard step proving nothing in the database still depends on the
table, then the drop, explicitly irreversible.

Dropping a table is the last step of removing a feature: the running release must no longer read or
write it. That cannot be proven from the catalog (pg_stat_user_tables counters would have to be watched
over time, under real traffic, from before the plan was made), so the guard's description says that the
application must have stopped using it, and the plan puts the drop in the contract phase, which runs only
once the new release is everywhere. What the catalog can prove is checked right before the drop: no
view, rule, foreign key, function signature or inheriting table outside the dropped set depends on it
(``dependents``) — any of them would make the DROP fail, or vanish with a CASCADE.

guard:    read-only catalog query; verify: nothing depends on the tables. rollback: not needed.
drop:     the statement as written, under lock_timeout (AccessExclusiveLock, brief; also on the tables
          its foreign keys reference). verify: the tables are gone.
          rollback: irreversible — the data is gone at COMMIT; rollback means restore from backup.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType
from psycopg import sql

from zdt.analysis import names
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _dependents as dependents
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, literal, render

RESTORE_FROM_BACKUP = "a dropped table's data is gone at COMMIT: rollback means restore from backup"


class DropTableInContract(Recipe):
    id = "drop-table"
    summary = "Drop tables in the contract phase, after a check that nothing in the database depends on them."
    examples = (
        RecipeExample(
            title="a table the new release no longer uses",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 100) g;
                CREATE TABLE post_views (id bigint PRIMARY KEY, post_id bigint NOT NULL, seen_at timestamptz);
                INSERT INTO post_views SELECT g, 1 + g % 100, now() FROM generate_series(1, 12000) g;
                ANALYZE posts, post_views;
            """,
            sql="DROP TABLE post_views;",
            plan="""
                contract s01-check-unused
                    check: nothing in the database depends on public.post_views
                contract s01-drop-table (irreversible)
                    DROP TABLE post_views
            """,
            old_queries=(
                "SELECT count(*) FROM post_views WHERE post_id = 1",
                "INSERT INTO post_views (id, post_id, seen_at) VALUES (12001, 1, now())",
            ),
            new_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (101, 'written by the new release')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        if not isinstance(node, ast.DropStmt) or node.removeType != ObjectType.OBJECT_TABLE:
            return False
        return any(context.is_existing(table) for table in _tables(node))

    def steps(self, context: PlanningContext) -> list[Step]:
        tables = _tables(context.node_as(ast.DropStmt))
        listed = ", ".join(tables)
        check = dependents.nothing_depends_on_tables(tables)
        guard = context.step(
            "check-unused",
            phase=Phase.CONTRACT,
            description=(
                f"before dropping {listed}: the application must have stopped using it (deploy the release "
                "that no longer reads or writes it first; the catalog cannot prove this). Checked here: no "
                "view, rule, foreign key, function or inheriting table depends on it; list them with "
                "zdt.recipes._dependents.list_table_dependents"
            ),
            sql=[check],
            verify=Verification(sql=check, description=f"nothing in the database depends on {listed}"),
            rollback=Rollback(not_needed="a read-only catalog check changes nothing"),
            lock=None,
            lock_duration=LockDuration.NONE,
            tables=tables,
            recipe=self.id,
        )
        drop = context.step(
            "drop-table",
            phase=Phase.CONTRACT,
            description=f"drop {listed} (AccessExclusiveLock, brief, under lock_timeout)",
            sql=[context.statement.sql],
            verify=Verification(sql=_all_absent(tables), description=f"{listed} no longer exist"),
            rollback=Rollback(irreversible=RESTORE_FROM_BACKUP),
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=list(context.report.tables) or tables,
            recipe=self.id,
        )
        return [guard, drop]


def _tables(node: ast.DropStmt) -> list[str]:
    return [names.of_name_list(object_names) for object_names in node.objects or ()]


def _all_absent(tables: list[str]) -> str:
    """One boolean for the whole statement: every table it names is gone."""
    absent = sql.SQL(" AND ").join(sql.SQL("to_regclass({}) IS NULL").format(literal(t)) for t in tables)
    return render("SELECT {absent}", absent=absent)
