"""ban-truncate: TRUNCATE empties a live table under AccessExclusiveLock, and CASCADE empties others too."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import DropBehavior

from zdt.analysis import names
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class BanTruncate(Rule):
    """TRUNCATE removes every row at once under AccessExclusiveLock and is not MVCC-safe.

    Anti-pattern: ``TRUNCATE posts;`` on a table the application uses — reads and writes queue behind
    the lock, transactions with an older snapshot see the table empty, the data is gone for good, and
    ``TRUNCATE ... CASCADE`` silently empties every table that references it by foreign key. Best
    practice: delete in batches by primary-key range in short transactions; truncate only a table no
    running code uses any more, naming each table explicitly.
    """

    id = "ban-truncate"
    summary = "Do not TRUNCATE a table the application uses; never with CASCADE."
    bad = "TRUNCATE posts;"
    good = "DELETE FROM posts WHERE id >= 1 AND id < 10001;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.TruncateStmt):
            return
        named = [names.of_range_var(relation) for relation in node.relations or ()]
        existing = [table for table in named if context.is_existing(table)]
        if not existing:
            return
        listed = ", ".join(existing)
        message = (
            f"TRUNCATE {listed} takes AccessExclusiveLock and removes every row at once: queries on "
            f"{listed} wait for it, transactions with an older snapshot then see it empty, and the data "
            "cannot be recovered without a backup"
        )
        severity = Severity.WARNING
        if node.behavior == DropBehavior.DROP_CASCADE:
            severity = Severity.ERROR
            cascaded = [relation for relation in context.effect.locks if relation not in named]
            if cascaded:
                message += f"; CASCADE also empties {', '.join(cascaded)}"
            else:
                message += (
                    "; CASCADE also empties every table referencing it by foreign key "
                    "(which ones is unknown without a database connection)"
                )
        yield self.finding(
            severity,
            message,
            "DELETE in batches by primary-key range (e.g. 10,000 rows per short transaction); TRUNCATE "
            "only a table no running code uses, naming every table explicitly instead of CASCADE",
        )
