"""The zero-downtime benchmark's scenarios, and the two ways of running each: naive and zdt's plan.

Naive is what a developer types into psql: each statement as written, autocommit, no lock_timeout. The
zdt plan is ``plan_sql`` against the live schema, through the gate (``stamp``), applied by the executor
with its defaults. Both run while the same open-loop load runs in another process.

Scenarios 4 (type change) and 5 (rename) are expand/contract: the application has to move to the new
column before the old one can go. The benchmark models that deployment: after the migrate phase the old
release keeps serving for ``deploy_lag_s`` (rolling out takes time), then the load switches to the
queries of the new release, then the contract runs. The naive rename gets the same deployment after
its statement: during the lag the old release sends queries naming a column that no longer exists.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from zdt.analysis.source import parse_statements
from zdt.executor import EventKind, ExecutionEvent, ExecutionResult, ExecutorSettings, Throttle, apply_plan
from zdt.monitor import MIGRATION_START, MetricsSampler, MonitorThrottle, table_probes
from zdt.plan.check import stamp
from zdt.plan.model import MigrationPlan, Phase
from zdt.recipes.planner import plan_sql
from zdt.schema.snapshot import introspect

Switch = Callable[[str], object]
"""Tell the load to move to the workload of that name (the new release is deployed)."""


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    sql: str
    blocker_s: float = 0.0  # another session's open transaction that has read posts, held this long
    zdt_rename: tuple[str, str] | None = None  # the column the app must move to before the contract
    naive_rename: tuple[str, str] | None = None  # the column the app must move to after the statement
    backfill: bool = False  # report rows/s

    def release(self, method: str) -> str | None:
        """Name of the workload of the application's next release for this method, if there is one."""
        rename = self.zdt_rename if method == "zdt" else self.naive_rename
        return f"{rename[0]}->{rename[1]}" if rename else None


SCENARIOS = [
    Scenario("create-index", "1. CREATE INDEX", "CREATE INDEX posts_created_at_idx ON posts (created_at);"),
    Scenario(
        "volatile-default",
        "2. ADD COLUMN NOT NULL volatile DEFAULT",
        "ALTER TABLE posts ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();",
    ),
    Scenario(
        "foreign-key",
        "3. ADD FOREIGN KEY",
        "ALTER TABLE posts ADD CONSTRAINT posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id);",  # noqa: E501
    ),
    Scenario(
        "int-to-bigint",
        "4. author_id int -> bigint",
        "ALTER TABLE posts ALTER COLUMN author_id TYPE bigint;",
        zdt_rename=("author_id", "author_id_zdt_new"),
    ),
    Scenario(
        "rename-column",
        "5. RENAME COLUMN (used by the load)",
        "ALTER TABLE posts RENAME COLUMN title TO headline;",
        zdt_rename=("title", "headline"),
        naive_rename=("title", "headline"),
    ),
    Scenario(
        "lock-queue",
        "6. cheap ADD COLUMN behind a 5 s transaction",
        "ALTER TABLE posts ADD COLUMN note text;",
        blocker_s=5.0,
    ),
    # New rows get the default, old rows are backfilled: the end state holds under the load's inserts and
    # updates (a value derived from a column the load writes, such as length(title), would not).
    Scenario(
        "backfill",
        "7. full-table backfill",
        "ALTER TABLE posts ADD COLUMN revision integer;\n"
        "ALTER TABLE posts ALTER COLUMN revision SET DEFAULT 1;\n"
        "UPDATE posts SET revision = 1;",
        backfill=True,
    ),
]


@dataclass
class Outcome:
    """How the migration went, with wall-clock (``time.time()``) marks for the load's windows."""

    started: float
    finished: float  # the migration's end, contract included
    work_s: float  # time spent migrating (the deployment lag excluded)
    ok: bool = True
    message: str = ""
    rows: int = 0  # rows the backfill updated
    retries: int = 0  # lock-timeout retries of the executor
    switched: float | None = None
    notes: list[str] = field(default_factory=list)
    events: list[tuple[float, str, str, str]] = field(default_factory=list)  # (time, kind, step, message)

    def record(self, event: ExecutionEvent) -> None:
        """The executor's events, kept to line up its steps and retries with the load's stalls."""
        if event.kind is not EventKind.BATCH_DONE or event.rows == event.total_rows:
            self.events.append((event.at.timestamp(), event.kind.value, event.step_id or "", event.message))


ZDT = "zdt"
ZDT_WAL = "zdt-wal"
"""zdt's plan with its backfills held to a WAL budget (``ExecutorSettings(max_wal_bytes_per_s=...)``,
``--wal-rate``): fewer checkpoints and dirty buffers per second during the backfill, for less rows/s."""


ZDT_NICE = "zdt-nice"
"""zdt's plan with the executor's work backend at nice 10 (``ExecutorSettings(backend_nice=10)``, opt-in:
the server is on this host here), so the kernel runs the application's backends first."""

ZDT_WALZ = "zdt-walz"
"""zdt's plan with the executor's session compressing its WAL's full-page images
(``ExecutorSettings(wal_compression=...)``, ``--wal-compression``): less WAL per row for the same rows/s."""

ZDT_WATCHED = "zdt-watched"
"""zdt's plan run as a session runs it in production: the monitor samples every 200 ms and its throttle
pauses the backfill (and postpones lock-taking steps) while any signal is over a threshold (probe latency
+50 % over its baseline, lock waits, errors)."""


