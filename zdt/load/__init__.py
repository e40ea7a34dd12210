"""Application load for proving that a migration costs the application nothing.

"Zero downtime" is a claim about the application's requests, so it is measured with them: a fixed rate of
the application's own queries (a corpus) or of generated point reads, inserts and updates, sent open-loop
over a fixed pool of connections while the migration runs, with every request's latency counted from when
it was meant to start and every failure counted by SQLSTATE.

Public API::

    Workload, Query, QueryKind, ValueSpec, ValueKind, TableShape     the application's queries (data)
    load_corpus(path, conn) / corpus_from_data(data, conn)           a workload from a JSON query corpus
    generated_workload(conn, tables, mix=Mix(), ...) -> Workload     point reads/inserts/updates by key
    Workload.with_column_renamed(table, old, new)                    the next release's queries
    LoadConfig(rate, connections, duration_s, max_requests, drain_s, prepare_threshold, ...)
    LoadGenerator(url, workload, config): start(), switch(workload), live_counts(), stop() -> LoadResult
    run_load(url, workload, config) -> LoadResult                    a run of the configured duration
    LoadProcess(url, workloads, config): start(), switch(name), stop()   the same in a child process
    LoadResult: window(start, end) -> WindowStats, per_second() -> [SecondStats],
                errors_by_sqlstate(), count_by_query(), count_by_kind(), offset(wall_time)
    LockWaitSampler / LockWaitLog                                    application sessions waiting on locks
"""

from zdt.load.generated import Mix, generated_workload, table_shape
from zdt.load.generator import LiveCounts, LoadConfig, LoadGenerator, run_load
from zdt.load.lockwaits import LockWait, LockWaitLog, LockWaitSampler
from zdt.load.process import LoadProcess, LoadProcessError
from zdt.load.result import LoadResult, SecondStats, WindowStats, percentile
from zdt.load.workload import (
    Query,
    QueryKind,
    TableShape,
    ValueKind,
    ValueSpec,
    Workload,
    corpus_from_data,
    load_corpus,
    primary_key_range,
)

__all__ = [
    "LiveCounts",
    "LoadConfig",
    "LoadGenerator",
    "LoadProcess",
    "LoadProcessError",
    "LoadResult",
    "LockWait",
    "LockWaitLog",
    "LockWaitSampler",
    "Mix",
    "Query",
    "QueryKind",
    "SecondStats",
    "TableShape",
    "ValueKind",
    "ValueSpec",
    "WindowStats",
    "Workload",
    "corpus_from_data",
    "generated_workload",
    "load_corpus",
    "percentile",
    "primary_key_range",
    "run_load",
    "table_shape",
]
