"""Measure on a real server what a SQL statement actually does: locks, rewrites, scans, what it blocks.

The static analyser *claims* these facts; this module *measures* them on a throwaway database so the claims
can be checked. Every traced statement is committed, so a later statement sees its effect.

How each fact is measured:

* ``locks``: ``pg_locks`` rows of the tracing backend, read inside the statement's still-open transaction
  and mapped through an OID -> name map taken *before* the statement (so a dropped relation is still
  nameable and relations the statement created are left out).
* ``rewritten`` / ``truncated``: ``pg_class.relfilenode`` compared before and after, in the same
  transaction. A new relfilenode that is empty while the old one was not is a truncation (TRUNCATE), not a
  rewrite.
* ``scanned``: ``pg_stat_xact_user_tables.seq_scan`` rose, or the table was rewritten. Measured on PG 15
  and 18: index builds (plain, UNIQUE, CONCURRENTLY, REINDEX), CHECK/NOT NULL/FK validation, ALTER TABLE
  rewrites, CLUSTER and VACUUM FULL all count as sequential scans. Invisible to that counter: plain
  ``VACUUM`` and ``ANALYZE`` (they read pages without a counted scan), so they show ``scanned=[]``.
  TRUNCATE counts a "scan" of the *new, empty* heap (its index rebuild); truncated tables are therefore
  not reported as scanned.
* ``blocked_reads`` / ``blocked_writes``: probes from a second connection with a 100 ms ``lock_timeout``
  while the statement's transaction is still open. The write probe updates one existing row to itself, so
  it also waits on row locks (a table-wide UPDATE/DELETE blocks concurrent UPDATEs although its table
  lock is only RowExclusiveLock).

Statements that cannot run in a transaction block (CREATE/DROP/REINDEX ... CONCURRENTLY, VACUUM, DETACH
PARTITION CONCURRENTLY, ...) run in autocommit in a worker thread while another connection polls
``pg_locks`` for its pid. To keep them observable, two holder transactions are opened first: one holds
SHARE UPDATE EXCLUSIVE on every pre-existing table (so the statement queues on its first lock of that
strength or more and that lock shows up as requested), the other holds ACCESS SHARE plus an old
REPEATABLE READ snapshot (so CONCURRENTLY phases wait for "old transactions"). Probes run in both
windows. For these statements ``locks`` includes modes that were requested and waited for. A lock taken
just before one of the statement's internal commits (DROP INDEX CONCURRENTLY's final AccessExclusiveLock
on the index) lives for less than one poll, so the session sets ``commit_delay`` (superuser only) to keep
every such commit, locks held, visible for 20 ms. Locks released
without a WAL-flushing commit can still slip between polls: plain VACUUM's RowExclusiveLock on the
table's indexes is caught in some runs and not in others. Their seq scans are read from the backend's pending
statistics, flushed just before the statement (PostgreSQL 15+).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg
from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream
from psycopg import errors, sql
from pydantic import BaseModel, Field

from zdt.analysis.locks import LockMode

PROBE_LOCK_TIMEOUT_MS = 100
HOLD_WINDOW_SECONDS = 0.3
"""How long each holder transaction waits for the statement to block on it before probing and releasing."""
STATEMENT_JOIN_SECONDS = 120.0
COMMIT_DELAY_MICROSECONDS = 20_000
POLLERS = 2
"""Concurrent pg_locks pollers: one poll takes ~0.1 ms, some locks are held for about that long."""
STATS_FLUSH_INTERVAL_SECONDS = 0.9
"""PostgreSQL flushes pending statistics at most once a second; past that the xact counters may reset."""

_PROBED_KINDS = ("r", "p", "m", "v")
_WRITABLE_KINDS = ("r", "p")
_HOLDABLE_KINDS = ("r", "p", "m")
_HEAP_KINDS = ("r", "m")

_RELATIONS = """
SELECT c.oid::bigint AS oid, n.nspname AS schema, c.relname AS name,
       format('%I.%I', n.nspname, c.relname) AS qualified, c.relkind::text AS relkind,
       c.relfilenode::bigint AS relfilenode,
       CASE WHEN c.relkind IN ('r', 'm') THEN pg_relation_size(c.oid) ELSE 0 END AS size,
       (SELECT a.attname FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attgenerated = '' AND a.attidentity <> 'a'
         ORDER BY a.attnum LIMIT 1) AS first_column
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
"""

_FILENODES = """
SELECT c.oid::bigint, c.relfilenode::bigint,
       CASE WHEN c.relkind IN ('r', 'm') THEN pg_relation_size(c.oid) ELSE 0 END
