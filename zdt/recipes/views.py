"""CREATE OR REPLACE VIEW of an existing view in expand, DROP [MATERIALIZED] VIEW in contract, each undone
from what PostgreSQL printed before the plan (the snapshot's pg_get_viewdef, reloptions and grants).

A view holds no data: replacing or dropping it takes AccessExclusiveLock on the view only, for a moment,
and the statement runs as written. A replaced view serves the running release the new query from the
step's COMMIT on, so the new query must suit both releases; a dropped one may still be read by the old
release, so the drop waits for contract. A new view (CREATE VIEW, or OR REPLACE of one the database does
not have) stays with the pass-through recipe: its rollback is a plain DROP VIEW.

PostgreSQL lets CREATE OR REPLACE VIEW only add columns at the end, never remove or rename them. When the
new query has exactly the old columns (by name, as written) the previous query comes back with CREATE OR
REPLACE VIEW, which keeps the view's grants and the views built on it. Otherwise (columns added, or
names zdt cannot read such as SELECT *) the rollback is DROP VIEW then CREATE VIEW with the previous
definition and options and the previous grants, in one transaction; a view other views depend on cannot be
dropped, so that case is refused, naming them.

replace:  the statement as written (AccessExclusiveLock on the view, brief). verify: the view exists.
          rollback: CREATE OR REPLACE VIEW <view> [WITH (<options>)] AS <previous query>, or DROP VIEW +
          CREATE VIEW + GRANT as above. Without a snapshot the previous query is unknown: refused,
          plan with --database-url.
drop:     contract; the statement as written (CASCADE refused: the views it would take along could not
          all be re-created; a view other views still depend on is refused too). verify: the views are
          gone. rollback: CREATE VIEW from the snapshot (views before the views built on them) and the
          grants; a materialized view is re-created WITH DATA if it was populated (its query runs
          again, in the rollback's transaction: the rollback takes as long as a REFRESH), WITH NO DATA if
          it was not, then its indexes (pg_get_indexdef) and grants. Comments on a dropped view are not
          restored. Without a snapshot: irreversible, saying why.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import DropBehavior, ObjectType, SetOperation
from psycopg import sql

from zdt.analysis import names
from zdt.analysis.fields import nodes_of, required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, ident, literal, render
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import SchemaSnapshot, ViewInfo

_VIEW_KINDS = {ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW}
_SCHEMA = """
    CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, published boolean NOT NULL DEFAULT true);
    INSERT INTO posts SELECT g, 'post ' || g, g % 3 <> 0 FROM generate_series(1, 12000) g;
    ANALYZE posts;
