"""Keeping the old values of a batched UPDATE of existing columns, so that the UPDATE can be undone.

An UPDATE overwrites the only copy of the values it replaces: without one, undoing it is impossible,
and the plan gate refuses an irreversible step before contract. This keeps the copy, in zdt's own
schema (which the schema fingerprint, the application's ORM and ``public`` never see):

expand:   ``CREATE TABLE zdt.old_<table>_<hash> (<key> PRIMARY KEY, <assigned columns>)``, empty, with
          the key's and the columns' own types; undone by dropping it.
migrate:  each batch first copies the key and the assigned columns of the rows it changes into it
          (``Backfill.keep_old``; ``ON CONFLICT DO NOTHING``, so a retried batch keeps the original
          value), in the batch's own transaction; undone by writing them back by key. Rows the
          application changed since get the old value back too: undoing a data migration means the
          values before it.
contract: the table is dropped, which makes the UPDATE final (irreversible from there, and said so).

The copy costs the key and the assigned columns of every changed row, written once: the price of a
data migration that can be rolled back.
"""

from __future__ import annotations

import hashlib
import re

from zdt.analysis.names import derived_name
from zdt.plan.model import KeptValues, LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, column, ident, literal, render, split_name

SCHEMA = "zdt"
_UNSAFE = re.compile(r"[^a-z0-9_]+")


def kept_values_table(table: str, statement_sql: str, position: str) -> str:
    """``zdt.old_<table>_<hash of table, statement and its position>``: plain lowercase (the executor
    and the gate split it at its dot), distinct for each UPDATE (two identical UPDATEs of one file
    too: ``position`` is the statement's step prefix), the same for the same plan."""
    _, relname = split_name(table)
    digest = hashlib.sha256(f"{table}\n{position}\n{statement_sql}".encode()).hexdigest()[:8]
    readable = _UNSAFE.sub("_", relname.lower()).strip("_")[:40] or "table"
    return f"{SCHEMA}.{derived_name(f'old_{readable}_{digest}')}"


def keep_old_values(context: PlanningContext, table: str, key: str, columns: list[str]) -> KeptValues | None:
    """Where the UPDATE of ``columns`` keeps their old values; None when a column's type is unknown
    (the table could not hold them faithfully, and the UPDATE stays irreversible)."""
    types = [context.state.column_type(table, name) for name in [key, *columns]]
    if any(type_ is None for type_ in types):
        return None
    return KeptValues(table=kept_values_table(table, context.statement.sql, context.prefix), columns=columns)


def create_step(context: PlanningContext, table: str, key: str, kept: KeptValues) -> Step:
    """The empty table of old values, created in expand (no lock on any application table)."""
    definitions = ", ".join(
        render("{c} ", c=column(name))
        + _type_of(context, table, name)
        + (" PRIMARY KEY" if name == key else "")
        for name in [key, *kept.columns]
    )
    return context.step(
        "keep-old-values",
        phase=Phase.EXPAND,
        description=(
            f"create {kept.table}, where the UPDATE of {table} keeps the old values of "
            f"{', '.join(kept.columns)} by {key}, so that it can be undone"
        ),
        sql=[render("CREATE TABLE {t} (", t=ident(kept.table)) + definitions + ")"],
        verify=Verification(
            sql=render("SELECT to_regclass({t}) IS NOT NULL", t=literal(kept.table)),
            description=f"{kept.table} exists",
        ),
        rollback=Rollback(sql=[render("DROP TABLE {t}", t=ident(kept.table))]),
        lock_duration=LockDuration.NONE,
        recipe="batched-update",
    )


def restore_rollback(table: str, key: str, kept: KeptValues) -> Rollback:
    """The UPDATE's undo: every kept row gets its old values back, by key."""
    assignments = ", ".join(render("{c} = kept.{c}", c=column(name)) for name in kept.columns)
    return Rollback(
        sql=[
            render("UPDATE {t} SET ", t=ident(table))
            + assignments
            + render(
                " FROM {k} AS kept WHERE {t}.{key} = kept.{key}",
                k=ident(kept.table),
                t=ident(table),
                key=column(key),
            )
        ]
    )


def drop_step(context: PlanningContext, table: str, kept: KeptValues) -> Step:
    """Contract drops the kept values: from here the UPDATE is final."""
    return context.step(
        "drop-old-values",
        phase=Phase.CONTRACT,
        description=f"drop {kept.table}: the UPDATE of {table} is final from here",
        sql=[render("DROP TABLE {t}", t=ident(kept.table))],
        verify=Verification(
            sql=render("SELECT to_regclass({t}) IS NULL", t=literal(kept.table)),
            description=f"{kept.table} is gone",
        ),
        rollback=Rollback(
            irreversible=(
                f"the old values of {table}.{', '.join(kept.columns)} kept for the rollback are dropped: "
                "undoing the UPDATE after this means restoring them from a backup"
            )
        ),
        lock_duration=LockDuration.NONE,
        recipe="batched-update",
    )


def _type_of(context: PlanningContext, table: str, name: str) -> str:
    type_ = context.state.column_type(table, name)
    assert type_ is not None, "keep_old_values checked every type"
    return type_
