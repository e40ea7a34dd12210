"""ban-alter-domain-add-constraint: a validated domain constraint checks every column of the domain."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ConstrType

from zdt.analysis import names
from zdt.analysis.fields import node_of, required
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext


def domain_users(context: RuleContext, domain: str) -> list[str]:
    """Columns (table.column) whose type is ``domain``, as far as the snapshot shows."""
    snapshot = context.state.snapshot
    if snapshot is None:
        return []
    short = domain.split(".", 1)[1].strip('"')
    spellings = {domain, short, f"{domain}[]", f"{short}[]"}
    return [
        f"{table.name}.{column.name}"
        for table in snapshot.tables.values()
        if table.kind in ("r", "p", "m", "f")
        for column in table.columns.values()
        if column.base_type in spellings
    ]


class BanAlterDomainAddConstraint(Rule):
    """A validated domain constraint checks every column of the domain, in every table, under lock.

    Anti-pattern: ``ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');`` —
    PostgreSQL scans every table with a column of the domain holding ShareLock on each, so writes to all
    of them wait for the whole validation (SET NOT NULL on a domain does the same). Best practice: add it
    ``NOT VALID`` (instant; new values are checked from then on) and run ``VALIDATE CONSTRAINT`` separately,
    in a quiet window: on domains, unlike tables, validation still holds ShareLock while it scans.
    """

    id = "ban-alter-domain-add-constraint"
    summary = "Add domain constraints NOT VALID; validate them separately, in a quiet window."
    bad = """CREATE DOMAIN email_address AS text;
ALTER TABLE users ADD COLUMN contact email_address;
ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');"""
    good = """CREATE DOMAIN email_address AS text;
ALTER TABLE users ADD COLUMN contact email_address;
ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;"""

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.AlterDomainStmt):
            return
        domain = names.of_name_list(required(node.typeName, "AlterDomainStmt.typeName"))
        if node.subtype == "C" and node.def_ is not None:
            constraint = node_of(node.def_, ast.Constraint, "ALTER DOMAIN ADD CONSTRAINT's def_")
            if constraint.skip_validation:
                return
            if constraint.contype not in (ConstrType.CONSTR_CHECK, ConstrType.CONSTR_NOTNULL):
                return
            what = f"ADD CONSTRAINT {constraint.conname}" if constraint.conname else "ADD CONSTRAINT"
            not_null = constraint.contype == ConstrType.CONSTR_NOTNULL
        elif node.subtype == "O":
            what, not_null = "SET NOT NULL", True
        else:
            return
        # NOT NULL cannot be added NOT VALID to a domain: the equivalent CHECK can.
        check = "CHECK (VALUE IS NOT NULL)" if not_null else "CHECK (...)"
        users = domain_users(context, domain)
        where = f" ({', '.join(users)})" if users else ""
        yield self.finding(
            Severity.ERROR,
            f"ALTER DOMAIN {domain} {what} checks every stored value of every column of type {domain}"
            f"{where}, holding ShareLock on each of their tables: writes to all of them wait until the "
            "whole validation finishes",
            f"ALTER DOMAIN {domain} ADD CONSTRAINT ... {check} NOT VALID (instant; new values are "
            f"checked), then ALTER DOMAIN {domain} VALIDATE CONSTRAINT ... in a quiet window — on a "
            "domain it still holds ShareLock while it scans — or put NOT VALID + VALIDATE CHECK "
            "constraints on the tables instead, which validate under ShareUpdateExclusiveLock",
        )