FROM pg_class c WHERE c.oid = ANY(%s::oid[])
"""

_LOCKS = """
SELECT l.relation::bigint, l.mode, l.granted FROM pg_locks l
WHERE l.pid = %s AND l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""

_SEQ_SCANS = "SELECT relid::bigint, seq_scan FROM pg_stat_xact_user_tables"


class MeasuredLock(BaseModel):
    """The strongest lock the statement took (or queued for) on one pre-existing relation."""

    relation: str = Field(description="Schema-qualified name, format('%I.%I') style.")
    mode: LockMode
    relkind: str = Field(description="pg_class.relkind of the relation: r, p, i, I, S, v, m ...")


class TraceResult(BaseModel):
    """What one statement measurably did on a real server."""

    sql: str
    ok: bool
    error: str | None = Field(default=None, description="SQLSTATE: message when the statement failed.")
    transactional: bool = Field(description="False when it had to run outside a transaction block.")
    locks: list[MeasuredLock] = Field(default_factory=list)
    rewritten: list[str] = Field(default_factory=list)
    truncated: list[str] = Field(default_factory=list, description="Given a new, empty relfilenode.")
    scanned: list[str] = Field(default_factory=list)
    blocked_reads: list[str] = Field(default_factory=list)
    blocked_writes: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Caveats about this measurement.")


@dataclass(frozen=True)
class _Relation:
    """One user relation as it was before the statement ran."""

    oid: int
    schema: str
    name: str
    qualified: str  # format('%I.%I'): the spelling every report uses
    relkind: str
    relfilenode: int
    size: int
    first_column: str | None

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


@dataclass
class _Observation:
    """Raw measurements gathered while the statement ran, before they are turned into a TraceResult."""

    locks: dict[int, LockMode] = field(default_factory=dict)
    seq_scans: dict[int, int] = field(default_factory=dict)
    filenodes: dict[int, tuple[int, int]] = field(default_factory=dict)
    blocked_reads: set[int] = field(default_factory=set)
    blocked_writes: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def add_lock(self, oid: int, mode_name: str) -> None:
        """Keep the strongest mode per relation; ignore non-table modes such as SIReadLock."""
        try:
            mode = LockMode(mode_name)
        except ValueError:
            return
        current = self.locks.get(oid)
        if current is None or mode.strength > current.strength:
            self.locks[oid] = mode


def _error_text(error: psycopg.Error) -> str:
    """SQLSTATE and the server's primary message: what a failing statement is reported as."""
    message = error.diag.message_primary or str(error).strip()
    return f"{error.sqlstate or '?????'}: {message}"


def _needs_autocommit(node: ast.Node | None) -> bool:
    """Statements on tables that PostgreSQL refuses inside a transaction block (PreventInTransactionBlock).

    Anything else that is refused (CREATE DATABASE, ALTER TYPE ... ADD VALUE before PostgreSQL 12, ...) is
    recognised by its ActiveSqlTransaction error and retried outside a transaction.
    """
    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(getattr(p, "defname", None) == "concurrently" for p in node.params or ())
    if isinstance(node, ast.VacuumStmt):
        return bool(node.is_vacuumcmd)
    if isinstance(node, ast.AlterTableStmt):
        return any(
            isinstance(cmd, ast.AlterTableCmd)
            and isinstance(cmd.def_, ast.PartitionCmd)
            and bool(cmd.def_.concurrent)
            for cmd in node.cmds or ()
        )
    return False


def _parse_one(statement: str) -> ast.Node | None:
    """The parser's node for a single statement, or None when pglast cannot parse it (the server decides)."""
    try:
        nodes = parse_sql(statement)
    except ParseError:
        return None
    return nodes[0].stmt if len(nodes) == 1 else None


