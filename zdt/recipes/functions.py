"""CREATE [OR REPLACE] FUNCTION / PROCEDURE in expand, DROP FUNCTION / PROCEDURE in contract, each undone
from the definition PostgreSQL printed before the plan (the snapshot's pg_get_functiondef).

A function takes no table lock to create, replace or drop, and the statement runs as written. What
matters is who calls it: a new function is called by nobody yet (expand); a replaced one is called by the
running release, and by every trigger using it, with the new body from the moment the step commits, so
the new body must suit both releases; a dropped one may still be called by the old release, so the drop
waits for contract, like a column. The signature (what DROP and to_regprocedure name) is the function's
name with the types of its IN, INOUT and VARIADIC parameters, read from the parsed statement.

create:   the statement as written. verify: to_regprocedure(<signature>) is not null.
          rollback: DROP FUNCTION|PROCEDURE IF EXISTS <signature>.
replace:  (OR REPLACE of a function the snapshot has) the statement as written. verify: it exists.
          rollback: the previous definition (pg_get_functiondef, itself a CREATE OR REPLACE); without a
          snapshot the previous definition is unknown and the statement is refused: plan with
          --database-url.
drop:     contract; the statement as written (CASCADE refused: it would drop the triggers, defaults and
          views using the function with it). verify: to_regprocedure(<signature>) is null.
          rollback: the previous definitions from the snapshot; without one, irreversible, saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast
from pglast.enums import DropBehavior, FunctionParameterMode, ObjectType
from psycopg import sql

from zdt.analysis import names, types
from zdt.analysis.fields import nodes_of, required
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, deparse, literal, render
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import FunctionInfo, SchemaSnapshot

# Parameter modes that are part of the signature: OUT and TABLE parameters are results, not arguments.
_SIGNATURE_MODES = {
    FunctionParameterMode.FUNC_PARAM_IN,
    FunctionParameterMode.FUNC_PARAM_INOUT,
    FunctionParameterMode.FUNC_PARAM_VARIADIC,
    FunctionParameterMode.FUNC_PARAM_DEFAULT,
}
_DROP_KINDS = {ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE}
_PLAN_WITH_DATABASE = "plan with --database-url"


@dataclass(frozen=True)
class Signature:
    """A function as DROP FUNCTION and to_regprocedure name it: 'public.f(integer, text[])'."""

    name: str  # 'public.f', format('%I.%I') spelled
    types: tuple[str, ...]  # the types as written (deparsed), for SQL
    keys: tuple[str, ...]  # the same types in format_type() spelling without modifiers, for lookups

    def __str__(self) -> str:
        return f"{self.name}({', '.join(self.types)})"

    def find_in(self, snapshot: SchemaSnapshot) -> FunctionInfo | None:
        return next(
            (
                info
                for info in snapshot.functions_named(self.name)
                if tuple(_catalog_key(text) for text in info.argument_types) == self.keys
            ),
            None,
        )


class Functions(Recipe):
    id = "functions"
    summary = (
        "Create or replace functions in expand (rollback: the previous definition), drop them in contract."
    )
    examples = (
        RecipeExample(
            title="a new function and a replaced one",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
                CREATE FUNCTION post_label(post_id bigint) RETURNS text LANGUAGE sql STABLE
                    AS $$ SELECT title FROM posts WHERE id = post_id $$;
            """,
            sql="""
                CREATE FUNCTION post_slug(post_id bigint) RETURNS text LANGUAGE sql STABLE
                    AS $$ SELECT replace(lower(title), ' ', '-') FROM posts WHERE id = post_id $$;
                CREATE OR REPLACE FUNCTION post_label(post_id bigint) RETURNS text LANGUAGE sql STABLE
                    AS $$ SELECT '#' || id || ' ' || title FROM posts WHERE id = post_id $$;
            """,
            plan="""
                expand   s01-create-function
                    CREATE FUNCTION post_slug(post_id bigint) RETURNS text LANGUAGE sql STABLE AS $$ …
                        $$
                expand   s02-replace-function
                    CREATE OR REPLACE FUNCTION post_label(post_id bigint) RETURNS text LANGUAGE sql
                        STABLE AS $$ … $$
            """,
            old_queries=("SELECT post_label(1)",),
            new_queries=("SELECT post_label(1), post_slug(1)",),
        ),
        RecipeExample(
            title="a function the new release no longer calls",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
                CREATE FUNCTION post_label(post_id bigint) RETURNS text LANGUAGE sql STABLE
                    AS $$ SELECT title FROM posts WHERE id = post_id $$;
            """,
            sql="DROP FUNCTION post_label(bigint);",
            plan="""
                contract s01-drop-function
                    DROP FUNCTION post_label(bigint)
            """,
            old_queries=("SELECT post_label(1)",),
            new_queries=("SELECT title FROM posts WHERE id = 1",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        if isinstance(node, ast.CreateFunctionStmt):
            return True
        return isinstance(node, ast.DropStmt) and node.removeType in _DROP_KINDS

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node
        if isinstance(node, ast.CreateFunctionStmt):
            return [self._create(context, node)]
        return [self._drop(context, context.node_as(ast.DropStmt))]

    def _create(self, context: PlanningContext, node: ast.CreateFunctionStmt) -> Step:
        line = context.statement.line
        kind = "procedure" if node.is_procedure else "function"
        signature = _signature(
            required(node.funcname, "CreateFunctionStmt.funcname"),
            [
                required(parameter.argType, "FunctionParameter.argType")
                for parameter in node.parameters or ()
                if isinstance(parameter, ast.FunctionParameter) and parameter.mode in _SIGNATURE_MODES
            ],
            line,
        )
        previous = signature.find_in(context.snapshot) if context.snapshot else None
        verify = Verification(sql=_exists(signature), description=f"{kind} {signature} exists")
        if previous is None and node.replace and context.snapshot is None:
            raise PlanningError(
                f"line {line}: CREATE OR REPLACE {kind.upper()} {signature}: without the schema zdt cannot "
                f"tell a new {kind} from a replaced one, nor restore the previous definition: "
                f"{_PLAN_WITH_DATABASE}"
            )
        if previous is None:
            return context.step(
                f"create-{kind}",
                phase=Phase.EXPAND,
                description=f"create {kind} {signature} (no table lock; nothing calls it yet)",
                sql=[context.statement.sql],
                verify=verify,
                rollback=Rollback(sql=[_drop_sql(kind, signature, if_exists=True)]),
                lock=None,
                lock_duration=LockDuration.NONE,
                recipe=self.id,
            )
        if not node.replace:
            raise PlanningError(
                f"line {line}: {kind} {signature} already exists: CREATE OR REPLACE it (the previous "
                "definition becomes the rollback)"
            )
        description = (
            f"replace {kind} {signature} (no table lock): the running release calls the new body from "
            "this step's COMMIT on, so it must suit both releases; rollback restores the previous definition"
        )
        if _returns_trigger(node, previous):
            description += (
                "; it is a trigger function: every trigger using it runs the new body at once, on every "
                "write of the application"
            )
        return context.step(
            f"replace-{kind}",
            phase=Phase.EXPAND,
            description=description,
            sql=[context.statement.sql],
            verify=verify,
            rollback=Rollback(sql=[previous.definition]),
            lock=None,
            lock_duration=LockDuration.NONE,
            recipe=self.id,
        )

    def _drop(self, context: PlanningContext, node: ast.DropStmt) -> Step:
        line = context.statement.line
        kind = {ObjectType.OBJECT_PROCEDURE: "procedure", ObjectType.OBJECT_ROUTINE: "routine"}.get(
            required(node.removeType, "DropStmt.removeType"), "function"
        )
        if node.behavior == DropBehavior.DROP_CASCADE:
            raise PlanningError(
                f"line {line}: DROP {kind.upper()} ... CASCADE also drops the triggers, column defaults, "
                "views and constraints that use it, which the rollback could not restore: drop those in "
                "their own statements first"
            )
        targets = [_dropped(context, item, line) for item in node.objects or ()]
        listed = ", ".join(str(signature) for signature, _ in targets)
        known = [info for _, info in targets if info is not None]
        if context.snapshot is None:
            rollback = Rollback(
                irreversible=(
                    f"the definition of {listed} is unknown without a schema snapshot: "
                    f"{_PLAN_WITH_DATABASE} to get a re-creation as rollback"
                )
            )
        elif known:
            rollback = Rollback(sql=[info.definition for info in known])
        else:
            rollback = Rollback(not_needed=f"{listed} did not exist before this plan")
        absent = sql.SQL(" AND ").join(
            sql.SQL("to_regprocedure({}) IS NULL").format(literal(str(signature))) for signature, _ in targets
        )
        return context.step(
            f"drop-{kind}",
            phase=Phase.CONTRACT,
            description=(
                f"drop {kind} {listed} (no table lock) once no running release calls it; the DROP fails, "
                "changing nothing, while a trigger, default or view still uses it"
            ),
            sql=[context.statement.sql],
            verify=Verification(sql=render("SELECT {absent}", absent=absent), description=f"{listed} gone"),
            rollback=rollback,
            lock=None,
            lock_duration=LockDuration.NONE,
            recipe=self.id,
        )


def _dropped(context: PlanningContext, item: ast.Node, line: int) -> tuple[Signature, FunctionInfo | None]:
    """The signature DROP FUNCTION names, and the function the snapshot knows under it."""
    if not isinstance(item, ast.ObjectWithArgs):
        raise PlanningError(f"line {line}: DROP FUNCTION names {type(item).__name__}, not a function")
    name_parts = nodes_of(item.objname, ast.String, "ObjectWithArgs.objname")
    snapshot = context.snapshot
    if item.args_unspecified:
        name = names.of_name_list(name_parts)
        candidates = snapshot.functions_named(name) if snapshot else []
        if len(candidates) > 1 or snapshot is None:
            raise PlanningError(
                f"line {line}: DROP FUNCTION {name} without its argument types: "
                + ("several functions have that name" if snapshot else _PLAN_WITH_DATABASE)
                + "; name the argument types"
            )
        if not candidates:
            return Signature(name, (), ()), None
        info = candidates[0]
        return Signature(
            name, tuple(info.argument_types), tuple(map(_catalog_key, info.argument_types))
        ), info
    signature = _signature(name_parts, nodes_of(item.objargs or (), ast.TypeName, "objargs"), line)
    return signature, signature.find_in(snapshot) if snapshot else None


def _signature(
    name_parts: tuple[ast.Node, ...], arg_types: list[ast.TypeName] | tuple[ast.TypeName, ...], line: int
) -> Signature:
    for type_name in arg_types:
        if type_name.pct_type:
            raise PlanningError(
                f"line {line}: a parameter type given as {deparse(type_name)}: name the type itself, so "
                "that zdt can name the function for verification and rollback"
            )
    name = names.of_name_list(nodes_of(name_parts, ast.String, "the function's name"))
    written = tuple(deparse(type_name) for type_name in arg_types)
    keys = tuple(_key(types.from_type_name(type_name)) for type_name in arg_types)
    return Signature(name, written, keys)


def _key(column_type: types.ColumnType) -> str:
    """A type as a function signature holds it: no modifiers, no schema, no quotes."""
    base = column_type.base.rsplit(".", 1)[-1].strip('"')
    return base + ("[]" if column_type.array else "")


def _catalog_key(formatted: str) -> str:
    return _key(types.parse_formatted(formatted))


def _returns_trigger(node: ast.CreateFunctionStmt, previous: FunctionInfo) -> bool:
    returned = (node.returnType.names or ()) if node.returnType is not None else ()
    written = bool(returned) and getattr(returned[-1], "sval", None) == "trigger"
    return written or previous.returns == "trigger"


def _exists(signature: Signature) -> str:
    return render("SELECT to_regprocedure({s}) IS NOT NULL", s=literal(str(signature)))


def _drop_sql(kind: str, signature: Signature, *, if_exists: bool) -> str:
    """DROP FUNCTION <signature>; the name is already SQL (format('%I.%I')), the types deparsed."""
    return render(
        "DROP {kind} {if_exists}{signature}",
        kind=kind.upper(),
        if_exists="IF EXISTS " if if_exists else "",
        signature=str(signature),
    )
