"""Typed access to pglast AST fields that the statement kind guarantees.

pglast types every field as optional (``str | None``, ``Node | tuple | None``) because an empty field is
``None``; the parser always fills some of them for a given statement (a RangeVar's ``relname``, an
``ALTER ... ADD CONSTRAINT``'s Constraint). These helpers return such a field with its real type and
raise a clear error instead of an AttributeError further on if the invariant ever fails.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class ParseTreeShapeError(ValueError):
    """A field the parser always sets for this statement kind is missing or of another class.

    It means zdt's reading of pglast's tree is wrong for this statement (a parser upgrade, an unusual
    form), not that the SQL is bad: the planner reports it with the statement's line.
    """


def required(value: T | None, field: str) -> T:
    """``value``, which the parser always sets for this statement kind; ``field`` names it for the error."""
    if value is None:
        raise ParseTreeShapeError(f"{field} is missing from the parsed statement")
    return value


def node_of(value: object, kind: type[T], field: str) -> T:
    """``value`` as the node class the parser always puts in ``field`` for this statement kind."""
    if not isinstance(value, kind):
        raise ParseTreeShapeError(f"{field}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def nodes_of(value: object, kind: type[T], field: str) -> tuple[T, ...]:
    """The list field ``value`` (``None`` when empty) whose items the parser always makes ``kind``."""
    if value is None:
        return ()
    if not isinstance(value, tuple):
        raise ParseTreeShapeError(f"{field}: expected a list, got {type(value).__name__}")
    return tuple(node_of(item, kind, field) for item in value)
