"""A dropped CHECK or FOREIGN KEY brought back from its snapshot definition, and who references a key.

Two recipes drop such constraints on a live table: drop-constraint (``DROP CONSTRAINT``) and drop-column
(the constraints that would otherwise go silently with the column). Either way the rollback is built from
pg_get_constraintdef as the snapshot recorded it, outside a transaction, each statement committing on
its own: clear a leftover of an earlier attempt, ADD CONSTRAINT ... NOT VALID (brief lock), then
VALIDATE (ShareUpdateExclusiveLock: reads and writes go on; a constraint that was NOT VALID stays so).
The validation fails if violating rows arrived meanwhile.
"""

from __future__ import annotations

from pglast import ast, parser

from zdt.analysis.fields import node_of, required
from zdt.plan.model import Rollback
from zdt.recipes._not_null_route import primary_key_columns
from zdt.recipes._reprint import faithful_sql
from zdt.recipes.base import column, ident, render, split_name, with_changes
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import CheckInfo, ForeignKeyInfo, SchemaSnapshot


def re_add_constraint(line: int, table: str, name: str, known: CheckInfo | ForeignKeyInfo) -> Rollback:
    """CHECK / FOREIGN KEY back from its definition: NOT VALID, then VALIDATE (if it was valid)."""
    t, n = ident(table), column(name)
    text = render("ALTER TABLE {t} ADD CONSTRAINT {n} ", t=t, n=n) + known.definition
    statement = node_of(parser.parse_sql(text)[0].stmt, ast.AlterTableStmt, "pg_get_constraintdef()")
    command = required(statement.cmds, "AlterTableStmt.cmds")[0]
    constraint = node_of(command.def_, ast.Constraint, "pg_get_constraintdef()")
    changes: dict[str, object] = {"skip_validation": True, "initially_valid": False}
    if isinstance(known, ForeignKeyInfo):  # printed unqualified when its schema is on the search_path
        schema, relname = split_name(known.referenced_table)
        pktable = required(constraint.pktable, "FOREIGN KEY's Constraint.pktable")
        changes["pktable"] = with_changes(pktable, schemaname=schema, relname=relname)
    add = faithful_sql(
        with_changes(statement, cmds=(with_changes(command, def_=with_changes(constraint, **changes)),))
    )
    if add is None:
        raise PlanningError(
            f"line {line}: zdt cannot print ADD CONSTRAINT {name} ({known.definition}) faithfully, so "
            "dropping it could not be undone; drop it by hand"
        )
    statements = [render("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}", t=t, n=n), add]
    if known.validated:
        statements.append(render("ALTER TABLE {t} VALIDATE CONSTRAINT {n}", t=t, n=n))
    return Rollback(sql=statements, transactional=False)


def re_add_note(known: CheckInfo | ForeignKeyInfo) -> str:
    """What the description says about the rollback of :func:`re_add_constraint`."""
    if not known.validated:
        return "rollback: re-added NOT VALID from its definition"
    return (
        "rollback: re-added NOT VALID from its definition, then VALIDATE (the validation fails if "
        "violating rows arrived meanwhile)"
    )


def foreign_keys_to(snapshot: SchemaSnapshot, table: str) -> list[tuple[str, ForeignKeyInfo]]:
    """Every foreign key referencing ``table``, with the table it is on (``table`` itself included)."""
    return [
        (info.name, foreign_key)
        for info in snapshot.tables.values()
        for foreign_key in info.foreign_keys
        if foreign_key.referenced_table == table
    ]


def referenced_columns(snapshot: SchemaSnapshot, table: str, foreign_key: ForeignKeyInfo) -> list[str]:
    """The columns of ``table`` a foreign key references (its primary key's, when it names none)."""
    text = "ALTER TABLE t ADD CONSTRAINT c " + foreign_key.definition
    statement = node_of(parser.parse_sql(text)[0].stmt, ast.AlterTableStmt, "pg_get_constraintdef()")
    constraint = node_of(required(statement.cmds, "AlterTableStmt.cmds")[0].def_, ast.Constraint, "FK")
    columns = [attr.sval for attr in constraint.pk_attrs or ()]
    info = snapshot.table(table)
    return columns or (primary_key_columns(info) if info else [])
