"""Lint throughput: zdt's analyser against squawk on the same generated migration corpus.

Run ``python benchmarks/lint_throughput.py --help``. The machine this runs on is shared and noisy, so every
measurement is repeated, the tools are interleaved (each round runs every mode, in a rotated order) and the
result that matters is the *ratio* to squawk, taken per round and then the median. Absolute seconds are only
context. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

try:  # python -m benchmarks.lint_throughput, from the repository root
    from benchmarks.corpus import (
        DEFAULT_FILES,
        DEFAULT_SEED,
        DEFAULT_STATEMENTS_PER_FILE,
        generate_corpus,
        statement_count,
        write_corpus,
    )
except ImportError:  # python benchmarks/lint_throughput.py: this folder is sys.path[0]
    from corpus import (  # type: ignore[no-redef]
        DEFAULT_FILES,
        DEFAULT_SEED,
        DEFAULT_STATEMENTS_PER_FILE,
        generate_corpus,
        statement_count,
        write_corpus,
    )

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = "pip install -e '.[bench]'"
REFERENCE = ("squawk", "--reporter gcc 'DIR/*.sql'")

console = Console()
if not console.is_terminal:  # piped into a file or a README: wide enough for the whole table
    console = Console(width=132)
log = Console(stderr=True)


@dataclass(frozen=True)
class Sample:
    """One timed run: wall-clock seconds and CPU seconds (user + system, this process or its child)."""

    wall: float
    cpu: float


@dataclass(frozen=True)
class Check:
    """The untimed warm-up run: whether the mode works here, and what it found."""

    available: bool
    reason: str = ""
    findings: int | None = None
    note: str = ""


@dataclass
class Mode:
    """One way of linting the corpus: a tool, how it is invoked, and its samples."""

    tool: str
    mode: str
    warm_up: Callable[[], Check]
    run: Callable[[], Sample]
    samples: list[Sample] = field(default_factory=list)
    check: Check | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.tool, self.mode)

    @property
    def available(self) -> bool:
        return self.check is not None and self.check.available


# ----------------------------------------------------------------------------------------------------------
# Running things


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_cli(
    argv: list[str], cwd: Path, timeout: float, *, capture: bool
) -> tuple[Sample, subprocess.CompletedProcess[str]]:
    """Run ``argv``; output goes to /dev/null unless ``capture`` (the warm-up reads it to check it)."""
    sink = subprocess.PIPE if capture else subprocess.DEVNULL
    cpu_before = _children_cpu()
    start = time.perf_counter()
    completed = subprocess.run(
        argv, cwd=cwd, stdout=sink, stderr=sink, text=True, timeout=timeout, check=False
    )
    wall = time.perf_counter() - start
    return Sample(wall, _children_cpu() - cpu_before), completed


def _find_executable(name: str) -> str | None:
    """``name`` next to this interpreter (an un-activated venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _json_documents(text: str) -> list[object] | None:
    """``text`` as one JSON document or as JSON lines; None when it is neither."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return [json.loads(stripped)]
    except json.JSONDecodeError:
        pass
    try:
        return [json.loads(line) for line in stripped.splitlines() if line.strip()]
    except json.JSONDecodeError:
        return None


def _count_objects(value: object, keys: tuple[str, ...]) -> int:
    """How many JSON objects anywhere in ``value`` have all of ``keys``."""
    if isinstance(value, dict):
        own = 1 if all(k in value for k in keys) else 0
        return own + sum(_count_objects(v, keys) for v in value.values())
    if isinstance(value, list):
        return sum(_count_objects(v, keys) for v in value)
    return 0


# ----------------------------------------------------------------------------------------------------------
# The modes


def zdt_in_process(files: list[tuple[str, str]], statements: int) -> Mode:
    """``zdt.analysis.analyse_sql`` on every file, in this process, offline (no database, no snapshot).

    The files are read into memory once, before timing: this measures the analyser, not the disk.
    """
    from zdt.analysis import analyse_sql

    failures: dict[str, str] = {}

    def analyse_all() -> tuple[int, int]:
        reports = findings = 0
        for path, text in files:
            try:
                result = analyse_sql(text, source=path)
            except Exception as error:  # a benchmark reports a crash, it does not stop on one
                failures.setdefault(path, f"{type(error).__name__}: {error}")
                continue
            reports += len(result)
            findings += sum(len(report.findings) for report in result)
        return reports, findings

    def warm_up() -> Check:
        reports, findings = analyse_all()
        notes = []
        if failures:
            path, error = next(iter(failures.items()))
            notes.append(f"{len(failures)} file(s) raised, first {Path(path).name}: {error}")
        if reports != statements and not failures:
            notes.append(f"analyser returned {reports} reports for {statements} statements")
        if not reports:
            return Check(False, "; ".join(notes) or "analysed nothing")
        return Check(True, findings=findings, note="; ".join(notes))

    def run() -> Sample:
        cpu = time.process_time()
        start = time.perf_counter()
        analyse_all()
        return Sample(time.perf_counter() - start, time.process_time() - cpu)

    return Mode("zdt", "analyse_sql() in-process", warm_up, run)


def zdt_cli(zdt: str | None, corpus_dir: Path, cwd: Path, statements: int, timeout: float) -> Mode:
    """``zdt lint --format json DIR`` as a subprocess: interpreter start-up, imports, reading and output."""
    argv = [zdt or "zdt", "lint", "--format", "json", str(corpus_dir)]

    def warm_up() -> Check:
        if zdt is None:
            return Check(False, "no `zdt` executable beside this Python or on PATH")
        try:
            _, completed = _run_cli(argv, cwd, timeout, capture=True)
        except subprocess.TimeoutExpired:
            return Check(False, f"timed out after {timeout:.0f} s")
        documents = _json_documents(completed.stdout)
        if documents is None:
            reason = _last_line(completed.stderr) or _last_line(completed.stdout) or "no output"
            return Check(False, f"exit {completed.returncode}, no JSON on stdout: {reason}")
        reports = _count_objects(documents, ("index", "line", "kind"))
        findings = _count_objects(documents, ("rule", "severity", "message"))
        note = ""
        if reports and reports != statements:
            note = f"zdt lint reported {reports} statements, the corpus has {statements}"
        return Check(True, findings=findings, note=note)

    def run() -> Sample:
        return _run_cli(argv, cwd, timeout, capture=False)[0]

    return Mode("zdt", "lint --format json DIR", warm_up, run)


def squawk_cli(squawk: str, corpus_dir: Path, cwd: Path, reporter: str, timeout: float) -> Mode:
    """``squawk --reporter R 'DIR/*.sql'``: squawk expands the glob itself (it does not take a directory).

    squawk exits 1 when it finds violations, which on this corpus it always does: that is not a failure.
    """
    argv = [squawk, "--reporter", reporter, str(corpus_dir / "*.sql")]

    def warm_up() -> Check:
        try:
            _, completed = _run_cli(argv, cwd, timeout, capture=True)
        except subprocess.TimeoutExpired:
            return Check(False, f"timed out after {timeout:.0f} s")
        if completed.returncode not in (0, 1):
            reason = _last_line(completed.stderr) or _last_line(completed.stdout)
            return Check(False, f"exit {completed.returncode}: {reason}")
        if reporter == "json":
            documents = _json_documents(completed.stdout)
            if documents is None:
                return Check(False, "no JSON on stdout")
            violations = [v for doc in documents for v in (doc if isinstance(doc, list) else [doc])]
        else:
            violations = [line for line in completed.stdout.splitlines() if ": " in line]
        syntax_errors = sum("syntax-error" in json.dumps(v) for v in violations)
        note = f"{syntax_errors} syntax errors: squawk skipped part of the corpus" if syntax_errors else ""
        return Check(True, findings=len(violations), note=note)

    def run() -> Sample:
        return _run_cli(argv, cwd, timeout, capture=False)[0]

    return Mode("squawk", f"--reporter {reporter} 'DIR/*.sql'", warm_up, run)


# ----------------------------------------------------------------------------------------------------------
# Measuring and reporting


def measure(modes: list[Mode], repeat: int) -> None:
    """Warm every mode up once, then ``repeat`` rounds of all available modes, rotating their order."""
    for mode in modes:
        log.print(f"[dim]warm-up[/] {mode.tool} {mode.mode} …")
        mode.check = mode.warm_up()
        if not mode.available:
            log.print(f"  [yellow]unavailable:[/] {escape(mode.check.reason)}")
    runnable = [m for m in modes if m.available]
    for round_index in range(repeat):
        shift = round_index % len(runnable) if runnable else 0
        for mode in runnable[shift:] + runnable[:shift]:
            sample = mode.run()
            mode.samples.append(sample)
            log.print(
                f"[dim]round {round_index + 1}/{repeat}[/] {mode.tool} {mode.mode}: "
                f"{sample.wall:.3f} s wall, {sample.cpu:.3f} s CPU"
            )


def paired_ratio(mode: Mode, reference: Mode) -> float | None:
    """Median over rounds of (mode's statements/s ÷ reference's statements/s) within the same round."""
    if not mode.samples or not reference.samples:
        return None
    pairs = zip(mode.samples, reference.samples, strict=False)
    return statistics.median(ref.wall / own.wall for own, ref in pairs if own.wall > 0)


def render(modes: list[Mode], files: int, statements: int, repeat: int) -> Table:
    reference = next((m for m in modes if m.key == REFERENCE and m.available), None)
    runs = f"{repeat} interleaved run{'s' if repeat != 1 else ''}"
    title = f"Lint throughput: {files:,} files, {statements:,} statements, median of {runs}"
    table = Table(title=title, title_justify="left")
    table.add_column("tool")
    table.add_column("mode")
    table.add_column("files", justify="right")
    table.add_column("statements", justify="right")
    table.add_column("median s", justify="right")
    table.add_column("statements/s", justify="right")
    table.add_column("ratio to squawk", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("findings", justify="right")
    for mode in modes:
        if not mode.available:
            table.add_row(mode.tool, mode.mode, f"{files:,}", f"{statements:,}", "unavailable", *["—"] * 4)
            continue
        wall = statistics.median(s.wall for s in mode.samples)
        cpu = statistics.median(s.cpu for s in mode.samples)
        ratio = paired_ratio(mode, reference) if reference else None
        ratio_text = "—" if ratio is None else f"{ratio:.2f}x"
        if mode is reference:
            ratio_text = "1.00x (ref)"
        findings = mode.check.findings if mode.check and mode.check.findings is not None else None
        table.add_row(
            mode.tool,
            mode.mode,
            f"{files:,}",
            f"{statements:,}",
            f"{wall:.3f}",
            f"{statements / wall:,.0f}",
            ratio_text,
            f"{cpu:.3f}",
            "—" if findings is None else f"{findings:,}",
        )
    return table


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 2**10:.0f} KiB"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        # The code measured is the working tree: say so when zdt/ differs from the commit.
        local = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "zdt"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+local changes" if local else head


def _squawk_version(squawk: str) -> str:
    try:
        out = subprocess.run([squawk, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.strip().removeprefix("squawk ").strip() or "unknown"


# ----------------------------------------------------------------------------------------------------------
# Command line


def _statements_range(text: str) -> tuple[int, int]:
    try:
        low, _, high = text.partition("-")
        bounds = (int(low), int(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or MIN-MAX, got {text!r}") from None
    if bounds[0] < 1 or bounds[1] < bounds[0]:
        raise argparse.ArgumentTypeError(f"expected 1 <= MIN <= MAX, got {text!r}")
    return bounds


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Statements per second of zdt's analyser and of squawk on the same generated corpus.",
    )
    parser.add_argument("--files", type=_positive, default=DEFAULT_FILES, help="migration files to generate")
    parser.add_argument(
        "--statements-per-file",
        type=_statements_range,
        default=DEFAULT_STATEMENTS_PER_FILE,
        metavar="N|MIN-MAX",
        help="statements in each file (default: %(default)s)",
    )
    parser.add_argument("--repeat", type=_positive, default=3, help="timed rounds per mode (default: 3)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="write the corpus to DIR and keep it (default: a temp dir)"
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds one CLI run may take (default: 900)"
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def _corpus_directory(keep: Path | None, names: set[str]) -> Iterator[Path]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="zdt-bench-corpus-") as tmp:
            yield Path(tmp)
        return
    keep.mkdir(parents=True, exist_ok=True)
    strangers = sorted(p.name for p in keep.glob("*.sql") if p.name not in names)
    if strangers:
        raise SystemExit(
            f"{keep} already holds .sql files that are not this corpus (e.g. {strangers[0]}): both tools "
            "would lint them too. Choose an empty directory, or one that holds the same corpus."
        )
    yield keep


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    squawk = _find_executable("squawk")
    if squawk is None:
        log.print(
            "[red]squawk is not installed[/]: this benchmark compares zdt with squawk (the squawk-cli "
            f"package). Install the benchmark extra from the repository root: [bold]{escape(INSTALL_HINT)}[/]"
        )
        return 2
    zdt = _find_executable("zdt")

    started = time.perf_counter()
    corpus = generate_corpus(args.files, args.statements_per_file, args.seed)
    generated = time.perf_counter() - started
    statements = statement_count(corpus)
    names = {m.name for m in corpus}

    with (
        _corpus_directory(args.keep, names) as corpus_dir,
        tempfile.TemporaryDirectory(prefix="zdt-bench-cwd-") as cwd,
    ):
        paths = write_corpus(corpus, corpus_dir)
        size = sum(len(m.text.encode()) for m in corpus)
        log.print(
            f"corpus: {len(corpus):,} files, {statements:,} statements, {_size(size)}, "
            f"seed {args.seed}, generated in {generated:.2f} s, in {corpus_dir}"
        )
        texts = [(str(path), path.read_text(encoding="utf-8")) for path in paths]
        workdir = Path(cwd)
        modes = [
            zdt_in_process(texts, statements),
            zdt_cli(zdt, corpus_dir, workdir, statements, args.timeout),
            squawk_cli(squawk, corpus_dir, workdir, "gcc", args.timeout),
            squawk_cli(squawk, corpus_dir, workdir, "json", args.timeout),
        ]
        measure(modes, args.repeat)

    versions = (
        f"zdt {_version('zdt')} ({_git_revision()}), pglast {_version('pglast')}, "
        f"squawk {_squawk_version(squawk)}, Python {platform.python_version()}"
    )
    console.print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC} · {versions} · {platform.machine()}, {os.cpu_count()} CPUs"
    )
    console.print(
        f"corpus: seed {args.seed}, {args.files:,} files of "
        f"{args.statements_per_file[0]}-{args.statements_per_file[1]} statements, {_size(size)}"
        + (f", kept in {args.keep}" if args.keep else "")
    )
    console.print(render(modes, len(corpus), statements, args.repeat))
    console.print(
        "ratio to squawk = median over rounds of (statements/s ÷ squawk --reporter gcc statements/s in the "
        "same round); above 1 is faster than squawk. CPU s is user + system time (above wall time: more "
        "than one core). Findings come from the warm-up run; analyse_sql() and squawk lint each file on its "
        "own, zdt lint DIR carries state across the folder (tables created by earlier files count as new)."
    )
    for mode in modes:
        if mode.check and not mode.check.available:
            console.print(f"[yellow]{mode.tool} {mode.mode}: unavailable[/] — {escape(mode.check.reason)}")
        elif mode.check and mode.check.note:
            console.print(f"[yellow]{mode.tool} {mode.mode}:[/] {escape(mode.check.note)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