class Tracer:
    """A tracing session on one database: the traced connection plus the observers around it.

    Kept open across the statements of a script so SET commands apply to the statements that follow.
    """

    def __init__(self, url: str, *, probe_timeout_ms: int = PROBE_LOCK_TIMEOUT_MS) -> None:
        self.url = url
        self.session = self._connect("zdt-trace")
        self.prober = self._connect("zdt-trace-probe")
        self.prober.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{probe_timeout_ms}ms")))
        self.prober.execute("SET statement_timeout = '10s'")
        self._apply_own_settings()
        self.server_version = self.session.info.server_version // 10000
        self._local_settings: list[str] = []

    def _apply_own_settings(self) -> None:
        """Parallel workers lock and scan under other pids: keep all the work in the traced backend."""
        self.session.execute("SET max_parallel_maintenance_workers = 0")
        self.session.execute("SET max_parallel_workers_per_gather = 0")

    def _connect(self, name: str) -> psycopg.Connection:
        """An autocommit connection whose role in pg_stat_activity is obvious."""
        return psycopg.connect(self.url, autocommit=True, application_name=name)

    def close(self) -> None:
        for connection in (self.session, self.prober):
            connection.close()

    def __enter__(self) -> Tracer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- session statements -------------------------------------------------------------------------

    def apply_session_statement(self, statement: str, node: ast.Node) -> TraceResult | None:
        """Apply SET/RESET or a transaction-control statement to the session; report only a failure.

        Each traced statement is committed on its own, so BEGIN/COMMIT/ROLLBACK are not replayed; a
        ``SET LOCAL`` is applied session-wide until the script's next COMMIT/ROLLBACK, which is what it
        meant inside the script's transaction.
        """
        if isinstance(node, ast.TransactionStmt):
            self._reset_local_settings()
            return None
        assert isinstance(node, ast.VariableSetStmt)
        text = statement
        if node.is_local:
            node.is_local = False
            text = RawStream()(node)
            if node.name:
                self._local_settings.append(node.name)
        try:
            self.session.execute(text)
        except psycopg.Error as error:
            return TraceResult(sql=statement, ok=False, error=_error_text(error), transactional=True)
        self._apply_own_settings()  # a RESET ALL must not undo them
        return None

    def _reset_local_settings(self) -> None:
        """Undo SET LOCAL settings at the end of the script's transaction."""
        for name in self._local_settings:
            self.session.execute(sql.SQL("RESET {}").format(sql.Identifier(name)))
        self._local_settings.clear()

    # -- tracing ------------------------------------------------------------------------------------

    def trace(self, statement: str) -> TraceResult:
        """Run ``statement``, measure what it does and commit it."""
        before = self._relations()
        if _needs_autocommit(_parse_one(statement)):
            return self._trace_outside_transaction(statement, before)
        result = self._trace_in_transaction(statement, before)
        if result is None:  # refused inside a transaction block: the parser did not tell us in advance
            return self._trace_outside_transaction(statement, before)
        return result

    def _relations(self) -> dict[int, _Relation]:
        """OID -> name, kind and storage of every user relation, taken before the statement runs."""
        rows = self.session.execute(_RELATIONS).fetchall()
        return {row[0]: _Relation(*row) for row in rows}

    def _trace_in_transaction(self, statement: str, before: dict[int, _Relation]) -> TraceResult | None:
        """Run the statement in an open transaction, observe it, commit. None when it must run outside one."""
        observation = _Observation()
        self.session.execute("BEGIN")
        try:
            scans_before = self._seq_scans()
            self.session.execute(statement)
        except errors.ActiveSqlTransaction:
            self.session.execute("ROLLBACK")
            return None
        except psycopg.Error as error:
            self.session.execute("ROLLBACK")
            return TraceResult(sql=statement, ok=False, error=_error_text(error), transactional=True)
        try:
            for oid, mode, _granted in self.session.execute(_LOCKS, (self.session.info.backend_pid,)):
                observation.add_lock(oid, mode)
            observation.filenodes = self._filenodes(before)
            scans_after = self._seq_scans()
            observation.seq_scans = {
                oid: count - scans_before.get(oid, 0) for oid, count in scans_after.items()
            }
            self._probe_all(before, observation)
        except BaseException:
            self.session.execute("ROLLBACK")
            raise
        result = _result(statement, before, observation, transactional=True)
        try:
            self.session.execute("COMMIT")
        except psycopg.Error as error:  # a deferred constraint fails only now
            return result.model_copy(update={"ok": False, "error": _error_text(error)})
        return result

    def _seq_scans(self) -> dict[int, int]:
        """This backend's not-yet-flushed sequential scan counts per table."""
        return {oid: int(count) for oid, count in self.session.execute(_SEQ_SCANS)}

    def _filenodes(self, before: dict[int, _Relation]) -> dict[int, tuple[int, int]]:
        """Current relfilenode and size of the pre-existing relations that still exist."""
        rows = self.session.execute(_FILENODES, (list(before),)).fetchall()
        return {oid: (filenode, size) for oid, filenode, size in rows}

    # -- probes -------------------------------------------------------------------------------------

    def _probe_all(self, before: dict[int, _Relation], observation: _Observation) -> None:
        """Would a concurrent read or write of each pre-existing table wait right now?"""
        for oid, relation in sorted(before.items(), key=lambda item: item[1].qualified):
            if relation.relkind not in _PROBED_KINDS:
                continue
            if oid not in observation.blocked_reads and self._waits(_read_probe(relation), observation):
                observation.blocked_reads.add(oid)
            write = _write_probe(relation)
            if write is None or oid in observation.blocked_writes:
                continue
            if self._waits(write, observation):
                observation.blocked_writes.add(oid)

    def _waits(self, probe: sql.Composed, observation: _Observation) -> bool:
        """Run one probe in a transaction that is always rolled back; True when it hit lock_timeout."""
        self.prober.execute("BEGIN")
        try:
            self.prober.execute(probe)
        except errors.LockNotAvailable:
            return True
        except psycopg.Error as error:
            observation.notes.append(f"probe {probe.as_string(self.prober)!r} failed: {_error_text(error)}")
            return False
        finally:
            self.prober.execute("ROLLBACK")
        return False

    # -- statements that cannot run in a transaction block ------------------------------------------

    def _trace_outside_transaction(self, statement: str, before: dict[int, _Relation]) -> TraceResult:
        """Run the statement in autocommit in a thread while other connections watch and probe it."""
        observation = _Observation()
        self._delay_commits(observation)
        self._flush_stats()
        flushed_at = time.monotonic()
        holders = _Holders(self.url, [r for r in before.values() if r.relkind in _HOLDABLE_KINDS])
        runner = _StatementThread(self.session, statement)
        pollers = [_LockPoller(self.url, self.session.info.backend_pid) for _ in range(POLLERS)]
        try:
            holders.open()
            for poller in pollers:
                poller.start()
            runner.start()
            for holder in holders.in_release_order():
                if self._wait_for_block(runner, holder.info.backend_pid):
                    self._probe_all(before, observation)
                holders.release(holder)
            runner.join(STATEMENT_JOIN_SECONDS)
            if runner.is_alive():
                self._cancel(runner)
        finally:
            holders.close()
            for poller in pollers:
                poller.stop()
            self.session.execute("RESET commit_delay")
            self.session.execute("RESET commit_siblings")
        for poller in pollers:
            for oid, mode in poller.seen.locks.items():
                observation.add_lock(oid, mode.value)
        if runner.error is not None:
            return TraceResult(sql=statement, ok=False, error=_error_text(runner.error), transactional=False)
        if time.monotonic() - flushed_at > STATS_FLUSH_INTERVAL_SECONDS:
            observation.notes.append("statement outlasted the stats flush interval: seq scans may be lost")
        observation.seq_scans = self._seq_scans()
        observation.filenodes = self._filenodes(before)
        return _result(statement, before, observation, transactional=False)

    def _delay_commits(self, observation: _Observation) -> None:
        """Make each internal commit of the statement wait before its WAL flush, locks still held.

        CONCURRENTLY statements commit between phases, and a lock taken just before such a commit (DROP
        INDEX CONCURRENTLY's final AccessExclusiveLock on the index) is otherwise held for well under
        the ~0.1 ms a pg_locks poll takes. commit_delay needs superuser; without it such locks may be missed.
        """
        try:
            self.session.execute("SET commit_siblings = 0")
            self.session.execute(
                sql.SQL("SET commit_delay = {}").format(sql.Literal(COMMIT_DELAY_MICROSECONDS))
            )
        except errors.InsufficientPrivilege:
            observation.notes.append("no superuser: locks held only at internal commits may be missed")

    def _flush_stats(self) -> None:
        """Empty this backend's pending stats so the xact counters afterwards are the statement's alone."""
        if self.server_version >= 15:
            self.session.execute("SELECT pg_stat_force_next_flush()")  # flushed as this query ends

    def _wait_for_block(self, runner: _StatementThread, holder_pid: int) -> bool:
        """Wait until the statement waits for ``holder_pid`` (or the window ends); False once it finished.

        pg_blocking_pids also names the owner of a virtualxid lock, so it sees CONCURRENTLY phases
        waiting for an old transaction, not only waits for table locks.
        """
        deadline = time.monotonic() + HOLD_WINDOW_SECONDS
        while time.monotonic() < deadline and runner.is_alive():
            row = self.prober.execute(
                "SELECT %s = ANY(pg_blocking_pids(%s))", (holder_pid, runner.pid)
            ).fetchone()
            if row is not None and row[0]:
                return True
            time.sleep(0.002)
        return runner.is_alive()

    def _cancel(self, runner: _StatementThread) -> None:
        """Cancel a statement that never finished so the session comes back."""
        self.prober.execute("SELECT pg_cancel_backend(%s)", (runner.pid,))
        runner.join(STATEMENT_JOIN_SECONDS)


