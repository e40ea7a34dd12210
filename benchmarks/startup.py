"""Start-up: how long ``zdt`` takes before it does anything, against bare Python and against squawk.

Run ``python benchmarks/startup.py --help``. Each mode is one process started from scratch: ``python -c
pass`` (the floor every Python CLI stands on), ``zdt --version`` (zdt's fixed cost: the interpreter,
typer, the command table), ``zdt lint FILE`` on a one-statement migration without a database (what a
pre-commit hook pays per run), and ``squawk FILE`` on the same file. The machine is shared and noisy, so
the modes are interleaved (each round runs every mode, in a rotated order), every ratio is taken within a
round and the median over rounds is reported. ``--baseline REV`` adds zdt's modes for another revision
(``git archive REV zdt``) to the same rounds: before and after, side by side. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATION = "ALTER TABLE users ADD COLUMN bio text;\n"
TARGETS = {  # mode: (reference mode, the most it may take, as a multiple of the reference)
    "zdt --version": ("python -c pass", 5.0),
    "zdt lint FILE": ("squawk FILE", 10.0),
}


@dataclass
class Mode:
    """One command, run once per round; its argv, environment and the samples (wall, CPU seconds)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ok_codes: tuple[int, ...] = (0,)
    unavailable: str = ""  # why it cannot run here, when it cannot
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def run(self, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            self.argv, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.walls.append(wall)
        self.cpus.append((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
        return done


def child_env(pythonpath: Path | None, *, compile_every_run: bool) -> dict[str, str]:
    """The environment of a measured process: offline, and caching bytecode as an installed package does.

    ``ZDT_DATABASE_URL`` would make ``zdt lint`` read a live schema; ``PYTHONDONTWRITEBYTECODE`` (set on
    some development machines) would make every run compile zdt's sources again wherever no bytecode
    cache exists yet (a fresh clone, the ``--baseline`` tree), which no installed zdt does after its
    first run.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"ZDT_DATABASE_URL", "PYTHONPATH"}}
    if not compile_every_run:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def find_squawk(given: str | None) -> str | None:
    """``--squawk``, else ``squawk`` beside this interpreter (an un-activated venv), else on PATH."""
    if given:
        return given
    beside = Path(sys.executable).parent / "squawk"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("squawk")


def export_revision(revision: str, into: Path) -> Path:
    """``git archive REV zdt`` unpacked into ``into``: a tree whose ``zdt`` PYTHONPATH can point at."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", revision, "zdt"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def build_modes(args: argparse.Namespace, migration: Path, baseline: Path | None) -> list[Mode]:
    python, compile_every_run = args.python, args.no_bytecode
    trees = [("", REPO_ROOT)] + ([(f" @{args.baseline}", baseline)] if baseline else [])
    modes = [
        Mode("python -c pass", [python, "-c", "pass"], child_env(None, compile_every_run=compile_every_run))
    ]
    for suffix, tree in trees:
        env = child_env(tree, compile_every_run=compile_every_run)
        lint = [python, "-m", "zdt", "lint", str(migration)]
        modes.append(Mode(f"zdt --version{suffix}", [python, "-m", "zdt", "--version"], env))
        modes.append(Mode(f"zdt lint FILE{suffix}", lint, env, (0, 1)))  # 1: an error finding
    squawk = find_squawk(args.squawk)
    modes.append(
        Mode(
            "squawk FILE",
            [squawk or "squawk", str(migration)],
            child_env(None, compile_every_run=compile_every_run),
            (0, 1),  # 1: it found something, as it does here (no lock_timeout)
            "" if squawk else "unavailable: squawk not found (pip install -e '.[bench]', or --squawk PATH)",
        )
    )
    return modes


def warm_up(modes: list[Mode], cwd: Path, timeout: float) -> None:
    """One untimed run of each: checks it works here, and writes the bytecode caches."""
    for mode in modes:
        if mode.unavailable:
            continue
        try:
            done = mode.run(cwd, timeout)
        except (OSError, subprocess.SubprocessError) as error:
            mode.unavailable = f"unavailable: {error}"
            continue
        mode.walls.clear()
        mode.cpus.clear()
        if done.returncode not in mode.ok_codes:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            mode.unavailable = f"unavailable: exit {done.returncode}: {last[0][:200]}"


def measure(modes: list[Mode], rounds: int, cwd: Path, timeout: float) -> None:
    runnable = [mode for mode in modes if not mode.unavailable]
    for index in range(rounds):
        shift = index % len(runnable)
        for mode in runnable[shift:] + runnable[:shift]:
            mode.run(cwd, timeout)
        line = ", ".join(f"{mode.name} {mode.walls[-1] * 1000:.0f} ms" for mode in runnable)
        print(f"round {index + 1}/{rounds}: {line}", file=sys.stderr)


def paired_ratio(mode: Mode, reference: Mode) -> float | None:
    """Median over rounds of mode's wall time ÷ the reference's in the same round (above 1: slower)."""
    if mode.unavailable or reference.unavailable or not mode.walls:
        return None
    return statistics.median(own / ref for own, ref in zip(mode.walls, reference.walls, strict=True))


def report(modes: list[Mode], rounds: int) -> list[str]:
    by_name = {mode.name: mode for mode in modes}
    python = by_name["python -c pass"]
    lines = [f"{'mode':<28} {'median ms':>10} {'CPU ms':>8} {'vs python':>10}"]
    for mode in modes:
        if mode.unavailable:
            lines.append(f"{mode.name:<28} {mode.unavailable}")
            continue
        wall = statistics.median(mode.walls) * 1000
        cpu = statistics.median(mode.cpus) * 1000
        ratio = paired_ratio(mode, python)
        lines.append(f"{mode.name:<28} {wall:>10.1f} {cpu:>8.1f} {ratio or 0:>9.2f}x")
    lines.append("")
    for name, mode in by_name.items():
        target = TARGETS.get(name.split(" @")[0])
        if target is None:
            continue
        reference_name, limit = target
        ratio = paired_ratio(mode, by_name[reference_name])
        if ratio is None:
            lines.append(f"{name} vs {reference_name}: unavailable (target within {limit:g}x)")
            continue
        verdict = "met" if ratio <= limit else "NOT met"
        lines.append(f"{name} vs {reference_name}: {ratio:.2f}x (target within {limit:g}x: {verdict})")
    for name, mode in by_name.items():  # before and after, when --baseline added the before
        if " @" in name and name.split(" @")[0] in by_name:
            ratio = paired_ratio(mode, by_name[name.split(" @")[0]])
            if ratio is not None:
                lines.append(f"{name.split(' @')[0]}: {ratio:.1f}x faster than at {name.split(' @')[1]}")
    lines.append(
        f"median of {rounds} interleaved rounds; ratios are per round (wall time ÷ the reference's in the "
        "same round), then the median; CPU is user + system of the child"
    )
    return lines


def revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        local = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "zdt"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+local changes" if local else head


def squawk_version(mode: Mode) -> str:
    if mode.unavailable:
        return "squawk unavailable"
    out = subprocess.run([mode.argv[0], "--version"], capture_output=True, text=True, check=False).stdout
    return out.strip() or "squawk (unknown version)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="zdt's start-up against bare Python and squawk.")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default: %(default)s)")
    parser.add_argument(
        "--file", type=Path, help="the migration to lint (default: a one-statement file written for the run)"
    )
    parser.add_argument("--baseline", metavar="REV", help="also measure zdt at this git revision")
    parser.add_argument("--squawk", metavar="PATH", help="the squawk executable (default: found)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to run (default: this one)")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as set: bytecode caches are read where they exist, never written",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one run may take")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zdt-bench-startup-") as tmp:
        cwd = Path(tmp) / "cwd"  # no zdt.toml here or above: the defaults, as for a file linted alone
        cwd.mkdir()
        migration = args.file.resolve() if args.file else Path(tmp) / "V1__add_bio.sql"
        if not args.file:
            migration.write_text(MIGRATION, encoding="utf-8")
        baseline = export_revision(args.baseline, Path(tmp) / "baseline") if args.baseline else None
        modes = build_modes(args, migration, baseline)
        warm_up(modes, cwd, args.timeout)
        measure(modes, args.rounds, cwd, args.timeout)
        squawk = next(mode for mode in modes if mode.name == "squawk FILE")
        print(
            f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC} · zdt {revision()}"
            + (f" and {args.baseline}" if args.baseline else "")
            + f" · {squawk_version(squawk)} · Python {platform.python_version()} · "
            f"{platform.machine()}, {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.2f}"
        )
        print(f"file: {args.file or 'a one-statement migration'} ({migration.stat().st_size} bytes)")
        print("\n".join(report(modes, args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
