"""The PL/pgSQL trigger that keeps a column move's two columns equal while both releases write.

Why it decides by what a statement changed, and why it refuses values that do not round-trip, is in
docs/column-sync.md. The function runs with the migration session's search_path (SET search_path FROM
CURRENT), so the type names and functions it uses resolve as they did when the plan ran.
"""

from __future__ import annotations

import copy
import textwrap

from pglast import ast
from pglast.enums import VariableSetKind
from psycopg import sql

from zdt.recipes._column_move import ColumnMove, forward, reverse
from zdt.recipes.base import column, deparse, ident, literal, render

# --- the trigger --------------------------------------------------------------------------------------

_SYNC_BODY = """
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The new column still holds its default: the statement wrote the old one, or neither.
        IF NEW.{new} IS NOT DISTINCT FROM {new_default} THEN
            NEW.{new} := {forward};
        ELSIF NEW.{new} IS DISTINCT FROM {forward} THEN
            NEW.{old} := {reverse};{insert_guard}
        END IF;
    -- An UPDATE that changed the new column to a value the old one does not give: new code wrote it.
    ELSIF NEW.{new} IS DISTINCT FROM OLD.{new} AND NEW.{new} IS DISTINCT FROM {forward} THEN
        NEW.{old} := {reverse};{update_guard}
    ELSE
        -- Old code wrote the old column, or the UPDATE wrote neither (this also fills a row
        -- the backfill has not reached yet).
        NEW.{new} := {forward};
    END IF;
    RETURN NEW;
END
"""

_ROUND_TRIP_GUARD = """
IF {forward} IS DISTINCT FROM NEW.{new} THEN
    RAISE EXCEPTION USING
        ERRCODE = 'data_exception',
        MESSAGE = format('zdt: %s = %s does not survive the copy into %s unchanged',
                         {new_name}, NEW.{new}, {old_name}),
        HINT = 'code that still reads the old column could not read this value back; '
               'write values it can hold until the contract phase';
END IF;"""


def _sync_body(move: ColumnMove) -> str:
    record_forward = sql.SQL(deparse(forward(move, "new")))
    parts: dict[str, sql.Composable] = {
        "new": column(move.new),
        "old": column(move.old),
        "forward": record_forward,
        "reverse": sql.SQL(deparse(reverse(move, "new"))),
        "new_default": sql.SQL(deparse(_new_default(move))),
    }
    guard = ""
    if not move.same_value:
        guard = (
            sql.SQL(_ROUND_TRIP_GUARD)
            .format(
                forward=record_forward,
                new=column(move.new),
                new_name=literal(move.new),
                old_name=literal(move.old),
            )
            .as_string()
        )
    return (
        sql.SQL(_SYNC_BODY)
        .format(
            insert_guard=sql.SQL(textwrap.indent(guard, " " * 12)),
            update_guard=sql.SQL(textwrap.indent(guard, " " * 8)),
            **parts,
        )
        .as_string()
    )


def sync_function(move: ColumnMove) -> ast.CreateFunctionStmt:
    return ast.CreateFunctionStmt(
        is_procedure=False,
        replace=False,
        funcname=(ast.String(move.schema), ast.String(move.function)),
        parameters=(),
        returnType=ast.TypeName(names=(ast.String("trigger"),)),
        options=(
            ast.DefElem(defname="language", arg=ast.String("plpgsql")),
            ast.DefElem(
                defname="set",
                arg=ast.VariableSetStmt(kind=VariableSetKind.VAR_SET_CURRENT, name="search_path"),
            ),
            ast.DefElem(defname="as", arg=(ast.String(_sync_body(move)),)),
        ),
    )


def create_trigger(move: ColumnMove) -> str:
    return render(
        "CREATE TRIGGER {n} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {f}()",
        n=column(move.trigger),
        t=ident(move.table),
        f=sql.Identifier(move.schema, move.function),
    )


def _new_default(move: ColumnMove) -> ast.Node:
    if move.expand_default is None:
        return ast.A_Const(isnull=True)
    if move.same_value:
        return copy.deepcopy(move.expand_default)
    return ast.TypeCast(arg=copy.deepcopy(move.expand_default), typeName=copy.deepcopy(move.new_type))
