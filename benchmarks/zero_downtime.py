"""Prove zero downtime: the same open-loop application load during each naive migration and its zdt plan.

On the embedded PostgreSQL, with ``posts`` (5M rows by default) and ``users`` (100k), an application
load of 2,000 requests/s over 8 connections (60 % point SELECT, 20 % INSERT, 20 % UPDATE, psycopg's
server-side prepared statements on) runs in a child process while each scenario is migrated the naive
way and through zdt's plan. Every case runs ``--repeat`` times, in rounds that each start with a
baseline run (the same load, no migration), and each run gets a fresh copy of the same data.

Usage: ``python benchmarks/zero_downtime.py [--posts N] [--repeat N] [--scenarios a,b] [--json PATH]``.
Progress goes to stderr, the table to stdout. See benchmarks/README.md for what is measured and why.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psycopg
from rich.console import Console

from zdt.db.embedded import EmbeddedPostgres
from zdt.db.urls import with_database
from zdt.executor import ExecutorSettings
from zdt.load import LoadConfig, LoadProcess, LoadResult, Mix, Workload, generated_workload
from zdt.plan.model import MigrationPlan

try:
    from benchmarks.zero_downtime_dataset import (
        TEMPLATE,
        build_template,
        checkpoint_counts,
        configure_server,
        copy_database,
        drop_database,
        warm,
    )
    from benchmarks.zero_downtime_report import Limits, RunMetrics, add_ratios, error_notes, measure, table
    from benchmarks.zero_downtime_scenarios import (
        SCENARIOS,
        ZDT_NICE,
        ZDT_WAL,
        ZDT_WALZ,
        ZDT_WATCHED,
        Blocker,
        Scenario,
        Watched,
        make_plans,
        run_naive,
        run_zdt,
    )
except ImportError:  # python benchmarks/zero_downtime.py: this folder is sys.path[0]
    from zero_downtime_dataset import (  # type: ignore[no-redef]
        TEMPLATE,
        build_template,
        checkpoint_counts,
        configure_server,
        copy_database,
        drop_database,
        warm,
    )
    from zero_downtime_report import (  # type: ignore[no-redef]
        Limits,
        RunMetrics,
        add_ratios,
        error_notes,
        measure,
        table,
    )
    from zero_downtime_scenarios import (  # type: ignore[no-redef]
        SCENARIOS,
        ZDT_NICE,
        ZDT_WAL,
        ZDT_WALZ,
        ZDT_WATCHED,
        Blocker,
        Scenario,
        Watched,
        make_plans,
        run_naive,
        run_zdt,
    )

RUN_DATABASE = "zdt_bench_run"
METHODS = ("naive", "zdt", ZDT_WAL, ZDT_WALZ, ZDT_WATCHED, ZDT_NICE)
POSTS, USERS = "public.posts", "public.users"
progress = Console(stderr=True, highlight=False)


def executor_settings(method: str, args: argparse.Namespace) -> ExecutorSettings | None:
    """How the executor runs the plan for ``method``: None is the defaults (``zdt``)."""
    if method == ZDT_NICE:
        return ExecutorSettings(backend_nice=10)
    if method == ZDT_WAL:
        return ExecutorSettings(max_wal_bytes_per_s=int(args.wal_rate * 1_000_000))
    if method == ZDT_WALZ:
        return ExecutorSettings(wal_compression=args.wal_compression)
    return None


def application(template_url: str, read: float, insert: float, update: float) -> list[Workload]:
    """The application's queries, and those of its next release for each expand/contract scenario.

    Generated from the template's schema: point reads, inserts and updates by primary key on posts (80 %
    of the traffic) and users (20 %); posts.author_id draws existing user ids (there is no foreign key
    yet: scenario 3 adds it, and the load's inserts must satisfy it from then on).
    """
    with psycopg.connect(template_url) as conn:
        app = generated_workload(
            conn,
            [POSTS, USERS],
            mix=Mix(read=read, insert=insert, update=update),
            table_weights={POSTS: 0.8, USERS: 0.2},
            references={POSTS: {"author_id": USERS}},
            update_columns={POSTS: ["title", "score"]},
            name="app",
        )
    releases = [app]
    for scenario in SCENARIOS:
        for rename in (scenario.zdt_rename, scenario.naive_rename):
            name = f"{rename[0]}->{rename[1]}" if rename else None
            if rename and name not in {w.name for w in releases}:
                releases.append(app.with_column_renamed(POSTS, rename[0], rename[1], name=name))
    return releases


def run_case(
    args: argparse.Namespace,
    admin_url: str,
    workloads: list[Workload],
    scenario: Scenario | None,
    method: str,
    plan: MigrationPlan | None,
    round_number: int,
    log_dir: Path,
) -> tuple[RunMetrics, LoadResult]:
    """One run: fresh data, load, warm-up, the migration (or nothing), ``--after`` seconds, measure."""
    url = copy_database(admin_url, RUN_DATABASE)
    config = LoadConfig(
        rate=args.rate,
        connections=args.connections,
        duration_s=args.warmup + args.max_migration_s + args.after + 30,
        drain_s=60,
        seed=round_number,
    )
    load = LoadProcess(url, workloads, config)
    try:
        load.start()
        time.sleep(args.warmup)
        checkpoints_before = checkpoint_counts(admin_url)
        if scenario is None:
            started = time.time()
            time.sleep(args.baseline)
            finished, work_s, outcome = started, 0.0, None
            after = args.baseline
        else:
            blocker = Blocker(url, scenario.blocker_s) if scenario.blocker_s else None
            if blocker is not None:
                blocker.start()
            if method == "naive":
                outcome = run_naive(url, scenario, load.switch, args.deploy_lag)
            elif method == ZDT_WATCHED:
                assert plan is not None
                with Watched(url) as watched:
                    outcome = run_zdt(
                        url, plan, scenario, load.switch, args.deploy_lag, log_dir, watched.throttle
                    )
                outcome.notes.append(f"the monitor paused the executor {watched.throttle.pauses} times")
            else:
                assert plan is not None
                settings = executor_settings(method, args)
                outcome = run_zdt(
                    url, plan, scenario, load.switch, args.deploy_lag, log_dir, settings=settings
                )
            if blocker is not None:
                blocker.join()
            started, finished, work_s = outcome.started, outcome.finished, outcome.work_s
            after = args.after
            time.sleep(max(0.0, finished + after - time.time()))
        checkpoints_after = checkpoint_counts(admin_url)
        result = load.stop()
    finally:
        load.close()
        drop_database(admin_url, RUN_DATABASE)
    metrics = measure(
        result,
        scenario=scenario.title if scenario else "baseline (no migration)",
        method=method,
        round_number=round_number,
        started=started,
        finished=finished,
        migration_s=work_s,
        after_s=after,
    )
    metrics.checkpoints = (
        checkpoints_after[0] - checkpoints_before[0],
        checkpoints_after[1] - checkpoints_before[1],
    )
    if scenario is not None and outcome is not None:
        metrics.blocked = scenario.blocker_s > 0
        metrics.backfill = scenario.backfill
        metrics.rows = outcome.rows
        metrics.ok, metrics.message = outcome.ok, outcome.message
        metrics.notes = outcome.notes
        metrics.marks = [(round(result.offset(at), 3), kind, step) for at, kind, step, _ in outcome.events]
    return metrics, result


def current_commit() -> str:
    """The checkout's commit, read when the run starts: the code imported is the code of that moment."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def describe_machine(server_version: str, args: argparse.Namespace, rounds: int) -> str:
    commit = args.commit
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · zdt {metadata.version('zdt')} ({commit}) · "
        f"PostgreSQL {server_version} (embedded) · psycopg {psycopg.__version__} · "
        f"Python {platform.python_version()} · {platform.machine()}, {os.cpu_count()} CPUs\n"
        f"posts {args.posts:,} rows, users {args.users:,} · load {args.rate:,.0f} req/s open loop over "
        f"{args.connections} connections ({args.read:.0%} SELECT / {args.insert:.0%} INSERT / "
        f"{args.update:.0%} UPDATE, prepared statements on) · {rounds} round(s) · warm-up "
        f"{args.warmup:g} s, measured: the migration + {args.after:g} s after · "
        f"deploy lag {args.deploy_lag:g} s"
        + (f" · server: {', '.join(args.server_applied)}" if getattr(args, "server_applied", None) else "")
        + (f" · {ZDT_WAL}: {args.wal_rate:g} MB/s of WAL" if ZDT_WAL in args.methods.split(",") else "")
        + (
            f" · {ZDT_WALZ}: wal_compression={args.wal_compression}"
            if ZDT_WALZ in args.methods.split(",")
            else ""
        )
    )


