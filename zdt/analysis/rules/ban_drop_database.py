"""ban-drop-database: a migration never drops a database."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class BanDropDatabase(Rule):
    """DROP DATABASE deletes every table, row and object of a database at once, with no way back.

    Anti-pattern: ``DROP DATABASE legacy_reports;`` in a migration — run against the wrong environment
    or too early, it destroys data that only a backup restore brings back, and it fails anyway while any
    session is connected. Best practice: retire a database by hand, outside migrations: revoke CONNECT,
    check pg_stat_activity until nothing uses it, take a final dump, then drop it.
    """

    id = "ban-drop-database"
    summary = "Never drop a database from a migration."
    bad = "DROP DATABASE IF EXISTS legacy_reports;"
    good = """-- Retire legacy_reports by hand, outside migrations, once nothing connects to it:
SELECT count(*) AS sessions FROM pg_stat_activity WHERE datname = 'legacy_reports';"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.DropdbStmt):
            return
        yield self.finding(
            Severity.ERROR,
            f"DROP DATABASE {node.dbname} destroys every object and row in it irreversibly; it does not "
            "belong in a migration",
            f"retire {node.dbname} by hand: REVOKE CONNECT ON DATABASE {node.dbname} FROM PUBLIC, watch "
            "pg_stat_activity until nothing uses it, take a final pg_dump, then drop it outside the "
            "migration tool",
        )
