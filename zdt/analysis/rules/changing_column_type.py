"""changing-column-type: ALTER COLUMN ... TYPE rewrites the table unless the old values fit as they are."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType

from zdt.analysis import types
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.analysis.model import Finding, Severity
from zdt.analysis.rules import _common as common
from zdt.analysis.rules.base import Rule, RuleContext

_ZONED = frozenset({"timestamp without time zone", "timestamp with time zone"})


class ChangingColumnType(Rule):
    """Changing a column's type rewrites the table and rebuilds its indexes, unless no value changes.

    Anti-pattern: ``ALTER TABLE posts ALTER COLUMN author_id TYPE bigint;`` rewrites posts under
    AccessExclusiveLock: no reads, no writes until every row and index is rebuilt. Changes that keep the
    stored bytes (varchar(50) -> varchar(100) or text, numeric precision increases, timestamp ->
    timestamptz with TimeZone UTC on PostgreSQL 12+) skip the rewrite but still take the lock briefly,
    and clients holding server-side prepared statements that return the column can fail with "cached plan
    must not change result type" until they reconnect. Best practice for a rewriting change:
    expand/contract — add a new column, keep it in sync with a trigger, backfill it in batches, switch the
    application over, drop the old column later.
    """

    id = "changing-column-type"
    summary = "ALTER COLUMN ... TYPE rewrites the table unless the change is binary-compatible."
    bad = "ALTER TABLE posts ALTER COLUMN author_id TYPE bigint;"
    good = (
        "ALTER TABLE posts ADD COLUMN author_id_new bigint;\n"
        "-- plus a trigger copying author_id into author_id_new on INSERT and UPDATE, then:\n"
        "UPDATE posts SET author_id_new = author_id WHERE id BETWEEN 1 AND 1000;"
    )

    def check(self, context: RuleContext) -> Iterable[Finding]:
        if not context.target_exists:
            return
        table = context.target
        assert table is not None
        for command in common.alter_commands(context, AlterTableType.AT_AlterColumnType):
            definition = command.def_
            if not isinstance(definition, ast.ColumnDef) or definition.typeName is None:
                continue
            new = types.from_type_name(definition.typeName)
            column = required(command.name, "ALTER COLUMN TYPE's AlterTableCmd.name")
            old = _catalog_type(context, table, column)
            if context.effect.rewrites_table:
                yield self._rewrite(context, table, column, old, new)
            else:
                yield self._metadata_only(context, table, column, old, new)

    def _rewrite(
        self,
        context: RuleContext,
        table: str,
        column: str,
        old: types.ColumnType | None,
        new: types.ColumnType,
    ) -> Finding:
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        change = f"{old} -> {new}" if old else f"to {new}"
        message = (
            f"ALTER COLUMN TYPE on {common.column_name(table, column)} ({change}) rewrites every row of "
            f"{table} and rebuilds its indexes while holding {lock}: reads and writes wait until it "
            f"finishes{context.size_note()}"
        )
        message += "".join(f"; {note}" for note in context.effect.notes)
        col = common.quote(column)
        staged = common.quote(f"{column}_new")
        fix = (
            f"expand/contract: ALTER TABLE {table} ADD COLUMN {staged} {new}; a trigger that sets "
            f"NEW.{staged} from NEW.{col} on INSERT and UPDATE; backfill {staged} in batches; build its "
            f"indexes CONCURRENTLY (and its NOT NULL through a validated CHECK); switch the application to "
            f"{staged} (do not swap the names: clients holding prepared statements would fail with "
            f"'cached plan must not change result type'); drop {col} in a later release"
        )
        if old and _timezone_blocks_a_free_change(context, old, new):
            fix = (
                f"run SET TimeZone = 'UTC'; in the same session first: from PostgreSQL 12, {old} -> {new} "
                "is then a catalog-only change (values are read as UTC). Otherwise, " + fix
            )
        return self.finding(context.scaled(Severity.ERROR), message, fix)

    def _metadata_only(
        self,
        context: RuleContext,
        table: str,
        column: str,
        old: types.ColumnType | None,
        new: types.ColumnType,
    ) -> Finding:
        lock = context.effect.locks.get(table, LockMode.ACCESS_EXCLUSIVE)
        change = f"{old} -> {new}" if old else f"to {new}"
        message = (
            f"ALTER COLUMN TYPE on {common.column_name(table, column)} ({change}) keeps the stored values: "
            f"no rewrite, but it still takes {lock} on {table} briefly, and clients with server-side "
            f"prepared statements that return {common.quote(column)} may fail with 'cached plan must not "
            "change result type' until they reconnect"
        )
        fix = (
            "run it under a short lock_timeout with retries, and make clients that prepare statements on "
            f"{table} re-prepare (reconnect, or DEALLOCATE ALL / DISCARD ALL in pooled sessions) after it"
        )
        return self.finding(Severity.INFO, message, fix)


def _catalog_type(context: RuleContext, table: str, column: str) -> types.ColumnType | None:
    """The column's type before this statement (the effect already recorded the new one in the state)."""
    info = context.state.table(table)
    if info is None or column not in info.columns:
        return None
    return types.parse_formatted(info.columns[column].type)


def _timezone_blocks_a_free_change(
    context: RuleContext, old: types.ColumnType, new: types.ColumnType
) -> bool:
    """timestamp <-> timestamptz rewrote only because the session TimeZone is not UTC."""
    if context.pg_version < 12 or old.base not in _ZONED or new.base not in _ZONED or old.base == new.base:
        return False
    same_precision = old.modifiers == new.modifiers or not new.modifiers
    return same_precision and not types.is_utc(context.state.session_timezone)