def report(
    out: Console, runs: list[RunMetrics], args: argparse.Namespace, server_version: str, limits: Limits
) -> None:
    """The header, the one table, the legend, and the SQLSTATEs and rows/s under it."""
    add_ratios(runs)
    cases: dict[tuple[str, str], list[RunMetrics]] = {}
    for run in runs:
        cases.setdefault((run.scenario, run.method), []).append(run)
    rounds = len({run.round for run in runs})
    out.print(describe_machine(server_version, args, rounds))
    out.print(table(cases, limits, f"Zero downtime: {len(runs)} runs, cells are median / worst"))
    out.print(
        f"failed = errors + requests never sent, during the migration and the {args.after:g} s after; "
        f"p99/max from each request's intended start; stall = longest time with no request completing; "
        f"lock wait = longest stretch with an application session waiting on a lock; p99 / baseline against "
        f"the same round's baseline run; rows/s ratio = batched ÷ one UPDATE, same round. zdt must show: 0 "
        f"failed, 0 over 1 s, max < {limits.max_ms:.0f} ms, lock wait <= {limits.lock_wait_ms:.0f} ms, "
        f"and (without a blocker) p99 <= {limits.p99_ratio}x baseline and max < "
        f"{limits.max_ms_unblocked:.0f} ms; the backfill >= {limits.backfill_rows_ratio:.0%} of one UPDATE's "
        f"rows/s with max < {limits.backfill_max_ms:.0f} ms."
    )
    for line in error_notes(cases):
        out.print(line)


