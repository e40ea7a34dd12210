"""ALTER TABLE ... RENAME TO on a live table -> the new name as a view first, the rename itself at contract.

The plain rename takes a brief AccessExclusiveLock, but every running query naming the old table fails at
once with "relation does not exist", and the release before it can no longer be rolled back to. Both names
must work while both releases run (what the renaming-table rule asks for), so:

start (expand):     CREATE VIEW <new> AS SELECT * FROM <old> (``security_invoker`` from PostgreSQL 15, so
                    the caller's privileges and row-level security apply, as on the table). A view over
                    one table with every column is automatically updatable: INSERT, UPDATE, DELETE and
                    RETURNING through it reach the table, with the table's defaults, identity and
                    sequences. The new release uses <new>, the old one keeps using <old>.
verify:             the view exists
rollback:           DROP VIEW <new>
complete (contract), once no code uses <old>: in one transaction, DROP VIEW <new> and ALTER TABLE <old>
                    RENAME TO <new> (AccessExclusiveLock on both, brief, under lock_timeout). The table
                    then is as the plain rename leaves it: its indexes, constraints and sequences keep
                    their names, as they would.
verify:             <new> is the table and <old> is gone
rollback:           rename it back and re-create the view: the transition state again

Nothing is copied and no row is touched. A prepared statement of the new release planned against the view
is planned again against the table after contract, with the same columns. The view's column list is fixed
when it is created, so a later statement of the same plan about either name (a column added under the new
name, a table re-created under the old one) is refused by the planner: it belongs in a migration of its
own, after this one is contracted.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, column, ident, literal, render

_SECURITY_INVOKER_FROM = 15  # PostgreSQL 15 added security_invoker views
_IGNORE_RULE = (
    "-- zdt-ignore: renaming-table -- the new name worked as a view since expand, and the release "
    "using the old one is gone (deploy gate)\n"
)


class RenameTable(Recipe):
    id = "rename-table"
    summary = (
        "Rename a table without breaking running code: the new name as an updatable view until no code "
        "uses the old one, then the rename itself at contract."
    )
    examples = (
        RecipeExample(
            title="a table with a serial key and a default",
            schema="""
                CREATE TABLE posts (id bigserial PRIMARY KEY, title text NOT NULL,
                                    created_at timestamptz NOT NULL DEFAULT now());
                INSERT INTO posts (title) SELECT 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts RENAME TO articles;",
            plan="""
                expand   s01-view-articles
                    CREATE VIEW "public"."articles" WITH (security_invoker = true) AS SELECT * FROM
                        "public"."posts"
                contract s01-rename-posts
                    DROP VIEW "public"."articles"
                    -- zdt-ignore: renaming-table -- the new name worked as a view since expand, and the
                        release using the old one is gone (deploy gate)
                    ALTER TABLE "public"."posts" RENAME TO "articles"
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (title) VALUES ('written by the old release') RETURNING id, created_at",
                "UPDATE posts SET title = 'edited by the old release' WHERE id = 2",
                "DELETE FROM posts WHERE id = 3",
            ),
            new_queries=(
                "SELECT id, title, created_at FROM articles WHERE id = 1",
                "INSERT INTO articles (title) VALUES ('written by the new release') RETURNING id, created_at",
                "UPDATE articles SET title = 'edited by the new release' WHERE id = 2",
                "DELETE FROM articles WHERE id = 3",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        if not isinstance(node, ast.RenameStmt) or node.relation is None:
            return False
        if node.renameType != ObjectType.OBJECT_TABLE:
            return False
        table = names.of_range_var(node.relation)
        info = context.state.table(table)
        return context.is_existing(table) and (info is None or info.kind in ("r", "p"))

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.RenameStmt)
        relation = required(node.relation, "RenameStmt.relation")
        old = names.of_range_var(relation)
        old_name = required(relation.relname, "RangeVar.relname")
        new_name = required(node.newname, "RenameStmt.newname")
        new = names.qualified(relation.schemaname, new_name)
        create_view = _create_view(new, old, context.pg_version)
        drop_view = render("DROP VIEW {v}", v=ident(new))
        rename = render("ALTER TABLE {t} RENAME TO {n}", t=ident(old), n=column(new_name))
        rename_back = render("ALTER TABLE {t} RENAME TO {o}", t=ident(new), o=column(old_name))
        invoker = (
            "security_invoker: the caller's privileges and row-level security apply"
            if context.pg_version >= _SECURITY_INVOKER_FROM
            else "before PostgreSQL 15 a view runs with its owner's privileges: check row-level security "
            f"on {old} before relying on it"
        )
        expand = context.step(
            f"view-{new_name}",
            phase=Phase.EXPAND,
            description=(
                f"the new name {new} as an updatable view over {old} ({invoker}): the new release uses "
                f"{new}, the old one keeps using {old}"
            ),
            sql=[create_view],
            verify=Verification(sql=checks.relation_exists(new), description=f"{new} exists"),
            rollback=Rollback(sql=[render("DROP VIEW IF EXISTS {v}", v=ident(new))]),
            lock=None,
            lock_duration=LockDuration.NONE,
            tables=[old],
            recipe=self.id,
        )
        contract = context.step(
            f"rename-{old_name}",
            phase=Phase.CONTRACT,
            description=(
                f"rename {old} to {new} in place of the view, once every application instance uses {new} "
                "and none uses the old name (AccessExclusiveLock, brief, under lock_timeout)"
            ),
            sql=[drop_view, _IGNORE_RULE + rename],
            verify=Verification(
                sql=_renamed_check(old, new),
                description=f"{new} is the table and {old} no longer exists",
            ),
            rollback=Rollback(sql=[rename_back, _create_view(new, old, context.pg_version)]),
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[old],
            recipe=self.id,
        )
        return [expand, contract]


def _create_view(view: str, table: str, pg_version: int) -> str:
    options = " WITH (security_invoker = true)" if pg_version >= _SECURITY_INVOKER_FROM else ""
    return render(
        "CREATE VIEW {v}" + options + " AS SELECT * FROM {t}",
        v=ident(view),
        t=ident(table),
    )


def _renamed_check(old: str, new: str) -> str:
    return render(
        "SELECT to_regclass({old}) IS NULL AND EXISTS (SELECT 1 FROM pg_class "
        "WHERE oid = to_regclass({new}) AND relkind IN ('r', 'p'))",
        old=literal(old),
        new=literal(new),
    )
