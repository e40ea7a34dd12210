"""ban-create-domain-with-constraint: CHECK constraints on domains are hard to change later."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ConstrType

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


class BanCreateDomainWithConstraint(Rule):
    """A domain's CHECK applies to every column of that type, and changing it later cannot be done online.

    Anti-pattern: ``CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');`` — harmless today, but
    tightening the rule later means ALTER DOMAIN ADD CONSTRAINT, which validates every column of the
    domain in every table under ShareLock (VALIDATE included), and ALTER TABLE ... TYPE away from the
    domain rewrites tables. Best practice: a domain without constraints (or the base type), with the
    CHECK on each table, where NOT VALID + VALIDATE CONSTRAINT changes it without blocking writes.
    """

    id = "ban-create-domain-with-constraint"
    summary = "Put CHECK constraints on tables, not on domains."
    bad = "CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');"
    good = """CREATE DOMAIN email_address AS text;
ALTER TABLE users ADD CONSTRAINT users_email_has_at CHECK (email LIKE '%@%') NOT VALID;"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.CreateDomainStmt):
            return
        checks = [c for c in node.constraints or () if c.contype == ConstrType.CONSTR_CHECK]
        if not checks:
            return
        domain = names.of_name_list(required(node.domainname, "CreateDomainStmt.domainname"))
        yield self.finding(
            Severity.WARNING,
            f"domain {domain} carries a CHECK constraint: every column of type {domain} shares it, and "
            "changing it later means ALTER DOMAIN ADD CONSTRAINT, which validates every such column in "
            "every table while blocking their writes",
            f"create {domain} without CHECK (or use the base type) and put the CHECK on each table "
            "column (ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT), which can be changed "
            "online",
        )