class _StatementThread(threading.Thread):
    """Runs the statement on the session connection in autocommit, remembering any error."""

    def __init__(self, connection: psycopg.Connection, statement: str) -> None:
        super().__init__(daemon=True, name="zdt-trace-statement")
        self.connection = connection
        self.statement = statement
        self.pid = connection.info.backend_pid
        self.error: psycopg.Error | None = None

    def run(self) -> None:
        try:
            self.connection.execute(self.statement)
        except psycopg.Error as error:
            self.error = error


class _LockPoller(threading.Thread):
    """Reads pg_locks for one backend as fast as it can until stopped, keeping the strongest mode seen."""

    def __init__(self, url: str, pid: int) -> None:
        super().__init__(daemon=True, name="zdt-trace-poller")
        self.connection = psycopg.connect(url, autocommit=True, application_name="zdt-trace-poller")
        self.pid = pid
        self.seen = _Observation()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            for oid, mode, _granted in self.connection.execute(_LOCKS, (self.pid,)).fetchall():
                self.seen.add_lock(oid, mode)

    def stop(self) -> None:
        """Stop polling (the statement is done or cancelled) and close the connection."""
        self._stop_event.set()
        if self.is_alive():
            self.join()
        self.connection.close()


class _Holders:
    """Two transactions that make a non-transactional statement wait where it can be watched.

    The first holds SHARE UPDATE EXCLUSIVE on every table (the statement queues on its first lock of
    that strength or more). The second holds ACCESS SHARE plus a REPEATABLE READ snapshot older than any
    later transaction id, so CONCURRENTLY phases wait for it as for any old transaction.
    """

    def __init__(self, url: str, tables: list[_Relation]) -> None:
        self.url = url
        self.tables = tables
        self._open: list[psycopg.Connection] = []

    def open(self) -> None:
        snapshot = self._begin("BEGIN ISOLATION LEVEL REPEATABLE READ", "ACCESS SHARE")
        snapshot.execute("SELECT 1")  # takes the transaction snapshot
        share_update = self._begin("BEGIN", "SHARE UPDATE EXCLUSIVE")
        # Burn a transaction id after the snapshot so the snapshot is strictly older than what follows.
        share_update.execute("SELECT txid_current()")
        self._open = [share_update, snapshot]

    def _begin(self, begin: str, mode: str) -> psycopg.Connection:
        """A connection in an open transaction holding ``mode`` on every table."""
        connection = psycopg.connect(self.url, autocommit=True, application_name="zdt-trace-holder")
        connection.execute(begin)
        if self.tables:
            names = sql.SQL(", ").join(table.identifier for table in self.tables)
            connection.execute(sql.SQL("LOCK TABLE {} IN {} MODE").format(names, sql.SQL(mode)))
        return connection

    def in_release_order(self) -> list[psycopg.Connection]:
        return list(self._open)

    def release(self, connection: psycopg.Connection) -> None:
        """Roll back and close a holder (its only job was to hold locks and a snapshot)."""
        if connection in self._open:
            self._open.remove(connection)
            try:
                connection.execute("ROLLBACK")
            finally:
                connection.close()

    def close(self) -> None:
        for connection in list(self._open):
            self.release(connection)


