"""Keep an earlier run's monitoring report when a session runs the production step again.

Why: after a rollback advised as "retry", or a resumed session, the execute node runs again and writes
MIGRATION-MONITORING.md afresh. The earlier run's report is the record of *why* it was rolled back — its
alarms, its charts — and an audit needs it, so it moves into a numbered folder beside the new one
instead of being overwritten, and the new report links to it.
"""

from __future__ import annotations

from pathlib import Path

from zdt.monitor.report import HTML_NAME, MARKDOWN_NAME

_CHARTS = ("monitoring-*.svg", "monitoring-*.png")


def archive_earlier_report(out_dir: Path) -> Path | None:
    """Move the report files in ``out_dir`` into ``out_dir/earlier-run-N`` (N the first free number)."""
    markdown = out_dir / MARKDOWN_NAME
    if not markdown.exists():
        return None
    number = 1
    while (out_dir / f"earlier-run-{number}").exists():
        number += 1
    archive = out_dir / f"earlier-run-{number}"
    archive.mkdir()
    files = [markdown, out_dir / HTML_NAME, *(path for pattern in _CHARTS for path in out_dir.glob(pattern))]
    for path in files:
        if path.exists():
            path.rename(archive / path.name)
    return archive


def link_earlier_reports(out_dir: Path) -> None:
    """Append the list of archived reports to the current MIGRATION-MONITORING.md, oldest first."""
    earlier = sorted(
        (path for path in out_dir.glob("earlier-run-*") if (path / MARKDOWN_NAME).exists()),
        key=lambda path: int(path.name.rsplit("-", 1)[1]),
    )
    markdown = out_dir / MARKDOWN_NAME
    if not earlier or not markdown.exists():
        return
    lines = ["", "## Earlier runs in this session", ""]
    lines += [f"- [{path.name}]({path.name}/{MARKDOWN_NAME})" for path in earlier]
    with markdown.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
