"""The open-loop load generator: a fixed request rate over a fixed pool of connections.

Open loop means the schedule does not wait for the server: request ``n`` is due at ``t0 + n / rate``
whether or not earlier ones have finished, like users who keep clicking while the database is stuck.
A closed loop (each connection sends its next request when the previous one returns) quietly sends fewer
requests during a stall and so never sees most of it. Here the schedule is one shared counter: each
connection's thread takes the next due request, sleeps until its intended time if it is early, or sends
it at once if it is late (a backlog after a stall), and its latency is counted from the intended time.

Bounded in time and in count: nothing is scheduled after ``duration_s`` or past ``max_requests``; after
the schedule ends, a backlog may still be sent for ``drain_s``, then whatever is still running is
cancelled and whatever was never sent is counted as ``unsent`` (not silently dropped).

The query mix is dealt by smooth weighted round-robin rather than drawn at random, so every window of
the run has the configured ratios (to within one request per query), and runs are comparable.
"""

from __future__ import annotations

import contextlib
import gc
import math
import random
import threading
import time
from array import array
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from zdt.load.lockwaits import LockWaitLog, LockWaitSampler
from zdt.load.result import LoadResult
from zdt.load.workload import Query, Workload

MAX_RATE = 100_000.0
MAX_CONNECTIONS = 256
MAX_DURATION_S = 24 * 3600.0
MAX_REQUESTS = 50_000_000


@dataclass(frozen=True)
class LoadConfig:
    """How much load, over how many connections, for how long.

    ``prepare_threshold`` is psycopg's: after that many executions of the same statement text on a
    connection, it is prepared on the server (psycopg's default, 5, is what real applications run with;
    None turns server-side prepare off). Prepared statements are what break when a column changes type
    under them, so the default keeps them on.
    """

    rate: float = 2000.0
    connections: int = 8
    duration_s: float = 10.0
    max_requests: int | None = None  # default: rate * duration_s
    drain_s: float = 30.0
    prepare_threshold: int | None = 5
    statement_timeout_ms: int | None = None
    application_name: str = "zdt-load"
    connect_timeout_s: int = 10
    seed: int = 1
    sample_lock_waits: bool = True
    lock_sample_interval_s: float = 0.02

    def __post_init__(self) -> None:
        if not 0 < self.rate <= MAX_RATE:
            raise ValueError(f"rate must be in (0, {MAX_RATE:g}] requests/s")
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            raise ValueError(f"connections must be in [1, {MAX_CONNECTIONS}]")
        if not 0 < self.duration_s <= MAX_DURATION_S:
            raise ValueError(f"duration_s must be in (0, {MAX_DURATION_S:g}]")
        if not 0 <= self.drain_s <= 600:
            raise ValueError("drain_s must be in [0, 600]")
        if self.max_requests is not None and not 0 < self.max_requests <= MAX_REQUESTS:
            raise ValueError(f"max_requests must be in [1, {MAX_REQUESTS}]")

    @property
    def request_limit(self) -> int:
        limit = math.ceil(self.rate * self.duration_s)
        return min(limit, self.max_requests or limit, MAX_REQUESTS)


class _Log:
    """One connection's requests as typed arrays, not a tuple per request.

    A long run holds hundreds of thousands of requests; as Python objects they would make every full
    garbage collection walk all of them, pausing the generator's threads for up to hundreds of
    milliseconds, and those pauses would be charged to the database as stalls.
    """

    def __init__(self) -> None:
        self.seq = array("q")
        self.query = array("I")
        self.intended = array("d")
        self.started = array("d")
        self.ended = array("d")
        self.error = array("I")

    def add(self, seq: int, query: int, intended: float, started: float, ended: float, error: int) -> None:
        self.seq.append(seq)
        self.query.append(query)
        self.intended.append(intended)
        self.started.append(started)
        self.ended.append(ended)
        self.error.append(error)

    def extend(self, other: _Log) -> None:
        for name in ("seq", "query", "intended", "started", "ended", "error"):
            getattr(self, name).extend(getattr(other, name))


@dataclass(frozen=True)
class LiveCounts:
    """Requests completed and failed so far (cumulative), read while the load runs.

    What the monitor needs to judge the application's error rate during a migration; the full
    per-request record is only assembled at the end (``LoadResult``).
    """

    requests: int = 0
    errors: int = 0
    errors_by_sqlstate: dict[str, int] = field(default_factory=dict)