def _read_probe(relation: _Relation) -> sql.Composed:
    """The cheapest read a client would do: it waits exactly when a plain SELECT would."""
    return sql.SQL("SELECT 1 FROM {} LIMIT 1").format(relation.identifier)


def _write_probe(relation: _Relation) -> sql.Composed | None:
    """Update one existing row to itself: waits on the table lock and on that row's lock.

    On an empty table the subquery yields NULL and the UPDATE touches nothing: a table-lock-only probe.
    """
    if relation.relkind not in _WRITABLE_KINDS or relation.first_column is None:
        return None
    column = sql.Identifier(relation.first_column)
    return sql.SQL("UPDATE {table} SET {col} = {col} WHERE ctid = (SELECT ctid FROM {table} LIMIT 1)").format(
        table=relation.identifier, col=column
    )


def _result(
    statement: str, before: dict[int, _Relation], observation: _Observation, *, transactional: bool
) -> TraceResult:
    """Turn raw observations into names, applying the rewrite/truncate/scan definitions."""
    rewritten: list[str] = []
    truncated: list[str] = []
    scanned: list[str] = []
    for oid, relation in before.items():
        if relation.relkind not in _HEAP_KINDS:
            continue
        after = observation.filenodes.get(oid)
        changed = after is not None and after[0] != relation.relfilenode
        emptied = changed and after is not None and after[1] == 0 and relation.size > 0
        if emptied:
            truncated.append(relation.qualified)
        elif changed:
            rewritten.append(relation.qualified)
        if not emptied and (changed or observation.seq_scans.get(oid, 0) > 0):
            scanned.append(relation.qualified)
    locks = [
        MeasuredLock(relation=before[oid].qualified, mode=mode, relkind=before[oid].relkind)
        for oid, mode in observation.locks.items()
        if oid in before
    ]
    return TraceResult(
        sql=statement,
        ok=True,
        transactional=transactional,
        locks=sorted(locks, key=lambda lock: lock.relation),
        rewritten=sorted(rewritten),
        truncated=sorted(truncated),
        scanned=sorted(scanned),
        blocked_reads=_names(before, observation.blocked_reads),
        blocked_writes=_names(before, observation.blocked_writes),
        notes=observation.notes,
    )


