"""zdt over real migration folders: files linted, plans stamped, refusals by reason, equivalence failures.

Each folder is replayed in order on a scratch database of one server, the way the project's own tool
applied it: before each file, the schema so far is introspected (table sizes set to a million rows, as
production would have them, so every table counts as live and large), the file is linted and planned
against it, and a stamped plan is applied by the real executor to one copy of the database while the
file runs as written on another. The two schemas must be equal: a difference is a plan that would
change what the migration means, and the figure that must stay at 0. The copy where the file ran as
written becomes the state for the next file.

    python benchmarks/real_migrations.py /work/corpus/crates.io/migrations /work/corpus/documenso/...
    python benchmarks/real_migrations.py --json out.json FOLDER...   # figures and every refusal

Each folder is read the way its tool reads it (``zdt.migrations.read_folder``: Prisma, diesel, Flyway,
golang-migrate, dbmate, pop, plain SQL). The folders are public projects' migrations fetched for local
runs; none are committed. Without ``--server-url`` an embedded PostgreSQL is started; a server with the
contrib extensions (pgcrypto, uuid-ossp, ...) lets more folders replay to their end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from zdt.analysis.analyser import analyse_script, new_state
from zdt.analysis.model import Severity
from zdt.analysis.source import SqlSyntaxError
from zdt.db.embedded import EmbeddedPostgres
from zdt.db.urls import with_database
from zdt.executor import ExecutorSettings, apply_plan
from zdt.migrations import read_folder
from zdt.plan.check import check_plan, for_a_copy
from zdt.plan.model import MigrationPlan
from zdt.recipes.base import PlannerSettings
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import run_as_written, run_declared_end_state
from zdt.schema import SchemaSnapshot, introspect
from zdt.schema.diff import schema_differences

LIVE_ROWS = 1_000_000
# versioned_schemas=None: as `zdt plan` and `zdt run` plan by default (version schemas for renames and
# type changes), so the equivalence proof covers them too.
SETTINGS = PlannerSettings(batch_size=10_000, batch_pause_ms=0, versioned_schemas=None)
EXECUTOR = ExecutorSettings(batch_pause_ms=0, application_name="zdt-real-migrations")


@dataclass
class FolderFigures:
    folder: str
    tool: str = ""
    files: int = 0
    statements: int = 0
    lint_errors: int = 0
    stamped: int = 0
    refused: int = 0
    no_op: int = 0
    equivalence_failures: int = 0
    stopped: str | None = None
    refusals: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)


def _as_live(snapshot: SchemaSnapshot) -> SchemaSnapshot:
    tables = {
        name: table.model_copy(update={"rows": LIVE_ROWS, "bytes": LIVE_ROWS * 100})
        for name, table in snapshot.tables.items()
    }
    return snapshot.model_copy(update={"tables": tables})


def _reason(message: str) -> str:
    """The kind of refusal, without the file's names, so that refusals can be counted by reason."""
    text = re.sub(r"^line \d+: ", "", message.splitlines()[0])
    text = re.sub(r'"[^"]*"|\S+\.\S+|\b\d+\b', "…", text)
    return text[:120]


