"""Sort keys for file and version names: numbers compared as numbers, so ``10_x`` comes after ``9_x``.

Only names are matched here (``re`` over file names is fine); SQL text is never looked at.
"""

from __future__ import annotations

import re

_RUNS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """``"10_x.sql"`` → ``((1, 10), (0, "_x.sql"))``: digit runs as integers, text runs as text.

    Each run is tagged (1 for a number, 0 for text) so that a number and a text never compare directly.
    """
    return tuple((1, int(run)) if run.isdigit() else (0, run) for run in _RUNS.split(name) if run)


def numeric_parts(version: str, separators: str = "._") -> tuple[int, ...]:
    """``"1_10"`` or ``"1.10"`` → ``(1, 10)``; trailing zero parts dropped, as Flyway treats ``1.0`` as ``1``.

    Raises ``ValueError`` when a part is not a number.
    """
    parts = [int(part) for part in re.split(f"[{re.escape(separators)}]", version)]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
