"""renaming-table: renaming a table (or moving it to another schema) breaks running code."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext

_KINDS = {
    ObjectType.OBJECT_TABLE: "table",
    ObjectType.OBJECT_FOREIGN_TABLE: "foreign table",
    ObjectType.OBJECT_VIEW: "view",
    ObjectType.OBJECT_MATVIEW: "materialized view",
}


class RenamingTable(Rule):
    """Renaming a table breaks every deployed query that names it, at the moment the migration commits.

    Anti-pattern: ``ALTER TABLE posts RENAME TO articles;`` — the release still running keeps querying
    ``posts`` and gets "relation does not exist" until every instance runs the new code; the same goes for
    ``ALTER TABLE ... SET SCHEMA``. Best practice: during the transition make both names work — create the
    new name as an updatable view (``CREATE VIEW articles AS SELECT * FROM posts``), move the application
    to it, then swap in one short transaction; or expand/contract into a new table.
    """

    id = "renaming-table"
    summary = "Do not rename an existing table: running code still uses the old name."
    bad = "ALTER TABLE posts RENAME TO articles;"
    good = "CREATE VIEW articles AS SELECT * FROM posts;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if isinstance(node, ast.RenameStmt) and node.renameType in _KINDS and node.relation is not None:
            kind = _KINDS[node.renameType]
            old = names.of_range_var(node.relation)
            new = names.qualified(node.relation.schemaname, required(node.newname, "RenameStmt.newname"))
        elif (
            isinstance(node, ast.AlterObjectSchemaStmt)
            and node.objectType in _KINDS
            and node.relation is not None
        ):
            kind = _KINDS[node.objectType]
            old = names.of_range_var(node.relation)
            new = names.qualified(node.newschema, required(node.relation.relname, "RangeVar.relname"))
        else:
            return
        if not context.is_existing(old):
            return
        info = context.state.table(old)
        if info is not None and info.kind in ("v", "m"):
            kind = "view" if info.kind == "v" else "materialized view"
        yield self.finding(
            Severity.ERROR,
            f"renaming {kind} {old} to {new} breaks the application code that is running: every query "
            f"naming {old} fails with 'relation does not exist' until all of it is redeployed",
            f"keep both names working during the transition: CREATE VIEW {new} AS SELECT * FROM {old} "
            "(a simple view is updatable), move the application to the new name, then in one short "
            f"transaction drop the view and rename {old} (ignoring this rule there with "
            f"'-- zdt-ignore: {self.id}'); or expand/contract into a new table",
        )