class Watched:
    """The session's monitor around a benchmark run: a sampler on posts and users, and its throttle."""

    def __init__(self, url: str) -> None:
        self.sampler = MetricsSampler(url, table_probes(["public.posts", "public.users"]), interval_s=0.2)
        self.throttle = MonitorThrottle(self.sampler)

    def __enter__(self) -> Watched:
        self.sampler.start()
        self.sampler.wait_for_samples(5, timeout_s=10)  # a baseline under the load, before the plan
        self.sampler.mark(MIGRATION_START)
        return self

    def __exit__(self, *exc: object) -> None:
        self.sampler.stop()


def make_plans(url: str, scenario: Scenario) -> dict[str, MigrationPlan]:
    """The scenario's SQL planned against the live schema and passed through the gate, under the name of
    each method that runs it (the methods differ in how the executor runs the one plan)."""
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    plan = plan_sql(scenario.sql, source=scenario.key, snapshot=snapshot, plan_id=f"bench-{scenario.key}")
    plans = {ZDT: stamp(plan, snapshot)}
    plans[ZDT_NICE] = plans[ZDT]
    if any(step.backfill is not None for step in plan.steps):
        plans[ZDT_WAL] = plans[ZDT]
        plans[ZDT_WALZ] = plans[ZDT]
        plans[ZDT_WATCHED] = plans[ZDT]
    return plans


class Blocker:
    """An application transaction that read posts and stays open: the lock-queue hazard."""

    def __init__(self, url: str, hold_s: float) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(url, hold_s), daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the blocking transaction did not start")

    def join(self) -> None:
        self._thread.join(timeout=30)

    def _hold(self, url: str, hold_s: float) -> None:
        with psycopg.connect(url, application_name="zdt-bench-blocker") as conn:
            conn.execute("SELECT id FROM posts ORDER BY id LIMIT 1").fetchall()  # ACCESS SHARE until commit
            self._ready.set()
            time.sleep(hold_s)
            conn.commit()


def run_naive(url: str, scenario: Scenario, switch: Switch, deploy_lag_s: float) -> Outcome:
    """Each statement as written, autocommit, no timeouts: what ``psql -f`` would do."""
    statements = [statement.sql for statement in parse_statements(scenario.sql, scenario.key)]
    outcome = Outcome(started=time.time(), finished=0.0, work_s=0.0)
    with psycopg.connect(url, autocommit=True, application_name="zdt-bench-naive") as conn:
        for statement in statements:
            try:
                cursor = conn.execute(statement.encode())
            except psycopg.Error as error:
                outcome.ok, outcome.message = False, f"{error.sqlstate}: {error}".strip()
                break
            if statement.lstrip().upper().startswith("UPDATE"):
                outcome.rows += max(cursor.rowcount, 0)
    outcome.work_s = time.time() - outcome.started
    release = scenario.release("naive")
    if release is not None:
        time.sleep(deploy_lag_s)
        switch(release)
        outcome.switched = time.time()
    outcome.finished = time.time()
    return outcome


def run_zdt(
    url: str,
    plan: MigrationPlan,
    scenario: Scenario,
    switch: Switch,
    deploy_lag_s: float,
    log_dir: Path,
    throttle: Throttle | None = None,
    settings: ExecutorSettings | None = None,
) -> Outcome:
    """The plan through the executor; with a release switch between the migrate and contract phases."""
    log_path = log_dir / f"{scenario.key}-MIGRATION-LOG.md"
    outcome = Outcome(started=time.time(), finished=0.0, work_s=0.0)
    release = scenario.release("zdt")
    if release is None:
        results = [
            apply_plan(
                plan, url, log_path=log_path, on_event=outcome.record, throttle=throttle, settings=settings
            )
        ]
        outcome.work_s = time.time() - outcome.started
    else:
        results = [
            apply_plan(
                plan,
                url,
                phases=[Phase.EXPAND, Phase.MIGRATE],
                log_path=log_path,
                on_event=outcome.record,
                throttle=throttle,
                settings=settings,
            )
        ]
        outcome.work_s = time.time() - outcome.started
        if results[0].ok:
            time.sleep(deploy_lag_s)
            switch(release)
            outcome.switched = time.time()
            contract_started = time.time()
            results.append(
                apply_plan(
                    plan,
                    url,
                    phases=[Phase.CONTRACT],
                    log_path=log_path,
                    on_event=outcome.record,
                    throttle=throttle,
                    settings=settings,
                )
            )
            outcome.work_s += time.time() - contract_started
    outcome.finished = time.time()
    _summarise(outcome, results)
    if settings is not None and settings.wal_compression and log_path.exists():
        # Whether the server took the setting is only in the log (shared by the round's methods, so
        # the last run's note is this one's): say it under the table.
        said = [line for line in log_path.read_text().splitlines() if "WAL compression" in line]
        outcome.notes.extend(line[line.index("WAL compression") :].strip() for line in said[-1:])
    return outcome


def _summarise(outcome: Outcome, results: list[ExecutionResult]) -> None:
    for result in results:
        if not result.ok:
            outcome.ok, outcome.message = False, result.message
        for step in result.steps:
            outcome.retries += step.retries
            if step.rows and step.step_id.endswith(("batched-update", "backfill")):
                outcome.rows += step.rows
            if step.retries:
                outcome.notes.append(f"{step.step_id}: {step.retries} lock retries")
