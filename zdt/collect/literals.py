"""A string literal found in application code: its text with interpolations as ``$n``, and its line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StringLiteral:
    """One literal as the language's parser saw it (escapes decoded, each interpolation a parameter)."""

    text: str
    line: int
