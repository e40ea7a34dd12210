"""renaming-column: renaming a column breaks the application code that is running."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis import names
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class RenamingColumn(Rule):
    """Renaming a column breaks every deployed query, prepared statement and ORM mapping using the old name.

    Anti-pattern: ``ALTER TABLE users RENAME COLUMN name TO full_name;`` — the release still running when
    the migration commits keeps sending ``name`` and gets "column does not exist" until every instance is
    replaced, and rolling the code back no longer works either. Best practice: expand/contract — add the
    new column, keep it in sync with a trigger, backfill it in batches, move the application to it, and
    drop the old column in a later release (or expose the new name through a view).
    """

    id = "renaming-column"
    summary = "Do not rename a column of an existing table: running code still uses the old name."
    bad = "ALTER TABLE users RENAME COLUMN name TO full_name;"
    good = """ALTER TABLE users ADD COLUMN full_name varchar(50);
CREATE FUNCTION users_copy_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.full_name := NEW.name;
    RETURN NEW;
END $$;
CREATE TRIGGER users_copy_name BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_copy_name();
-- then: backfill full_name in batches, deploy code using full_name, drop name in a later release"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.RenameStmt) or node.renameType != ObjectType.OBJECT_COLUMN:
            return
        if node.relation is None:
            return
        table = names.of_range_var(node.relation)
        if not context.is_existing(table):
            return
        old, new = node.subname, node.newname
        yield self.finding(
            Severity.ERROR,
            f"renaming column {table}.{old} to {new} breaks the application code that is running: every "
            f"query naming {old} fails with 'column does not exist' until all of it is redeployed, and "
            "the previous release can no longer be rolled back to",
            f"expand/contract: ADD COLUMN {new}; a trigger copying {old} into {new} on INSERT/UPDATE; "
            f"backfill {new} in batches; deploy code that uses {new}; drop {old} in a later migration "
            f"(or keep the old name readable through a view over {table})",
        )
