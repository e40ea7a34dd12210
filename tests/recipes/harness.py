"""A minimal step runner for recipe tests, until they run through the real executor.

It runs each step's SQL (backfills as one keyset loop), checks the verification, and undoes steps in
reverse order. It has none of the executor's safety (no retries, no state table): recipe tests use it
to prove what the steps do to a real database, not how they are run.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from zdt.plan.model import MigrationPlan, Phase, Step


def run_step(url: str, step: Step) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        if step.backfill is not None:
            _backfill(conn, step)
        elif step.transactional:
            with conn.transaction():
                for statement in step.sql:
                    conn.execute(statement)
        else:
            for statement in step.sql:
                conn.execute(statement)
        value = conn.execute(step.verify.sql).fetchone()[0]
    assert value == step.verify.expect, (
        f"verification of {step.id} failed: {value!r} != {step.verify.expect!r}"
    )


def _backfill(conn: psycopg.Connection, step: Step) -> None:
    backfill = step.backfill
    assert backfill is not None
    table = sql.Identifier(*backfill.table.split("."))
    key = sql.Identifier(backfill.key_column)
    where = sql.SQL(f" AND ({backfill.where_sql})") if backfill.where_sql else sql.SQL("")
    high = conn.execute(sql.SQL("SELECT max({k}) FROM {t}").format(k=key, t=table)).fetchone()[0]
    low = conn.execute(sql.SQL("SELECT min({k}) - 1 FROM {t}").format(k=key, t=table)).fetchone()[0]
    while high is not None and low < high:
        upper = low + backfill.batch_size
        conn.execute(
            sql.SQL("UPDATE {t} SET " + backfill.set_sql + " WHERE {k} > %s AND {k} <= %s").format(
                t=table, k=key
            )
            + where,
            (low, upper),
        )
        low = upper


def apply(url: str, plan: MigrationPlan, phases: tuple[Phase, ...] = tuple(Phase)) -> list[Step]:
    done = []
    for step in plan.steps:
        if step.phase in phases:
            run_step(url, step)
            done.append(step)
    return done


def rollback(url: str, steps: list[Step]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for step in reversed(steps):
            if step.rollback.irreversible:
                raise AssertionError(f"{step.id} is irreversible: {step.rollback.irreversible}")
            if step.rollback.transactional:
                with conn.transaction():
                    for statement in step.rollback.sql:
                        conn.execute(statement)
            else:
                for statement in step.rollback.sql:
                    conn.execute(statement)
