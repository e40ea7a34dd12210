"""ban-vacuum-full: VACUUM FULL rewrites a table under AccessExclusiveLock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from zdt.analysis import names
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext

_FALSE = {"false", "off", "no", "0"}


def _is_full(node: ast.VacuumStmt) -> bool:
    for option in node.options or ():
        if option.defname != "full":
            continue
        if option.arg is None:
            return True
        value = option.arg.sval if isinstance(option.arg, ast.String) else getattr(option.arg, "ival", 1)
        return str(value).lower() not in _FALSE
    return False


class BanVacuumFull(Rule):
    """VACUUM FULL copies the whole table and rebuilds its indexes under AccessExclusiveLock.

    Anti-pattern: ``VACUUM FULL posts;`` to reclaim bloat — no query, not even a SELECT, can touch posts
    until the copy is done, and it needs free disk for a second copy of the table. Best practice: plain
    VACUUM (which makes the space reusable without blocking anyone), or an online rebuild in the style of
    pg_repack when the space must go back to the operating system.
    """

    id = "ban-vacuum-full"
    summary = "Do not VACUUM FULL a table the application uses."
    bad = "VACUUM FULL posts;"
    good = "VACUUM (ANALYZE) posts;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.VacuumStmt) or not node.is_vacuumcmd or not _is_full(node):
            return
        tables = [names.of_range_var(relation.relation) for relation in node.rels or ()]
        if tables:
            existing = [table for table in tables if context.is_existing(table)]
            if not existing:
                return
            subject = ", ".join(existing)
            severity = context.scaled(Severity.ERROR) if len(tables) == 1 else Severity.ERROR
        else:
            subject = "every table of the database, one after another"
            severity = Severity.ERROR
        yield self.finding(
            severity,
            f"VACUUM FULL rewrites {subject} under AccessExclusiveLock: every query on it, reads "
            f"included, waits until the copy and its index rebuilds finish{context.size_note()}",
            "plain VACUUM (ANALYZE) makes dead space reusable without blocking anyone; to return the "
            "space to the operating system, rebuild online in the style of pg_repack",
        )