def _write_json(path: Path, series: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(series, indent=1, default=str))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=5_000_000, help="rows in posts (default 5,000,000)")
    parser.add_argument("--users", type=int, default=100_000, help="rows in users (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; every case runs once per round")
    parser.add_argument("--rate", type=float, default=2000.0, help="requests per second (open loop)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--read", type=float, default=0.6)
    parser.add_argument("--insert", type=float, default=0.2)
    parser.add_argument("--update", type=float, default=0.2)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before the migration")
    parser.add_argument("--after", type=float, default=10.0, help="seconds measured after the migration")
    parser.add_argument("--baseline", type=float, default=15.0, help="seconds measured in a baseline run")
    parser.add_argument(
        "--deploy-lag", type=float, default=1.0, help="seconds the new release takes to roll out"
    )
    parser.add_argument("--max-migration-s", type=float, default=600.0, help="bound on one migration's time")
    parser.add_argument(
        "--scenarios",
        default="",
        help="comma-separated keys (default: all): " + ", ".join(s.key for s in SCENARIOS),
    )
    parser.add_argument(
        "--methods",
        default=",".join(METHODS[:2]),
        help=f"comma-separated, of {', '.join(METHODS)} ({ZDT_WAL}, {ZDT_WALZ}, {ZDT_WATCHED}: only "
        "where the plan has a backfill)",
    )
    parser.add_argument(
        "--wal-rate",
        type=float,
        default=20.0,
        metavar="MB/S",
        help=f"the WAL budget of {ZDT_WAL}'s backfills",
    )
    parser.add_argument(
        "--wal-compression",
        default="pglz",
        metavar="METHOD",
        help=f"what {ZDT_WALZ}'s executor session sets wal_compression to",
    )
    parser.add_argument("--json", type=Path, help="write every run (with its per-second series) here")
    parser.add_argument(
        "--server-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting for the whole run (ALTER SYSTEM, reload), e.g. max_wal_size=8GB; repeatable",
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=0.0,
        help="seconds; start no round that the last one's duration says would not finish in time (0: none)",
    )
    args = parser.parse_args(argv)
    if args.posts < 1000 or args.users < 100 or not 1 <= args.repeat <= 20:
        parser.error("need --posts >= 1000, --users >= 100 and 1 <= --repeat <= 20")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.commit = current_commit()
    wanted = {key for key in args.scenarios.split(",") if key}
    unknown = wanted - {s.key for s in SCENARIOS}
    if unknown:
        progress.print(f"unknown scenarios: {', '.join(sorted(unknown))}")
        return 2
    scenarios = [s for s in SCENARIOS if not wanted or s.key in wanted]
    methods = [m for m in args.methods.split(",") if m in METHODS]
    limits = Limits()
    runs: list[RunMetrics] = []
    series: list[dict[str, object]] = []
    began = time.monotonic()
    last_round_s = 0.0
    with EmbeddedPostgres() as server, tempfile.TemporaryDirectory(prefix="zdt-bench-") as tmp:
        admin_url = server.url
        with psycopg.connect(admin_url) as conn:
            server_version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        args.server_applied = configure_server(admin_url, args.server_setting)
        progress.print(f"building {args.posts:,} posts and {args.users:,} users ...")
        built = build_template(admin_url, posts=args.posts, users=args.users, log=progress.print)
        progress.print(f"template built in {built:.0f} s")
        template_url = with_database(admin_url, TEMPLATE)
        warm(template_url)
        workloads = application(template_url, args.read, args.insert, args.update)
        plans = {s.key: make_plans(template_url, s) for s in scenarios}
        for round_number in range(1, args.repeat + 1):
            round_began = time.monotonic()
            if (
                round_number > 1
                and args.time_budget
                and ((round_began - began) + last_round_s > args.time_budget)
            ):
                progress.print(f"time budget: stopping after {round_number - 1} round(s)")
                break
            cases: list[tuple[Scenario | None, str]] = [(None, "baseline")]
            for scenario in scenarios:
                # Alternate which method goes first, so that drift within a round hits both alike.
                usable = [m for m in methods if m == "naive" or m in plans[scenario.key]]
                order = usable if round_number % 2 else list(reversed(usable))
                cases.extend((scenario, method) for method in order)
            for scenario, method in cases:
                label = f"round {round_number}/{args.repeat}: {scenario.title if scenario else 'baseline'} "
                progress.print(f"{label}({method}) ...", end=" ")
                metrics, result = run_case(
                    args,
                    admin_url,
                    workloads,
                    scenario,
                    method,
                    plans[scenario.key].get(method) if scenario else None,
                    round_number,
                    Path(tmp),
                )
                runs.append(metrics)
                progress.print(
                    f"{metrics.migration_s:.2f} s, max {metrics.max_ms:,.0f} ms, failed {metrics.failed:,}"
                    f"{'' if metrics.ok else ' MIGRATION FAILED: ' + metrics.message[:200]}"
                    f" [{time.monotonic() - began:.0f} s]"
                )
                series.append(
                    {"run": asdict(metrics), "per_second": [asdict(s) for s in result.per_second()]}
                )
            last_round_s = time.monotonic() - round_began
            so_far = Console(stderr=True, width=250, highlight=False)
            report(so_far, list(runs), args, server_version, limits)  # in case the run is cut short
            if args.json:
                _write_json(args.json, series)
    report(Console(width=250, highlight=False), runs, args, server_version, limits)
    if args.json:
        _write_json(args.json, series)
    zdt_failed = any(run.failures(limits) for run in runs if run.method.startswith("zdt"))
    progress.print(f"done in {time.monotonic() - began:.0f} s")
    return 1 if zdt_failed else 0


if __name__ == "__main__":
    sys.exit(main())