"""


class Views(Recipe):
    id = "views"
    summary = (
        "Replace existing views in expand, drop views in contract; rollback re-creates the previous one."
    )
    examples = (
        RecipeExample(
            title="a view gains a column",
            schema=_SCHEMA + "CREATE VIEW published_posts AS SELECT id, title FROM posts WHERE published;",
            sql="CREATE OR REPLACE VIEW published_posts AS SELECT id, title, length(title) AS title_length "
            "FROM posts WHERE published;",
            plan="""
                expand   s01-replace-view
                    CREATE OR REPLACE VIEW published_posts AS SELECT id, title, length(title) AS
                        title_length FROM posts WHERE published
            """,
            old_queries=("SELECT id, title FROM published_posts WHERE id = 1",),
            new_queries=("SELECT id, title, title_length FROM published_posts WHERE id = 1",),
        ),
        RecipeExample(
            title="a view the new release no longer reads",
            schema=_SCHEMA + "CREATE VIEW published_posts AS SELECT id, title FROM posts WHERE published;",
            sql="DROP VIEW published_posts;",
            plan="""
                contract s01-drop-view
                    DROP VIEW published_posts
            """,
            old_queries=("SELECT id, title FROM published_posts WHERE id = 1",),
            new_queries=("SELECT id, title FROM posts WHERE published AND id = 1",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        if isinstance(node, ast.DropStmt):
            return node.removeType in _VIEW_KINDS
        if not isinstance(node, ast.ViewStmt) or not node.replace:
            return False
        view = names.of_range_var(required(node.view, "ViewStmt.view"))
        if context.snapshot is not None:
            return context.snapshot.view(view) is not None
        # Without a snapshot the view may exist (this recipe then refuses rather than pass it as new),
        # unless an earlier statement of the plan created it: the analyser then saw it replaced.
        return context.report.lock is not LockMode.ACCESS_EXCLUSIVE

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node
        if isinstance(node, ast.ViewStmt):
            return [self._replace(context, node)]
        return [self._drop(context, context.node_as(ast.DropStmt))]

    def _replace(self, context: PlanningContext, node: ast.ViewStmt) -> Step:
        line = context.statement.line
        view = names.of_range_var(required(node.view, "ViewStmt.view"))
        snapshot = context.snapshot
        previous = snapshot.view(view) if snapshot else None
        if snapshot is None or previous is None:
            raise PlanningError(
                f"line {line}: CREATE OR REPLACE VIEW {view}: the previous definition is unknown without "
                "the schema, so it could not be restored: plan with --database-url"
            )
        info = context.table(view)
        old_columns = list(info.columns) if info else []
        new_columns = _columns_as_written(node)
        if new_columns == old_columns:
            rollback = Rollback(sql=[_create_sql(previous, replace=True)])
            undo = "CREATE OR REPLACE VIEW with the previous query"
        else:
            dependents = _dependent_views(context, view)
            if dependents:
                change = "changes the columns of" if new_columns is not None else "may change the columns of"
                raise PlanningError(
                    f"line {line}: CREATE OR REPLACE VIEW {view} {change} the view (from "
                    f"{', '.join(old_columns)}): its rollback would have to DROP and re-create it, which the "
                    f"views depending on it ({', '.join(dependents)}) prevent; name every column of the "
                    "new query, or create a new view next to it"
                )
            rollback = Rollback(
                sql=[
                    render("DROP VIEW {v}", v=ident(view)),
                    _create_sql(previous, replace=False),
                    *previous.grants,
                ]
            )
            undo = "DROP VIEW and CREATE VIEW with the previous query, options and grants"
        return context.step(
            "replace-view",
            phase=Phase.EXPAND,
            description=(
                f"replace view {view} (AccessExclusiveLock on the view, brief): the running release reads "
                f"the new query from this step's COMMIT on, so it must suit both releases; rollback: {undo}"
            ),
            sql=[context.statement.sql],
            verify=Verification(sql=checks.relation_exists(view), description=f"{view} exists"),
            rollback=rollback,
            lock=_strongest(context),
            lock_duration=LockDuration.BRIEF,
            tables=list(context.report.tables),
            recipe=self.id,
        )

    def _drop(self, context: PlanningContext, node: ast.DropStmt) -> Step:
        line = context.statement.line
        materialized = node.removeType == ObjectType.OBJECT_MATVIEW
        what = "materialized view" if materialized else "view"
        dropped = [
            names.of_name_list(nodes_of(o, ast.String, "DropStmt.objects")) for o in node.objects or ()
        ]
        listed = ", ".join(dropped)
        dependents = sorted(
            {
                dependent
                for view in dropped
                for dependent in _dependent_views(context, view)
                if dependent not in dropped and dependent not in context.state.dropped
            }
        )
        if node.behavior == DropBehavior.DROP_CASCADE:
            reason = (
                f"the views depending on it ({', '.join(dependents)})" if dependents else "what depends on it"
            )
            raise PlanningError(
                f"line {line}: DROP {what.upper()} {listed} CASCADE also drops {reason}, which the rollback "
                "could not re-create: drop the dependent views in their own statements first"
            )
        if dependents:
            raise PlanningError(
                f"line {line}: views depend on {listed} ({', '.join(dependents)}): the DROP would fail; drop "
                "them first, in this statement or an earlier one"
            )
        rollback = _recreate(context.snapshot, dropped, what)
        refill = (
            "; rollback re-creates it from its definition and runs its query again"
            if materialized
            else "; rollback re-creates it from its definition"
        )
        absent = sql.SQL(" AND ").join(sql.SQL("to_regclass({}) IS NULL").format(literal(v)) for v in dropped)
        return context.step(
            "drop-materialized-view" if materialized else "drop-view",
            phase=Phase.CONTRACT,
            description=(
                f"drop {what} {listed} (AccessExclusiveLock on it, brief) once no running release reads it"
                + (refill if rollback.sql else "")
            ),
            sql=[context.statement.sql],
            verify=Verification(sql=render("SELECT {absent}", absent=absent), description=f"{listed} gone"),
            rollback=rollback,
            lock=_strongest(context),
            lock_duration=LockDuration.BRIEF,
            tables=list(context.report.tables),
            recipe=self.id,
        )


def _dependent_views(context: PlanningContext, view: str) -> list[str]:
    info = context.table(view)
    return [name for name in info.dependent_views if name != view] if info else []


def _strongest(context: PlanningContext) -> LockMode | None:
    return LockMode.strongest([taken.mode for taken in context.report.locks]) or context.report.lock


def _columns_as_written(node: ast.ViewStmt) -> list[str] | None:
    """The new view's column names as the statement gives them; None where only the server could tell."""
    if node.aliases:
        return [
            required(alias.sval, "String.sval") for alias in nodes_of(node.aliases, ast.String, "aliases")
        ]
    query = node.query
    if not isinstance(query, ast.SelectStmt) or query.op != SetOperation.SETOP_NONE or not query.targetList:
        return None
    columns: list[str] = []
    for target in query.targetList:
        if not isinstance(target, ast.ResTarget):
            return None
        if target.name:
            columns.append(target.name)
            continue
        value = target.val
        last = value.fields[-1] if isinstance(value, ast.ColumnRef) and value.fields else None
        if not isinstance(last, ast.String) or last.sval is None:
            return None  # an expression or *: the server names it
        columns.append(last.sval)
    return columns


