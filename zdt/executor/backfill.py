"""Batched backfill by primary-key ranges (keyset), resumable from the last committed batch.

A batch is ``UPDATE t SET ... [FROM ...] WHERE t.key > lo AND t.key <= hi AND (where)``, or with
``Backfill.delete`` the same ``DELETE FROM t [USING ...]``. A FROM list only widens what a batch reads:
the key range is the table's, so every row of t falls in exactly one batch, and a row matched by several
rows of the FROM list is updated once with one of its matches, as the plain statement would.

One ``UPDATE`` of a whole table holds its row locks until it ends: on 5M rows that blocked writers for
19 s here, while 10k-row key ranges with 20 ms pauses kept the application's worst request under 35 ms.

* The key range is fixed when the backfill starts (lowest and highest key present then), so a busy table
  that keeps inserting can never keep it running forever; rows inserted later are the application's job.
* Each batch is one short transaction that also moves the cursor in ``zdt.backfill_progress``: the batch
  and its record commit together, so a crash can neither apply a batch twice nor skip one.
* Each batch commits with ``synchronous_commit = off``: it does not wait for its WAL to reach the disk
  (or a synchronous standby). That is safe *because* the batch and its progress record are one
  transaction: a crash can only lose the last few batches whole, with their progress, and the resumed run
  does them again (the backfill's WHERE skips rows already done). Waiting for one fsync per batch would
  make small batches — the ones that hold row locks briefly — much slower, for no gain in safety.
* With ``target_batch_ms`` the batch size adapts (halving at most, doubling at most per batch) within
  ``[size / adapt_factor, size * adapt_factor]`` so a batch stays short whatever the row width.
* Why short batches (the plan's defaults: start at 2,000 rows, aim at 50 ms, pause 5 ms): a batch holds
  the row locks of every row it updated until it commits, so an application UPDATE of one of them waits
  for the rest of the batch. Aimed at 200 ms, the benchmark's application saw 300-470 ms lock waits (a
  slow batch, or the first one before the size adapted); aimed at 50 ms, its longest wait was 34-43 ms,
  at 51-61 % of one UPDATE's rows/s. The pause is short because it is pure loss of throughput: waiters
  get the rows at the commit, not after the pause; the throttle hook is what backs off under load.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import psycopg
from psycopg import sql

from zdt.executor import state
from zdt.executor.context import RunContext
from zdt.executor.events import EventKind
from zdt.executor.failure import StepFailure
from zdt.executor.session import plan_fragment, set_timeouts
from zdt.executor.wal_pacing import WalPacer, wal_insert_position
from zdt.plan.model import Backfill, Step, Timeouts

_RESOLVE = """
SELECT n.nspname, c.relname,
       EXISTS (SELECT 1 FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attname = %s AND a.attnum > 0 AND NOT a.attisdropped)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%s)
"""


@dataclass(frozen=True)
class BackfillTarget:
    """The table and key as identifiers the server itself resolved from the plan's names."""

    table: sql.Identifier
    key: sql.Identifier  # table.key: unambiguous next to a FROM list, and in ORDER BY never an alias
    where: sql.Composable  # " AND (...)" or nothing: the rows a batch changes, with the FROM list's join
    from_: sql.Composable  # " FROM ..." (" USING ..." for a DELETE) or nothing
    selected: sql.Composable  # " AND ...": the rows a batch changes, as a condition on the table alone


def resolve_target(conn: psycopg.Connection, backfill: Backfill) -> BackfillTarget:
    row = conn.execute(_RESOLVE, [backfill.key_column, backfill.table]).fetchone()
    if row is None:
        raise StepFailure(f"backfill table {backfill.table} does not exist")
    if not row[2]:
        raise StepFailure(f"backfill key column {backfill.key_column} does not exist on {backfill.table}")
    where: sql.Composable = (
        sql.SQL(" AND ({})").format(plan_fragment(backfill.where_sql)) if backfill.where_sql else sql.SQL("")
    )
    from_: sql.Composable = sql.SQL("")
    selected: sql.Composable = where
    if backfill.from_sql:
        # UPDATE ... FROM updates a row of the table once however many rows of the FROM list it matches:
        # it is to do when it has a match, which EXISTS asks without counting the row once per match.
        from_list = plan_fragment(backfill.from_sql)
        from_ = sql.SQL(" USING {}" if backfill.delete else " FROM {}").format(from_list)
        matches: sql.Composable = sql.SQL("SELECT 1 FROM {}").format(from_list)
        if backfill.where_sql:
            matches = sql.SQL("{} WHERE {}").format(matches, plan_fragment(backfill.where_sql))
        selected = sql.SQL(" AND EXISTS ({})").format(matches)
    return BackfillTarget(
        table=sql.Identifier(row[0], row[1]),
        key=sql.Identifier(row[0], row[1], backfill.key_column),
        where=where,
        from_=from_,
        selected=selected,
    )


