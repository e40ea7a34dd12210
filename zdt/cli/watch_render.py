"""Follow a session's four scratchpads: the seed's four terminals, in one.

The seed ran four agents in four terminals, each writing one document; a person watched them side by
side. Here a watchdog observer reports changes to those documents and this module shows them: as a 2x2
live view on a terminal, or as new lines prefixed with their document's name when the output is a pipe
(a log file, a test).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console, Group
from rich.layout import Layout
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

TAIL_LINES = 18


class _Changed(FileSystemEventHandler):
    def __init__(self, names: Sequence[str], changes: queue.Queue[str]) -> None:
        self._names = set(names)
        self._changes = changes

    def on_any_event(self, event: FileSystemEvent) -> None:
        for path in (event.src_path, getattr(event, "dest_path", "")):
            name = Path(str(path)).name
            if name in self._names:
                self._changes.put(name)


class ScratchpadFollower:
    """Reads what is new in each document since the last look."""

    def __init__(self, folder: Path, names: Sequence[str]) -> None:
        self.folder = folder
        self.names = list(names)
        self._offsets = dict.fromkeys(self.names, 0)

    def text(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    def new_lines(self, name: str) -> list[str]:
        data = self.text(name)
        offset = self._offsets[name] if self._offsets[name] <= len(data) else 0  # rewritten: start again
        self._offsets[name] = len(data)
        return [line for line in data[offset:].splitlines() if line.strip()]

    def view(self) -> Layout:
        panels = [Panel(Text(_tail(self.text(name))), title=name) for name in self.names]
        layout = Layout()
        layout.split_column(Layout(name="top"), Layout(name="bottom"))
        layout["top"].split_row(*(Layout(panel) for panel in panels[:2]))
        layout["bottom"].split_row(*(Layout(panel) for panel in panels[2:4]))
        return layout


def _tail(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(lines[-TAIL_LINES:]) if lines else "(nothing yet)"


def show_once(console: Console, follower: ScratchpadFollower) -> None:
    """Each document as it is now (its tail), one after the other."""
    console.print(Group(*(Panel(Text(_tail(follower.text(n))), title=n) for n in follower.names)))


def follow_live(console: Console, follower: ScratchpadFollower, timeout_s: float | None) -> None:
    """Show changes as they happen until ``timeout_s`` passes (None: until Ctrl-C)."""
    changes: queue.Queue[str] = queue.Queue()
    observer = Observer()
    observer.schedule(_Changed(follower.names, changes), str(follower.folder), recursive=False)
    observer.start()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        if console.is_terminal:
            with Live(follower.view(), console=console, refresh_per_second=4, screen=False) as live:
                _loop(changes, deadline, lambda _name: live.update(follower.view()))
        else:
            for name in follower.names:
                _print_new(console, follower, name)
            _loop(changes, deadline, lambda name: _print_new(console, follower, name))
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join(timeout=5)


def _loop(changes: queue.Queue[str], deadline: float | None, on_change: Callable[[str], None]) -> None:
    while deadline is None or time.monotonic() < deadline:
        wait = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
        try:
            name = changes.get(timeout=wait)
        except queue.Empty:
            continue
        on_change(name)


def _print_new(console: Console, follower: ScratchpadFollower, name: str) -> None:
    for line in follower.new_lines(name):
        console.print(f"[bold]{escape(name)}[/] | {escape(line)}", highlight=False, soft_wrap=True)
