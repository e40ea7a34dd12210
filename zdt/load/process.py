"""The load generator in a child process, steered from the parent.

Why a process: the application is not the migration tool. Run in the same interpreter, the executor's
Python work (parsing, introspection, pydantic) would hold the GIL while the load's threads wait to
record their completions, and that delay would be charged to the database. A child process has its own
interpreter, as a real application server has, so what the load measures is the database.

The parent starts the child, waits until its connections are open and its clock runs, can tell it to
switch to another of the workloads it was given (the application's next release), and stops it to get
the ``LoadResult`` back through a pipe.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from zdt.load.generator import LiveCounts, LoadConfig, LoadGenerator
from zdt.load.result import LoadResult
from zdt.load.workload import Workload


class LoadProcessError(RuntimeError):
    """The child process failed to start, to answer, or raised."""


LIVE_BYTES = 4096
"""Room for the child's running totals (JSON); SQLSTATEs past it are folded into one entry."""


def _publish(shared: Any, counts: LiveCounts) -> None:
    """Write the running totals where the parent can read them without a round trip through the pipe."""
    payload = json.dumps([counts.requests, counts.errors, counts.errors_by_sqlstate]).encode()
    if len(payload) >= LIVE_BYTES:
        payload = json.dumps([counts.requests, counts.errors, {"various": counts.errors}]).encode()
    with shared.get_lock():
        shared.value = payload


def _child(
    pipe: Connection, url: str, workloads: list[Workload], config: LoadConfig, shared: Any = None
) -> None:
    try:
        by_name = {w.name: w for w in workloads}
        generator = LoadGenerator(url, workloads[0], config)
        generator.start()
        pipe.send(("ready", generator.t0_wall))
        end = generator.t0 + config.duration_s
        while time.perf_counter() < end:
            if shared is not None:
                _publish(shared, generator.live_counts())
            if not pipe.poll(0.05):
                continue
            command, argument = pipe.recv()
            if command == "switch":
                generator.switch(by_name[argument])
                pipe.send(("switched", generator.now()))
            elif command == "stop":
                break
        pipe.send(("result", generator.stop()))
    except BaseException as error:
        pipe.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        pipe.close()


class LoadProcess:
    """Runs ``workloads[0]`` in a child process; ``switch(name)`` moves it to another of ``workloads``."""

    def __init__(self, url: str, workloads: Sequence[Workload], config: LoadConfig | None = None) -> None:
        if not workloads:
            raise ValueError("give at least one workload")
        if len({w.name for w in workloads}) != len(workloads):
            raise ValueError("workload names must be unique: switch() finds them by name")
        self.url = url
        self.workloads = list(workloads)
        self.config = config or LoadConfig()
        self.t0_wall = 0.0
        self._pipe: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._result: LoadResult | None = None
        self._shared: Any = None

    def live_counts(self) -> LiveCounts:
        """The child's requests and failures so far (refreshed every 50 ms): for the monitor."""
        if self._shared is None:
            return LiveCounts()
        with self._shared.get_lock():
            payload = self._shared.value
        if not payload:
            return LiveCounts()
        requests, errors, by_state = json.loads(payload)
        return LiveCounts(int(requests), int(errors), {str(k): int(v) for k, v in by_state.items()})

    def start(self, timeout_s: float = 60.0) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._shared = context.Array("c", LIVE_BYTES)
        self._process = context.Process(
            target=_child,
            args=(child, self.url, self.workloads, self.config, self._shared),
            name="zdt-load",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._pipe = parent
        kind, value = self._receive(timeout_s)
        if kind != "ready":
            raise LoadProcessError(f"the load process did not start: {value}")
        self.t0_wall = float(value)

    def switch(self, name: str, timeout_s: float = 10.0) -> float:
        """Switch to the workload ``name``; returns the moment it happened (seconds since the start)."""
        if name not in {w.name for w in self.workloads}:
            raise ValueError(f"no workload named {name!r}")
        self._send(("switch", name))
        kind, value = self._receive(timeout_s)
        if kind != "switched":
            raise LoadProcessError(f"the load process did not switch: {value}")
        return float(value)

    def stop(self) -> LoadResult:
        """Stop scheduling, let the backlog drain, and return the result."""
        if self._result is not None:
            return self._result
        # The child may already have finished its duration and sent its result.
        with contextlib.suppress(BrokenPipeError, OSError):
            self._send(("stop", None))
        kind, value = self._receive(self.config.drain_s + 60)
        if kind != "result":
            raise LoadProcessError(f"the load process failed: {value}")
        self._result = value
        self._close()
        return value

    def _send(self, message: tuple[str, object]) -> None:
        if self._pipe is None:
            raise LoadProcessError("the load process is not running")
        self._pipe.send(message)

    def _receive(self, timeout_s: float) -> tuple[str, Any]:  # the value is whatever the child pickled
        if self._pipe is None:
            raise LoadProcessError("the load process is not running")
        if not self._pipe.poll(timeout_s):
            self._close()
            raise LoadProcessError(f"no answer from the load process within {timeout_s:g} s")
        try:
            kind, value = self._pipe.recv()
        except EOFError as error:
            self._close()
            raise LoadProcessError("the load process exited without an answer") from error
        return str(kind), value

    def close(self) -> None:
        """End the child without waiting for a result (after an error); safe to call more than once."""
        self._close()

    def _close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        if self._process is not None:
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout=5)
            self._process = None

    def __enter__(self) -> LoadProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.stop()
        else:
            self._close()