class Server:
    """Scratch databases on one server: created from a template, dropped when done."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def create(self, template: str | None = None) -> str:
        name = f"zdt_real_{uuid.uuid4().hex[:10]}"
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(query)
        return name

    def drop(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def url(self, name: str) -> str:
        return with_database(self.admin_url, name)


def _snapshot(url: str) -> SchemaSnapshot:
    with psycopg.connect(url) as conn:
        return introspect(conn, sizes=False)


def replay_folder(server: Server, folder: Path, log_dir: Path, limit: int | None) -> FolderFigures:
    figures = FolderFigures(folder=str(folder))
    read = read_folder(folder)
    figures.tool = read.tool
    current = server.create()
    migrations = read.migrations[:limit]
    try:
        for number, migration in enumerate(migrations, start=1):
            path, text = migration.path, migration.sql
            print(f"  [{number}/{len(migrations)}] {path.relative_to(folder)}", file=sys.stderr, flush=True)
            figures.files += 1
            stop = _one_file(server, current, path, text, figures, log_dir)
            if stop is not None:
                figures.stopped = stop
                break
            current = advance(server, current, text, path, figures)
            if figures.stopped:
                break
    finally:
        server.drop(current)
    return figures


def advance(server: Server, current: str, text: str, path: Path, figures: FolderFigures) -> str:
    """Run the file as written on a copy of ``current``; that copy is the state for the next file."""
    written = server.create(template=current)
    failure = run_as_written(text, server.url(written))
    server.drop(current)
    if failure is not None:
        figures.stopped = f"{path}: the file fails as written on this server, {failure}"
    return written


def _one_file(
    server: Server, current: str, path: Path, text: str, figures: FolderFigures, log_dir: Path
) -> str | None:
    url = server.url(current)
    snapshot = _as_live(_snapshot(url))
    try:
        reports = analyse_script(text, new_state(snapshot=snapshot), source=str(path))
    except SqlSyntaxError as error:
        return f"{path}: does not parse: {error}"
    figures.statements += len(reports)
    figures.lint_errors += sum(
        1 for report in reports for finding in report.findings if finding.severity is Severity.ERROR
    )
    try:
        plan = plan_sql(text, source=str(path), snapshot=snapshot, settings=SETTINGS)
    except PlanningError as error:
        figures.refused += 1
        figures.refusals.append({"file": str(path), "reason": _reason(str(error)), "message": str(error)})
        return None
    if not plan.steps:
        figures.no_op += 1
        return None
    problems = check_plan(plan, snapshot)
    if problems:
        figures.refused += 1
        first = str(problems[0])
        figures.refusals.append(
            {"file": str(path), "reason": "gate: " + _reason(first.split(": ", 1)[-1]), "message": first}
        )
        return None
    figures.stamped += 1
    difference = _equivalence(server, current, plan, text, log_dir)
    if difference is not None:
        figures.equivalence_failures += 1
        figures.failures.append({"file": str(path), "difference": difference})
    return None


def _equivalence(server: Server, current: str, plan: MigrationPlan, text: str, log_dir: Path) -> str | None:
    written, planned = server.create(template=current), server.create(template=current)
    try:
        failure = run_as_written(text, server.url(written))
        if failure is not None:
            return None  # the folder stops at this file; not a plan's fault
        run_declared_end_state(plan, server.url(written))
        result = apply_plan(
            for_a_copy(plan), server.url(planned), settings=EXECUTOR, log_path=log_dir / "log.md"
        )
        if not result.ok:
            return f"the plan fails where the file runs: {result.message}"
        differences = schema_differences(
            _snapshot(server.url(written)),
            _snapshot(server.url(planned)),
            expected_as="as written",
            actual_as="plan",
        )
        return differences[0] if differences else None
    finally:
        server.drop(written)
        server.drop(planned)


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with EmbeddedPostgres() as server:
        yield server.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--server-url", help="superuser URL of the server for the scratch databases")
    parser.add_argument("--limit", type=int, help="at most this many files per folder")
    parser.add_argument("--json", type=Path, help="write every figure, refusal and failure here")
    args = parser.parse_args(argv)
    all_figures: list[FolderFigures] = []
    started = time.monotonic()
    log_dir = Path("/tmp") / f"zdt-real-{uuid.uuid4().hex[:8]}"
    log_dir.mkdir(parents=True)
    with _server(args.server_url) as admin_url:
        server = Server(admin_url)
        for folder in args.folders:
            print(f"{folder}", file=sys.stderr, flush=True)
            all_figures.append(replay_folder(server, folder, log_dir, args.limit))
    _print_table(all_figures, time.monotonic() - started)
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in all_figures], indent=2))
    return 1 if any(f.equivalence_failures for f in all_figures) else 0


def _print_table(all_figures: list[FolderFigures], seconds: float) -> None:
    header = (
        f"{'folder':<48} {'files':>6} {'stmts':>7} {'errors':>7} {'stamped':>8} {'refused':>8} "
        f"{'no-op':>6} {'equiv-fail':>10}"
    )
    print(header)
    for f in all_figures:
        name = f.folder[-48:]
        print(
            f"{name:<48} {f.files:>6} {f.statements:>7} {f.lint_errors:>7} {f.stamped:>8} {f.refused:>8} "
            f"{f.no_op:>6} {f.equivalence_failures:>10}"
        )
        if f.stopped:
            print(f"    stopped: {f.stopped[:160]}")
    totals = Counter[str]()
    for f in all_figures:
        totals.update(
            {"files": f.files, "stamped": f.stamped, "refused": f.refused, "fail": f.equivalence_failures}
        )
    print(
        f"total: {totals['files']} files, {totals['stamped']} stamped, {totals['refused']} refused, "
        f"{totals['fail']} equivalence failures, {seconds:.0f} s"
    )
    reasons = Counter(r["reason"] for f in all_figures for r in f.refusals)
    print("refused, by reason:")
    for reason, count in reasons.most_common(25):
        print(f"  {count:>5}  {reason}")
    for f in all_figures:
        for failure in f.failures[:10]:
            print(f"  equivalence failure: {failure['file']}: {failure['difference'][:200]}")


if __name__ == "__main__":
    raise SystemExit(main())