class _Counter:
    """Running totals kept beside the logs: cheap to read from another thread at any moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._errors: dict[str, int] = {}

    def add(self, state: str | None) -> None:
        with self._lock:
            self._requests += 1
            if state is not None:
                self._errors[state] = self._errors.get(state, 0) + 1

    def read(self) -> LiveCounts:
        with self._lock:
            return LiveCounts(self._requests, sum(self._errors.values()), dict(self._errors))


@dataclass(frozen=True)
class _Due:
    seq: int
    intended: float
    query: Query
    query_id: int


class _Schedule:
    """The shared open-loop clock and the mix dealer; every method is called under its lock."""

    def __init__(self, config: LoadConfig, workload: Workload) -> None:
        self.rate = config.rate
        self.limit = config.request_limit
        self.end = config.duration_s  # nothing is scheduled at or after this offset
        self.next_seq = 0
        self.lock = threading.Lock()
        self.ids: dict[tuple[str, str], int] = {}
        self.names: list[str] = []
        self.kinds: list[str] = []
        self._use(workload)

    def _use(self, workload: Workload) -> None:
        self.workload = workload
        self.credit = [0.0] * len(workload.queries)
        self.weights = [q.weight for q in workload.queries]
        self.total = sum(self.weights)
        self.query_ids = []
        for query in workload.queries:
            key = (workload.name, query.name)
            if key not in self.ids:
                self.ids[key] = len(self.names)
                self.names.append(query.name)
                self.kinds.append(query.kind.value)
            self.query_ids.append(self.ids[key])

    def switch(self, workload: Workload) -> None:
        with self.lock:
            self._use(workload)

    def stop_at(self, offset: float) -> None:
        with self.lock:
            self.end = min(self.end, offset)

    def scheduled(self) -> int:
        """How many requests the schedule holds in all (due before its end, within the limit)."""
        with self.lock:
            return min(self.limit, max(0, math.ceil(self.end * self.rate)))

    def take(self) -> _Due | None:
        with self.lock:
            seq = self.next_seq
            intended = seq / self.rate
            if seq >= self.limit or intended >= self.end:
                return None
            self.next_seq += 1
            # Smooth weighted round-robin: every query earns its weight, the richest is sent and pays
            # the total. Over any stretch each query's count is within one of its exact share.
            best = 0
            for i, weight in enumerate(self.weights):
                self.credit[i] += weight
                if self.credit[i] > self.credit[best]:
                    best = i
            self.credit[best] -= self.total
            return _Due(seq, intended, self.workload.queries[best], self.query_ids[best])


class LoadGenerator:
    """Runs a workload open-loop against ``url``; ``start()``, optionally ``switch()``, then ``stop()``.

    Use it as a context manager, or ``run_load`` for a run of the configured duration.
    """

    def __init__(self, url: str, workload: Workload, config: LoadConfig | None = None) -> None:
        self.url = url
        self.config = config or LoadConfig()
        self._schedule = _Schedule(self.config, workload)
        self._logs = [_Log() for _ in range(self.config.connections)]
        self._messages: dict[str, str] = {}
        self._counter = _Counter()
        self._states: dict[str, int] = {}  # SQLSTATE -> its code in the logs (1-based; 0 is success)
        self._states_lock = threading.Lock()
        self._gc_pauses: list[tuple[float, float]] = []
        self._gc_started = 0.0
        self._switches: list[tuple[float, str]] = [(0.0, workload.name)]
        self._conns: list[psycopg.Connection | None] = []
        self._busy = [False] * self.config.connections
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._sampler: LockWaitSampler | None = None
        self.t0 = 0.0  # time.perf_counter() at the schedule's start
        self.t0_wall = 0.0  # time.time() at the same instant
        self._result: LoadResult | None = None

    # --- control ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Open every connection first (connecting is not part of any request), then start the clock."""
        self._conns = [self._connect() for _ in range(self.config.connections)]
        self.t0 = time.perf_counter()
        self.t0_wall = time.time()
        gc.callbacks.append(self._watch_gc)
        if self.config.sample_lock_waits:
            self._sampler = LockWaitSampler(
                self.url,
                self.config.application_name,
                self.t0,
                interval_s=self.config.lock_sample_interval_s,
                max_duration_s=self.config.duration_s + self.config.drain_s + 10,
            )
            self._sampler.start()
        for index in range(self.config.connections):
            thread = threading.Thread(target=self._work, args=(index,), name=f"zdt-load-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def live_counts(self) -> LiveCounts:
        """Requests completed and failed so far: the monitor's view of the application's error rate."""
        return self._counter.read()

    def now(self) -> float:
        """Seconds since the schedule started."""
        return time.perf_counter() - self.t0

    def switch(self, workload: Workload) -> None:
        """From now on, send ``workload``'s queries: the application's next release has been deployed."""
        self._schedule.switch(workload)
        self._switches.append((self.now(), workload.name))

    def stop(self) -> LoadResult:
        """Schedule nothing more from now on; send the backlog (for up to ``drain_s``); return the result."""
        if self._result is not None:
            return self._result
        self._schedule.stop_at(self.now())
        self._wake.set()
        return self.wait()

    def wait(self) -> LoadResult:
        """Wait for the schedule to run out and the backlog to drain, then return the result."""
        if self._result is not None:
            return self._result
        deadline = self.t0 + self._schedule.end + self.config.drain_s
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.perf_counter()))
        if any(thread.is_alive() for thread in self._threads):
            self._cancel_running()
            for thread in self._threads:
                thread.join(timeout=10)
        if self._watch_gc in gc.callbacks:
            gc.callbacks.remove(self._watch_gc)
        lock_waits = self._sampler.stop() if self._sampler is not None else None
        for conn in self._conns:
            if conn is not None:
                conn.close()
        self._result = self._collect(lock_waits)
        return self._result

    def __enter__(self) -> LoadGenerator:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- the connections -------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection:
        # The URL's own options (a release's search_path, say) are kept: psycopg's ``options`` keyword
        # would otherwise replace them.
        options = str(conninfo_to_dict(self.url).get("options") or "")
        if self.config.statement_timeout_ms is not None:
            options = f"{options} -c statement_timeout={int(self.config.statement_timeout_ms)}".strip()
        conn = psycopg.connect(
            self.url,
            autocommit=True,
            application_name=self.config.application_name,
            connect_timeout=self.config.connect_timeout_s,
            options=options,
        )
        conn.prepare_threshold = self.config.prepare_threshold
        return conn

    def _cancel_running(self) -> None:
        """Past the drain deadline: cancel what is still running so that the run ends in bounded time."""
        for index, conn in enumerate(self._conns):
            if conn is not None and self._busy[index]:
                with contextlib.suppress(psycopg.Error):
                    conn.cancel_safe(timeout=2)

    def _work(self, index: int) -> None:
        rng = random.Random(self.config.seed * 1_000_003 + index)
        log = self._logs[index]
        drain_deadline = self.config.duration_s + self.config.drain_s
        while True:
            due = self._schedule.take()
            if due is None:
                return
            delay = due.intended - self.now()
            if delay > 0 and self._wake.wait(delay) and due.intended >= self._schedule.end:
                return  # stopped while waiting: this request is after the end of the schedule
            if self.now() > min(drain_deadline, self._schedule.end + self.config.drain_s):
                return  # the backlog ran out of time; the rest counts as unsent
            params = due.query.draw(rng)
            started = self.now()
            error = self._execute(index, due.query, params)
            log.add(due.seq, due.query_id, due.intended, started, self.now(), self._state_code(error))
            self._counter.add(error)

    def _execute(self, index: int, query: Query, params: dict[str, object]) -> str | None:
        """Send one request; None if it succeeded, else its SQLSTATE (or the client error's class)."""
        conn = self._conns[index]
        self._busy[index] = True
        try:
            if conn is None or conn.closed:
                conn = self._conns[index] = self._connect()
            cursor: psycopg.Cursor[Any]
            if query.positional:
                cursor = psycopg.RawCursor(conn)
                cursor.execute(query.sql.encode(), list(params.values()))
            else:
                cursor = conn.execute(query.sql.encode(), params)
            if cursor.description is not None:
                cursor.fetchall()
            return None
        except psycopg.Error as error:
            state = error.sqlstate or f"client:{type(error).__name__}"
            self._messages.setdefault(state, " ".join(str(error).split())[:300])
            if conn is not None and conn.broken:
                conn.close()
                self._conns[index] = None
            return state
        finally:
            self._busy[index] = False

    def _state_code(self, state: str | None) -> int:
        if state is None:
            return 0
        with self._states_lock:
            return self._states.setdefault(state, len(self._states) + 1)

    def _watch_gc(self, phase: str, info: dict[str, int]) -> None:
        """Record the generator's own garbage-collection pauses: they would pass for server stalls."""
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif info.get("generation") == 2 or time.perf_counter() - self._gc_started > 0.005:
            self._gc_pauses.append((self._gc_started - self.t0, time.perf_counter() - self._gc_started))

    # --- the result ------------------------------------------------------------------------------

    def _collect(self, lock_waits: LockWaitLog | None) -> LoadResult:
        merged = _Log()
        for log in self._logs:
            merged.extend(log)
        order = sorted(range(len(merged.seq)), key=merged.intended.__getitem__)
        names = sorted(self._states, key=self._states.__getitem__)  # by code: code n is names[n - 1]
        sent = set(merged.seq)
        scheduled = self._schedule.scheduled()
        unsent = [seq / self.config.rate for seq in range(scheduled) if seq not in sent]
        return LoadResult(
            t0_wall=self.t0_wall,
            rate=self.config.rate,
            connections=self.config.connections,
            query_names=list(self._schedule.names),
            query_kinds=list(self._schedule.kinds),
            sqlstates=names,
            intended=array("d", (merged.intended[i] for i in order)),
            started=array("d", (merged.started[i] for i in order)),
            ended=array("d", (merged.ended[i] for i in order)),
            query=array("I", (merged.query[i] for i in order)),
            error=array("I", (merged.error[i] for i in order)),
            unsent=len(unsent),
            unsent_intended=array("d", unsent),
            error_messages=dict(self._messages),
            lock_waits=lock_waits,
            workload_switches=list(self._switches),
            gc_pauses=list(self._gc_pauses),
        )


def run_load(url: str, workload: Workload, config: LoadConfig | None = None) -> LoadResult:
    """Run ``workload`` for the configured duration and return what was measured."""
    generator = LoadGenerator(url, workload, config)
    generator.start()
    return generator.wait()