def next_batch_size(size: int, elapsed_ms: float, target_ms: int | None, low: int, high: int) -> int:
    """Scale the batch toward target_ms, never by more than 2x either way, within [low, high]."""
    if not target_ms:
        return size
    factor = min(2.0, max(0.5, target_ms / max(elapsed_ms, 1.0)))
    return max(low, min(high, int(size * factor)))


def _range(target: BackfillTarget, last: str | None) -> tuple[sql.Composable, list[str]]:
    """``key > last AND key <= %s``, without the lower bound before the first batch."""
    if last is None:
        return sql.SQL("{k} <= %s").format(k=target.key), []
    return sql.SQL("{k} > %s AND {k} <= %s").format(k=target.key), [last]


def _keep_old_values(target: BackfillTarget, backfill: Backfill, bounds: sql.Composable) -> sql.Composed:
    """The INSERT that copies a batch's rows, before its UPDATE, into the table keeping their old values
    (``Backfill.keep_old``; ``keep_sql`` is its text). ON CONFLICT DO NOTHING: a retried or resumed batch
    must keep the value the row had before zdt first touched it."""
    kept = backfill.keep_old
    assert kept is not None
    schema, name = kept.table.split(".", 1)  # the recipe names it zdt.<lowercase, digits, underscores>
    columns = [backfill.key_column, *kept.columns]
    return sql.SQL(
        "INSERT INTO {kept} ({names}) SELECT {reads} FROM {t} WHERE {b}{selected} ON CONFLICT DO NOTHING"
    ).format(
        kept=sql.Identifier(schema, name),
        names=sql.SQL(", ").join(sql.Identifier(column) for column in columns),
        reads=sql.SQL(", ").join(
            sql.SQL("{}.{}").format(target.table, sql.Identifier(column)) for column in columns
        ),
        t=target.table,
        b=bounds,
        selected=target.selected,
    )


