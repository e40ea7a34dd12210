"""COMMENT ON any object of the database's schema -> one expand step, run as written.

A comment is catalog metadata: it changes no query, takes a brief lock (ShareUpdateExclusiveLock on a
relation) and no table scan, so the statement runs as written, under lock_timeout, also on objects the
same plan creates (the step comes after theirs).

start:    the statement itself, in the expand phase.
verify:   the object's comment is the one written (none for ``IS NULL`` or ``IS ''``, which remove it), read
          the way the object type stores it: ``col_description`` for a column, ``obj_description`` for a
          relation (table, view, index, sequence...), a type or domain, a schema and a function,
          procedure or aggregate (by its signature), and ``pg_description`` at the address
          ``pg_get_object_address`` gives for the other objects (constraints, triggers, policies, rules,
          extensions, collations, statistics, text search configurations and dictionaries).
rollback: not needed: a comment changes no behaviour, and the old text is not in the schema snapshot to
          put back.

Refused, with the statement's line: comments on shared objects (databases, roles, tablespaces: they live
in pg_shdescription, outside the schema a migration changes), on large objects, and on object types zdt
has no lookup for (casts, operators, operator classes and families, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from pglast import ast
from pglast.enums import ObjectType as OT
from pglast.stream import maybe_double_quote_name

from zdt.analysis import names
from zdt.analysis.fields import node_of, nodes_of, required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, deparse, literal, render
from zdt.recipes.errors import PlanningError

NOT_NEEDED = "a comment changes no behaviour"

_RELATIONS = {
    OT.OBJECT_TABLE: "table",
    OT.OBJECT_VIEW: "view",
    OT.OBJECT_MATVIEW: "materialized view",
    OT.OBJECT_INDEX: "index",
    OT.OBJECT_SEQUENCE: "sequence",
    OT.OBJECT_FOREIGN_TABLE: "foreign table",
}
_ROUTINES = {
    OT.OBJECT_FUNCTION: "function",
    OT.OBJECT_PROCEDURE: "procedure",
    OT.OBJECT_AGGREGATE: "aggregate",
    OT.OBJECT_ROUTINE: "routine",
}
# pg_get_object_address's name for each type, for objects given by a list of names ending in their own.
_BY_ADDRESS = {
    OT.OBJECT_TABCONSTRAINT: "table constraint",
    OT.OBJECT_TRIGGER: "trigger",
    OT.OBJECT_POLICY: "policy",
    OT.OBJECT_RULE: "rule",
    OT.OBJECT_COLLATION: "collation",
    OT.OBJECT_STATISTIC_EXT: "statistics object",
    OT.OBJECT_TSCONFIGURATION: "text search configuration",
    OT.OBJECT_TSDICTIONARY: "text search dictionary",
}
_SHARED = {OT.OBJECT_DATABASE: "database", OT.OBJECT_ROLE: "role", OT.OBJECT_TABLESPACE: "tablespace"}


class CommentOn(Recipe):
    id = "comment-on"
    summary = "Set a comment on any object of the schema as written, verified in its catalog."
    examples = (
        RecipeExample(
            title="comments on a column, a constraint and a table the plan creates",
            schema="""
                CREATE TABLE posts (
                    id bigint PRIMARY KEY,
                    title text NOT NULL CONSTRAINT posts_title_not_blank CHECK (title <> '')
                );
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="""
                COMMENT ON COLUMN posts.title IS 'shown in lists';
                COMMENT ON CONSTRAINT posts_title_not_blank ON posts IS 'the editor refuses blank titles';
                CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
                COMMENT ON TABLE tags IS 'labels an editor puts on posts';
            """,
            plan="""
                expand   s01-comment-on
                    COMMENT ON COLUMN posts.title IS 'shown in lists'
                expand   s02-comment-on
                    COMMENT ON CONSTRAINT posts_title_not_blank ON posts IS 'the editor refuses blank
                        titles'
                expand   s03-create
                    CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL)
                expand   s04-comment-on
                    COMMENT ON TABLE tags IS 'labels an editor puts on posts'
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
            ),
            new_queries=(
                "SELECT col_description('posts'::regclass, 2)",
                "INSERT INTO tags (id, name) VALUES (1, 'news')",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return isinstance(context.node, ast.CommentStmt)

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.CommentStmt)
        line = context.statement.line
        what, current = _current_comment(node, line)
        expected = node.comment or None  # IS '' removes the comment, as IS NULL does
        report = context.report
        lock = LockMode.strongest([taken.mode for taken in report.locks]) or report.lock
        return [
            context.step(
                "comment-on",
                phase=Phase.EXPAND,
                description=(f"set the comment of {what}" if expected else f"remove the comment of {what}"),
                sql=[context.statement.sql],
                verify=Verification(
                    sql=f"SELECT ({current}) IS NOT DISTINCT FROM " + render("{c}", c=literal(expected)),
                    description=f"{what} has the comment the statement gives"
                    if expected
                    else f"{what} has no comment",
                ),
                rollback=Rollback(not_needed=NOT_NEEDED),
                lock=lock,
                lock_duration=LockDuration.BRIEF if lock else LockDuration.NONE,
                tables=list(report.tables),
                recipe=self.id,
            )
        ]


def _current_comment(node: ast.CommentStmt, line: int) -> tuple[str, str]:
    """What the comment is on (for the description), and a query of the comment it has now."""
    kind = required(node.objtype, "CommentStmt.objtype")
    if kind in _SHARED:
        raise PlanningError(
            f"line {line}: a comment on a {_SHARED[kind]} is cluster-wide (pg_shdescription), outside the "
            "schema a migration changes: set it by hand"
        )
    if kind in _RELATIONS:
        relation = names.of_name_list(_strings(node.object, line))
        return f"{_RELATIONS[kind]} {relation}", render(
            "SELECT obj_description(to_regclass({r}), 'pg_class')", r=literal(relation)
        )
    if kind == OT.OBJECT_COLUMN:
        *relation_parts, column = _strings(node.object, line)
        table = names.of_name_list(relation_parts)
        return f"column {table}.{column.sval}", render(
            "SELECT col_description(to_regclass({t}), (SELECT attnum FROM pg_attribute WHERE attrelid = "
            "to_regclass({t}) AND attname = {c} AND NOT attisdropped))",
            t=literal(table),
            c=literal(column.sval),
        )
    if kind in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN):
        type_name = deparse(node_of(node.object, ast.TypeName, "COMMENT ON TYPE's object"))
        return f"type {type_name}", render(
            "SELECT obj_description(to_regtype({t}), 'pg_type')", t=literal(type_name)
        )
    if kind == OT.OBJECT_SCHEMA:
        schema = required(node_of(node.object, ast.String, "COMMENT ON SCHEMA's object").sval, "String.sval")
        return f"schema {schema}", render(
            "SELECT obj_description(to_regnamespace({s}), 'pg_namespace')",
            s=literal(maybe_double_quote_name(schema)),
        )
    if kind in _ROUTINES:
        return _routine_comment(node, kind, line)
    if kind == OT.OBJECT_EXTENSION:
        extension = required(node_of(node.object, ast.String, "COMMENT ON EXTENSION's object").sval, "sval")
        return f"extension {extension}", _by_address("extension", [extension], [])
    if kind == OT.OBJECT_DOMCONSTRAINT:
        domain, constraint = (
            node.object if isinstance(node.object, tuple) and len(node.object) == 2 else ((), ())
        )
        domain_type = node_of(domain, ast.TypeName, "COMMENT ON CONSTRAINT ... ON DOMAIN's domain")
        name = required(node_of(constraint, ast.String, "the domain constraint's name").sval, "sval")
        return f"constraint {name} of domain {deparse(domain_type)}", _by_address(
            "domain constraint", [deparse(domain_type)], [name]
        )
    if kind in _BY_ADDRESS:
        parts = [required(part.sval, "String.sval") for part in _strings(node.object, line)]
        return f"{_BY_ADDRESS[kind]} {'.'.join(parts)}", _by_address(_BY_ADDRESS[kind], parts, [])
    raise PlanningError(
        f"line {line}: zdt cannot look up a comment on {kind.name.removeprefix('OBJECT_').lower()} objects "
        "to verify it: set it by hand"
    )


def _routine_comment(node: ast.CommentStmt, kind: OT, line: int) -> tuple[str, str]:
    """A function's (procedure's, aggregate's) comment, found by its signature as the statement names it."""
    routine = node_of(node.object, ast.ObjectWithArgs, "COMMENT ON FUNCTION's object")
    name = ".".join(
        maybe_double_quote_name(required(part.sval, "String.sval"))
        for part in nodes_of(routine.objname, ast.String, "ObjectWithArgs.objname")
    )
    what = _ROUTINES[kind]
    if routine.args_unspecified:
        return f"{what} {name}", render("SELECT obj_description(to_regproc({f}), 'pg_proc')", f=literal(name))
    arguments = ", ".join(deparse(argument) for argument in routine.objargs or ())
    signature = f"{name}({arguments})"
    if kind == OT.OBJECT_AGGREGATE and not routine.objargs:
        raise PlanningError(f"line {line}: name the argument types of aggregate {name} to verify its comment")
    return f"{what} {signature}", render(
        "SELECT obj_description(to_regprocedure({f}), 'pg_proc')", f=literal(signature)
    )


def _by_address(object_type: str, object_names: Sequence[str], arguments: Sequence[str]) -> str:
    return render(
        "SELECT d.description FROM pg_get_object_address({ty}, {n}, {a}) AS o JOIN pg_description AS d "
        "ON d.classoid = o.classid AND d.objoid = o.objid AND d.objsubid = o.objsubid",
        ty=literal(object_type),
        n=literal(list(object_names)),
        a=literal(list(arguments)),
    )


def _strings(value: object, line: int) -> list[ast.String]:
    if not isinstance(value, tuple):
        raise PlanningError(f"line {line}: zdt cannot read the name of the commented object")
    return list(nodes_of(value, ast.String, "CommentStmt.object"))
