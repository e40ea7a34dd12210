"""require-concurrent-reindex: rebuild indexes of live tables with REINDEX CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ReindexObjectType

from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules.base import Rule, RuleContext

_KINDS = {
    ReindexObjectType.REINDEX_OBJECT_INDEX: "INDEX",
    ReindexObjectType.REINDEX_OBJECT_TABLE: "TABLE",
    ReindexObjectType.REINDEX_OBJECT_SCHEMA: "SCHEMA",
    ReindexObjectType.REINDEX_OBJECT_DATABASE: "DATABASE",
}


class RequireConcurrentReindex(Rule):
    """A plain REINDEX blocks writes to the table and locks its indexes exclusively for the whole rebuild.

    Anti-pattern: ``REINDEX INDEX posts_created_idx;`` — ShareLock on posts stops every INSERT, UPDATE and
    DELETE, and AccessExclusiveLock on the index stalls every query whose planning looks at it, for as
    long as the rebuild takes. Best practice: ``REINDEX ... CONCURRENTLY`` (PostgreSQL 12+, outside a
    transaction block); on older servers build a replacement with CREATE INDEX CONCURRENTLY, then drop the
    old index concurrently.
    """

    id = "require-concurrent-reindex"
    summary = "REINDEX on an existing table must use CONCURRENTLY."
    bad = "REINDEX INDEX posts_created_idx;"
    good = "REINDEX INDEX CONCURRENTLY posts_created_idx;"

    def check(self, context: RuleContext) -> Iterable[Finding]:
        node = context.node
        if not isinstance(node, ast.ReindexStmt) or node.kind not in _KINDS:
            return
        if any(option.defname == "concurrently" for option in node.params or ()):
            return
        kind = _KINDS[node.kind]
        if node.relation is not None:
            if not context.target_exists:
                return
            subject = node.relation.relname
            table = context.target
            severity = context.scaled(Severity.ERROR)
        else:
            subject = node.name or "(current database)"
            table = f"every table of {kind.lower()} {subject}"
            severity = Severity.ERROR
        message = (
            f"REINDEX {kind} {subject} holds ShareLock on {table} (writes wait) and AccessExclusiveLock "
            "on the indexes it rebuilds (queries planned against them wait) for the whole rebuild"
            f"{context.size_note()}"
        )
        if context.pg_version >= 12:
            fix = (
                f"REINDEX {kind} CONCURRENTLY {subject}, outside a transaction block; if it fails, drop "
                "the leftover *_ccnew INVALID index and retry"
            )
        else:
            fix = (
                f"PostgreSQL {context.pg_version} has no REINDEX CONCURRENTLY: CREATE INDEX CONCURRENTLY a "
                "replacement with the same definition, then DROP INDEX CONCURRENTLY the old one (and "
                "rename the new one); constraint indexes need ADD CONSTRAINT ... USING INDEX"
            )
        yield self.finding(severity, message, fix)
