"""dropping-table: a table drop belongs in the contract phase, after the application stopped using it."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from zdt.analysis import names
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext

_TABLE_KINDS = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_FOREIGN_TABLE)


class DroppingTable(Rule):
    """Dropping a table breaks the code still using it, cannot be rolled back, and locks its neighbours.

    Anti-pattern: ``DROP TABLE users;`` in the release that stops using ``users`` — the instances still
    running the previous release fail on every query of it, and the DROP takes AccessExclusiveLock not
    only on the table but on every table it references by foreign key (their FK triggers go with it).
    Best practice: drop it in the contract phase, once no running code uses it (revoking the application
    role's privileges first shows stragglers without losing data), under a lock_timeout.
    """

    id = "dropping-table"
    summary = "Drop a table only in the contract phase, after no running code uses it."
    bad = "DROP TABLE users;"
    good = """-- Contract phase: release 42 stopped using users and is fully deployed.
-- zdt-ignore: dropping-table -- no running code uses users since release 42
DROP TABLE users;"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.DropStmt) or node.removeType not in _TABLE_KINDS:
            return
        effect = context.effect
        dropped = [names.of_name_list(object_names) for object_names in node.objects or ()]
        cascade = node.behavior == DropBehavior.DROP_CASCADE
        for table in dropped:
            if not context.is_existing(table):
                continue
            message = (
                f"dropping table {table}: running code that still reads or writes it fails, and its "
                "data is gone at COMMIT, so rolling back means restoring it from a backup"
            )
            info = context.state.table(table)
            referencing = [t for t in (info.referenced_by if info else []) if t not in dropped]
            if referencing:
                listed = ", ".join(referencing)
                if cascade:
                    message += f"; CASCADE drops the foreign keys of {listed} that reference it"
                else:
                    message += f"; {listed} reference it by foreign key: the DROP fails without CASCADE"
            if info and info.dependent_views:
                message += f"; views depend on it ({', '.join(info.dependent_views)})"
            others = [
                f"{relation} ({mode})"
                for relation, mode in effect.locks.items()
                if relation not in dropped and context.is_existing(relation)
            ]
            if others:
                message += (
                    f"; it also locks {', '.join(others)}, blocking their traffic while it waits and runs"
                )
            yield self.finding(
                Severity.WARNING,
                message,
                f"contract phase: first deploy a release that no longer uses {table} (revoking the "
                "application role's privileges on it for a while shows stragglers without losing data), "
                "then drop it in a later migration with lock_timeout set; dump it first if rollback "
                "must stay possible",
            )