def _create_sql(view: ViewInfo, *, replace: bool) -> str:
    """CREATE [OR REPLACE] [MATERIALIZED] VIEW from the catalog's own text (query, reloptions)."""
    query = view.definition.strip().removesuffix(";")
    options = f" WITH ({', '.join(view.options)})" if view.options else ""
    if view.kind == "m":
        data = "WITH DATA" if view.populated else "WITH NO DATA"
        return render(
            "CREATE MATERIALIZED VIEW {v}" + options + " AS " + query + " " + data, v=ident(view.name)
        )
    verb = "CREATE OR REPLACE VIEW" if replace else "CREATE VIEW"
    return render(verb + " {v}" + options + " AS " + query, v=ident(view.name))


def _recreate(snapshot: SchemaSnapshot | None, dropped: list[str], what: str) -> Rollback:
    listed = ", ".join(dropped)
    if snapshot is None:
        return Rollback(
            irreversible=(
                f"the definition of {what} {listed} is unknown without a schema snapshot: plan with "
                "--database-url to get a re-creation as rollback"
            )
        )
    known = [info for name in dropped if (info := snapshot.view(name)) is not None]
    if not known:
        return Rollback(not_needed=f"{listed} did not exist before this plan")
    statements: list[str] = []
    for view in _in_dependency_order(snapshot, known):
        statements.append(_create_sql(view, replace=False))
        table = snapshot.table(view.name)
        if view.kind == "m" and table is not None:
            statements.extend(index.definition for index in table.indexes)
        statements.extend(view.grants)
    return Rollback(sql=statements)


def _dependents_of(snapshot: SchemaSnapshot, view: ViewInfo) -> list[str]:
    info = snapshot.table(view.name)
    return info.dependent_views if info else []


def _in_dependency_order(snapshot: SchemaSnapshot, views: list[ViewInfo]) -> list[ViewInfo]:
    """Each view after the views it is built on (the snapshot's dependent_views), else as listed."""
    remaining = list(views)
    ordered: list[ViewInfo] = []
    while remaining:
        for view in remaining:
            built_on = [
                other
                for other in remaining
                if other is not view and view.name in _dependents_of(snapshot, other)
            ]
            if not built_on:
                ordered.append(view)
                remaining.remove(view)
                break
        else:  # a cycle cannot happen between views; keep the statement's order if it did
            ordered.extend(remaining)
            break
    return ordered
