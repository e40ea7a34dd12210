"""How a command fails: one ``error:`` line on stderr and an exit code.

A module of its own, with nothing heavy in it, so that a command that touches no database (``zdt watch``)
can fail the same way as the others without importing ``run_guard``'s psycopg, executor and plan models.
"""

from __future__ import annotations

import typer
from rich.console import Console

EXIT_BAD_INPUT = 2


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` on stderr and return the Exit to raise."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
