"""table-rewrite-alter: SET LOGGED / UNLOGGED / ACCESS METHOD / TABLESPACE copy the whole table."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext

_WHAT = {
    AlterTableType.AT_SetLogged: "SET LOGGED copies every row into a new file and writes all of it to WAL",
    AlterTableType.AT_SetUnLogged: "SET UNLOGGED copies every row into a new, unlogged file",
    AlterTableType.AT_SetAccessMethod: "SET ACCESS METHOD {name} rewrites every row in the new format",
    AlterTableType.AT_SetTableSpace: "SET TABLESPACE {name} copies the table's files to the new tablespace",
}
# On a partitioned table these only set the default for future partitions.
_METADATA_ON_PARTITIONED = {AlterTableType.AT_SetAccessMethod, AlterTableType.AT_SetTableSpace}


class TableRewriteAlter(Rule):
    """Some ALTER TABLE forms copy the entire table while holding AccessExclusiveLock.

    Anti-pattern: ``ALTER TABLE posts SET UNLOGGED;`` (likewise SET LOGGED, SET ACCESS METHOD,
    SET TABLESPACE, and the same on a materialized view) rewrites posts and its indexes: no reads or
    writes until the copy ends, and SET LOGGED also pushes the whole table through WAL and replication.
    Best practice: there is no online form; choose persistence, access method and tablespace when the
    table is created, or copy the data online (logical replication into a new table, or a pg_repack-style
    tool, e.g. ``pg_repack --tablespace``) and swap, or schedule a maintenance window.
    """

    id = "table-rewrite-alter"
    summary = "SET LOGGED/UNLOGGED/ACCESS METHOD/TABLESPACE rewrite the table under AccessExclusiveLock."
    bad = "ALTER TABLE posts SET UNLOGGED;"
    good = (
        "CREATE UNLOGGED TABLE post_imports (id bigint, title text);\n"
        "INSERT INTO post_imports SELECT id, title FROM posts WHERE id <= 100;\n"
        "ALTER TABLE post_imports SET LOGGED;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists or not context.effect.rewrites_table:
            return
        table = context.target
        assert table is not None
        info = context.state.table(table)
        partitioned = info is not None and info.kind == "p"
        objtypes = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_MATVIEW)
        for command in common.alter_commands(context, *_WHAT, objtypes=objtypes):
            if partitioned and command.subtype in _METADATA_ON_PARTITIONED:
                continue
            yield self._finding(context, table, command)

    def _finding(self, context: RuleContext, table: str, command: ast.AlterTableCmd) -> Finding:
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        what = _WHAT[required(command.subtype, "AlterTableCmd.subtype")].format(
            name=common.quote(command.name or "")
        )
        message = (
            f"ALTER TABLE {table} {what}, rebuilding its indexes, while holding {lock}: reads and writes "
            f"wait until the copy ends{context.size_note()}"
        )
        fix = (
            "there is no online form: copy the data into a new table created with the wanted setting, "
            "kept current by logical replication or triggers (or use a pg_repack-style tool"
        )
        fix += ", e.g. pg_repack --tablespace" if command.subtype == AlterTableType.AT_SetTableSpace else ""
        fix += "), then swap the names in one short transaction; or schedule a maintenance window"
        if command.subtype == AlterTableType.AT_SetLogged:
            fix += " and expect WAL and replication lag the size of the table"
        return self.finding(context.scaled(Severity.ERROR), message, fix)
