"""Render executor events at the terminal: a line per step, a live progress bar per backfill.

The executor only emits events; this is one observer of them, so the CLI never reaches into the
executor's internals (and a monitor or recorder can observe the same run alongside it).
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from zdt.executor import EventKind, ExecutionEvent

_MARKS = {
    EventKind.STEP_DONE: "[green]done[/]",
    EventKind.STEP_SKIPPED: "[dim]skip[/]",
    EventKind.STEP_RESUMED: "[cyan]resume[/]",
    EventKind.STEP_RETRY: "[yellow]retry[/]",
    EventKind.STEP_FAILED: "[bold red]FAILED[/]",
    EventKind.CLEANUP: "[yellow]cleanup[/]",
    EventKind.THROTTLED: "[yellow]pause[/]",
    EventKind.ROLLBACK_STEP: "[magenta]undo[/]",
    EventKind.ROLLBACK_FAILED: "[bold red]STOPPED[/]",
}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f" ({seconds * 1000:.0f} ms)" if seconds < 10 else f" ({seconds:.1f} s)"


class ExecutionRenderer:
    """Callable ``on_event`` for the executor; use as a context manager around the run."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ExecutionRenderer:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, event: ExecutionEvent) -> None:
        if event.kind is EventKind.BACKFILL_STARTED:
            self._start_bar(event)
        elif event.kind is EventKind.BATCH_DONE:
            self._advance_bar(event)
        elif event.kind is EventKind.STEP_STARTED:
            self._line(f"[bold]{escape(event.step_id or '')}[/] {escape(event.message)}")
        elif event.kind in _MARKS:
            what = escape(f"{event.step_id or ''} {event.message}{_duration(event.elapsed_s)}")
            self._line(f"  {_MARKS[event.kind]} {what}")

    def _line(self, text: str) -> None:
        self._progress.console.print(text, highlight=False, soft_wrap=True)

    def _start_bar(self, event: ExecutionEvent) -> None:
        step = event.step_id or ""
        self._tasks[step] = self._progress.add_task(
            f"  backfill {step}", total=event.total_rows or None, completed=event.rows or 0, rate="", eta=""
        )

    def _advance_bar(self, event: ExecutionEvent) -> None:
        task = self._tasks.get(event.step_id or "")
        if task is None:
            return
        rate = f"{event.rows_per_s:,.0f} rows/s" if event.rows_per_s else ""
        eta = f"ETA {event.eta_s:.0f} s" if event.eta_s is not None else ""
        if event.pause_s and event.pause_s > 0.5:
            eta = f"{eta} (pausing {event.pause_s:.1f} s)"
        self._progress.update(task, completed=event.rows or 0, rate=rate, eta=eta)
