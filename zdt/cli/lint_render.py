"""Human output of ``zdt lint``: one block per statement, findings coloured by severity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from zdt.analysis.model import Severity, StatementReport

if TYPE_CHECKING:  # lint_trace imports psycopg and the embedded server: --trace only
    from zdt.cli.lint_trace import StatementTrace
    from zdt.schema.snapshot import SchemaSnapshot

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _flags(report: StatementReport) -> str:
    parts = []
    if report.rewrites_table:
        parts.append("rewrites table")
    if report.scans_table:
        parts.append("scans table")
    if report.blocks_reads:
        parts.append("blocks reads")
    if report.blocks_writes:
        parts.append("blocks writes")
    if not report.transactional:
        parts.append("no transaction block")
    return ", ".join(parts) or "no blocking"


def _first_line(sql: str, width: int = 90) -> str:
    line = " ".join(sql.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _print_trace(console: Console, traced: StatementTrace) -> None:
    result = traced.result
    if not result.ok:
        console.print(Text(f"      traced: failed on the copy: {result.error}", style="magenta"))
        return
    locks = ", ".join(f"{lock.mode} on {lock.relation}" for lock in result.locks) or "no relation locks"
    extra = [f"rewrote {', '.join(result.rewritten)}"] if result.rewritten else []
    extra += [f"blocked reads of {', '.join(result.blocked_reads)}"] if result.blocked_reads else []
    extra += [f"blocked writes of {', '.join(result.blocked_writes)}"] if result.blocked_writes else []
    console.print(Text(f"      traced: {locks}" + "".join(f" · {e}" for e in extra), style="blue"))
    for problem in traced.disagreements:
        console.print(Text(f"      ✗ the claim disagrees with the trace: {problem}", style="bold magenta"))


def render_text(
    console: Console,
    results: list[tuple[str, list[StatementReport]]],
    *,
    pg_version: int | None,
    snapshot: SchemaSnapshot | None,
    traces: dict[tuple[str, int], StatementTrace] | None = None,
) -> None:
    """Print every statement with its lock, flags, size and findings, then a summary line."""
    where = "the live schema" if snapshot else "no database (static analysis only)"
    console.print(f"[dim]PostgreSQL {pg_version or 18} · {where}[/]")
    counts = dict.fromkeys(Severity, 0)
    for name, reports in results:
        console.print(Text(name, style="bold"))
        for report in reports:
            if report.kind in ("VariableSetStmt", "TransactionStmt") and not report.findings:
                continue
            header = Text(f"  {name}:{report.line}  ", style="dim")
            header.append(_first_line(report.sql))
            console.print(header)
            lock = report.lock or "no table lock"
            detail = f"      {lock} · {_flags(report)}"
            if report.size:
                detail += f" · {report.size.table} ~{report.size.rows:,} rows, {report.size.bytes:,} bytes"
            others = [
                f"{lock.mode} on {lock.relation}" for lock in report.locks if lock.relation not in (None,)
            ]
            others = (
                [text for text in others if not text.endswith(f" on {report.size.table}")]
                if report.size
                else others
            )
            if report.lock is None and others:
                detail += " · also " + ", ".join(others)
            console.print(Text(detail, style="dim"))
            traced = traces.get((name, report.index)) if traces else None
            if traced is not None:
                _print_trace(console, traced)
            for finding in report.findings:
                counts[finding.severity] += 1
                line = Text(f"      {finding.severity}", style=_STYLE[finding.severity])
                line.append(f" [{finding.rule}] {finding.message}")
                console.print(line)
                console.print(Text(f"        fix: {finding.fix}", style="green"))
    if traces is not None:
        where = next(iter(traces.values())).where if traces else "a throwaway copy"
        disagreeing = sum(1 for t in traces.values() if t.disagreements)
        console.print(
            f"\ntraced on {where}: {len(traces)} statements, {disagreeing} disagreeing with the claim"
        )
    summary = ", ".join(f"{counts[s]} {s}" for s in Severity)
    console.print(f"\n{sum(len(r) for _, r in results)} statements · {summary}")
