"""dropping-column: a column drop belongs in the contract phase, after the application stopped using it."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType, DropBehavior, ObjectType

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext

_TABLE_KINDS = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_FOREIGN_TABLE)


class DroppingColumn(Rule):
    """Dropping a column breaks the code still reading or writing it, and cannot be rolled back.

    Anti-pattern: ``ALTER TABLE posts DROP COLUMN body;`` in the same release that stops using ``body`` —
    the instances still running the previous release fail on every query naming it (and ORMs that list
    every mapped column fail on every query of the table). Best practice: drop it in the contract phase,
    in a migration after the release that stopped using the column is fully deployed; keep a copy of the
    data if a rollback must stay possible, since the column's data is gone once the DROP commits.
    """

    id = "dropping-column"
    summary = "Drop a column only in the contract phase, after no running code uses it."
    bad = "ALTER TABLE posts DROP COLUMN body;"
    good = """-- Contract phase: release 42 stopped reading and writing posts.body and is fully deployed.
-- zdt-ignore: dropping-column -- no running code uses posts.body since release 42
ALTER TABLE posts DROP COLUMN body;"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.AlterTableStmt) or node.objtype not in _TABLE_KINDS:
            return
        if not context.target_exists:
            return
        table = context.target
        info = context.state.table(table) if table else None
        views = info.dependent_views if info else []
        for command in node.cmds or ():
            if command.subtype != AlterTableType.AT_DropColumn:
                continue
            column = command.name
            message = (
                f"dropping column {table}.{column}: running code that still reads or writes {column} "
                f"fails (and ORMs that select every mapped column fail on every query of {table}); its "
                "data is gone at COMMIT, so rolling back means restoring it from a backup"
            )
            if views:
                listed = ", ".join(views)
                if command.behavior == DropBehavior.DROP_CASCADE:
                    message += f"; CASCADE also drops every view of {listed} that uses {column}"
                else:
                    message += f"; views depend on {table} ({listed}): the DROP fails if one uses {column}"
            yield self.finding(
                Severity.WARNING,
                message,
                f"contract phase: first deploy a release that no longer uses {table}.{column} (for ORMs, "
                "mark it ignored), then drop it in a later migration; copy the data out first (e.g. "
                f"CREATE TABLE ... AS SELECT the key and {column}) if rollback must stay possible",
            )