def _names(before: dict[int, _Relation], oids: Iterable[int]) -> list[str]:
    return sorted(before[oid].qualified for oid in oids)


def trace_statement(url: str, sql: str, *, probe_timeout_ms: int = PROBE_LOCK_TIMEOUT_MS) -> TraceResult:
    """Run ONE statement on the database at ``url``, measure what it does, and commit it.

    ``probe_timeout_ms`` is how long a probe may wait before it counts as blocked; the statement's locks
    are held throughout, so a shorter wait gives the same answer faster.
    """
    with Tracer(url, probe_timeout_ms=probe_timeout_ms) as tracer:
        return tracer.trace(sql)


def trace_script(
    url: str, statements: list[str], *, probe_timeout_ms: int = PROBE_LOCK_TIMEOUT_MS
) -> list[TraceResult]:
    """Trace statements in order on one session; a failing statement is reported and the run goes on.

    BEGIN/COMMIT/ROLLBACK and SET/RESET are applied to the session, not traced; a failing SET is reported.
    """
    results: list[TraceResult] = []
    with Tracer(url, probe_timeout_ms=probe_timeout_ms) as tracer:
        for statement in statements:
            node = _parse_one(statement)
            if isinstance(node, ast.TransactionStmt | ast.VariableSetStmt):
                failure = tracer.apply_session_statement(statement, node)
                if failure is not None:
                    results.append(failure)
                continue
            results.append(tracer.trace(statement))
    return results
