"""enum-add-value-in-transaction: ALTER TYPE ... ADD VALUE inside BEGIN ... COMMIT."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class EnumAddValueInTransaction(Rule):
    """A new enum value added in a transaction block fails before PostgreSQL 12, and is unusable until COMMIT.

    Anti-pattern: ``BEGIN; ALTER TYPE mood ADD VALUE 'calm'; UPDATE ... SET mood = 'calm'; COMMIT;`` —
    before PostgreSQL 12 the ALTER TYPE itself is rejected inside a transaction block; from 12 on it
    runs, but using the new value before COMMIT fails with "unsafe use of new value". Best practice: add
    enum values in their own autocommit statement, before the migration that uses them.
    """

    id = "enum-add-value-in-transaction"
    summary = "Add enum values outside transaction blocks, before the statements that use them."
    bad = "BEGIN;\nALTER TYPE mood ADD VALUE 'calm';\nCOMMIT;"
    good = "ALTER TYPE mood ADD VALUE 'calm';"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.AlterEnumStmt) or node.newVal is None or node.oldVal is not None:
            return
        if not context.state.in_transaction:
            return
        enum = names.of_name_list(required(node.typeName, "AlterEnumStmt.typeName"))
        fix = f"run ALTER TYPE {enum} ADD VALUE '{node.newVal}' on its own, outside BEGIN ... COMMIT"
        if context.pg_version < 12:
            yield self.finding(
                Severity.ERROR,
                f"ALTER TYPE {enum} ADD VALUE '{node.newVal}' cannot run inside a transaction block on "
                f"PostgreSQL {context.pg_version}: the migration fails",
                fix,
            )
            return
        yield self.finding(
            Severity.INFO,
            f"'{node.newVal}' is added to {enum} inside a transaction block: it cannot be used (inserted, "
            "compared, cast to) until this transaction commits, or the statement fails with "
            "'unsafe use of new value'",
            fix + ", committed before any statement that uses the new value",
        )