class BackfillRunner:
    def __init__(self, ctx: RunContext, step: Step, timeouts: Timeouts) -> None:
        assert step.backfill is not None
        self.ctx = ctx
        self.step = step
        self.timeouts = timeouts
        self.backfill = ctx.settings.backfill_for(step.backfill)
        start = self.backfill.batch_size
        self.low = max(1, start // ctx.settings.adapt_factor)
        self.high = max(start, start * ctx.settings.adapt_factor)
        self.retries = 0
        self.wal_pacer: WalPacer | None = None  # set by run() when the settings give a WAL budget

    def run(self) -> int:
        """Run (or resume) the backfill to the end; return the rows it updated over all runs."""
        conn, mid, sid = self.ctx.conn, self.ctx.migration_id, self.step.id
        target = resolve_target(conn, self.backfill)
        progress = state.load_progress(conn, mid, sid) or self._start(target)
        resumed_from = progress.rows_done
        self.ctx.events.emit(
            EventKind.BACKFILL_STARTED,
            sid,
            f"resuming after {progress.rows_done} rows" if progress.batches else "starting",
            rows=progress.rows_done,
            total_rows=progress.rows_total,
            batch_size=progress.batch_size,
        )
        started = time.monotonic()
        size = progress.batch_size
        budget = self.ctx.settings.max_wal_bytes_per_s
        if budget:
            self.wal_pacer = WalPacer(budget, wal_insert_position(conn))
        while not progress.finished:
            self.ctx.wait_for_throttle(sid)
            batch_started = time.monotonic()
            (upper, rows), retries = self.ctx.retry(
                sid, self.timeouts, partial(self._batch, target, progress, size)
            )
            self.retries += retries
            elapsed_ms = (time.monotonic() - batch_started) * 1000
            progress.last_key, progress.rows_done = upper, progress.rows_done + rows
            progress.batches += 1
            size = next_batch_size(size, elapsed_ms, self.backfill.target_batch_ms, self.low, self.high)
            pause = self._pause_after_batch()
            self._report(progress, resumed_from, started, size, pause)
            if not progress.finished and pause > 0:
                self.ctx.sleep(pause)
        return progress.rows_done

    def _pause_after_batch(self) -> float:
        """The plan's pause between batches, lengthened when the WAL budget is overspent."""
        pause = self.backfill.pause_ms / 1000
        if self.wal_pacer is None:
            return pause
        return max(pause, self.wal_pacer.pause_after(wal_insert_position(self.ctx.conn)))

    def _start(self, target: BackfillTarget) -> state.ProgressRow:
        """Fix the key range and count the rows to do, in one transaction with the progress row."""
        conn = self.ctx.conn
        first = sql.SQL("SELECT {k}::text FROM {t} ORDER BY {k} {order} LIMIT 1")
        with conn.transaction():
            low = conn.execute(first.format(k=target.key, t=target.table, order=sql.SQL("ASC")))
            high = conn.execute(first.format(k=target.key, t=target.table, order=sql.SQL("DESC")))
            low_row, high_row = low.fetchone(), high.fetchone()
            high_key = high_row[0] if high_row else None
            total = 0
            if high_key is not None:
                count = sql.SQL("SELECT count(*) FROM {t} WHERE {k} <= %s{w}").format(
                    t=target.table, k=target.key, w=target.selected
                )
                counted = conn.execute(count, [high_key]).fetchone()
                total = int(counted[0]) if counted else 0
            state.start_progress(
                conn,
                self.ctx.migration_id,
                self.step.id,
                table=self.backfill.table,
                key_column=self.backfill.key_column,
                low_key=low_row[0] if low_row else None,
                high_key=high_key,
                rows_total=total,
                batch_size=self.backfill.batch_size,
            )
        progress = state.load_progress(conn, self.ctx.migration_id, self.step.id)
        assert progress is not None
        return progress

    def _batch(self, target: BackfillTarget, progress: state.ProgressRow, size: int) -> tuple[str, int]:
        """One batch and its progress record, in one short transaction; returns (new last key, rows)."""
        conn = self.ctx.conn
        assert progress.high_key is not None
        bounds, params = _range(target, progress.last_key)
        with conn.transaction():
            set_timeouts(conn, self.timeouts, local=True)
            conn.execute("SET LOCAL synchronous_commit = off")  # see the module docstring: safe here
            boundary = sql.SQL("SELECT {k}::text FROM {t} WHERE {b} ORDER BY {k} OFFSET %s LIMIT 1").format(
                k=target.key, t=target.table, b=bounds
            )
            row = conn.execute(boundary, [*params, progress.high_key, size - 1]).fetchone()
            upper = row[0] if row else progress.high_key
            if self.backfill.keep_old is not None:
                conn.execute(_keep_old_values(target, self.backfill, bounds), [*params, upper])
            if self.backfill.delete:
                update = sql.SQL("DELETE FROM {t}{f} WHERE {b}{w}").format(
                    t=target.table, f=target.from_, b=bounds, w=target.where
                )
            else:
                update = sql.SQL("UPDATE {t} SET {s}{f} WHERE {b}{w}").format(
                    t=target.table,
                    s=plan_fragment(self.backfill.set_sql),
                    f=target.from_,
                    b=bounds,
                    w=target.where,
                )
            rows = max(conn.execute(update, [*params, upper]).rowcount, 0)
            moved = state.advance_progress(
                conn,
                self.ctx.migration_id,
                self.step.id,
                expected_last=progress.last_key,
                new_last=upper,
                rows=rows,
                batch_size=size,
            )
            if not moved:
                raise StepFailure("the backfill's progress row moved underneath this executor")
        return upper, rows

    def _report(
        self, progress: state.ProgressRow, resumed_from: int, started: float, size: int, pause: float
    ) -> None:
        elapsed = time.monotonic() - started
        rate = (progress.rows_done - resumed_from) / elapsed if elapsed > 0 else None
        remaining = max(progress.rows_total - progress.rows_done, 0)
        self.ctx.events.emit(
            EventKind.BATCH_DONE,
            self.step.id,
            f"batch {progress.batches}: {progress.rows_done}/{progress.rows_total} rows",
            elapsed_s=elapsed,
            rows=progress.rows_done,
            total_rows=progress.rows_total,
            rows_per_s=rate,
            eta_s=remaining / rate if rate else None,
            batch_size=size,
            pause_s=pause,
        )
