"""Where two schema snapshots differ, object by object, in words a reviewer can act on.

The fingerprint says *whether* two schemas are the same shape; when a plan's end state is not the one
the migration file gives, the reviewer needs to know *which* object differs and how. The comparison
covers exactly what the fingerprint covers (tables, columns, checks, indexes, foreign keys, triggers,
enums), so an empty difference list and equal fingerprints always agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from zdt.schema.snapshot import ColumnInfo, SchemaSnapshot, TableInfo


def schema_differences(
    expected: SchemaSnapshot,
    actual: SchemaSnapshot,
    *,
    expected_as: str = "expected",
    actual_as: str = "actual",
) -> list[str]:
    """Every object that differs, tables in name order; each line names the object and both versions."""
    differences: list[str] = []
    for name in sorted(set(expected.tables) | set(actual.tables)):
        left, right = expected.tables.get(name), actual.tables.get(name)
        if left is None or right is None:
            present = expected_as if left is not None else actual_as
            differences.append(f"table {name}: only in the {present} schema")
            continue
        differences += _table_differences(left, right, expected_as, actual_as)
    for enum in sorted(set(expected.enums) | set(actual.enums)):
        if expected.enums.get(enum) != actual.enums.get(enum):
            differences.append(
                f"enum {enum}: {expected_as} {expected.enums.get(enum)}, {actual_as} {actual.enums.get(enum)}"
            )
    return differences


def _table_differences(left: TableInfo, right: TableInfo, expected_as: str, actual_as: str) -> list[str]:
    name = left.name
    found: list[str] = []
    if left.kind != right.kind:
        found.append(
            f"{name}: kind {left.kind!r} in the {expected_as} schema, {right.kind!r} in the {actual_as}"
        )
    for column in sorted(set(left.columns) | set(right.columns)):
        found += _column_difference(
            name, left.columns.get(column), right.columns.get(column), expected_as, actual_as
        )
    parts: list[tuple[str, Iterable[tuple[str, object]], Iterable[tuple[str, object]]]] = [
        (
            "check",
            ((c.name, (c.definition, c.validated)) for c in left.checks),
            ((c.name, (c.definition, c.validated)) for c in right.checks),
        ),
        (
            "index",
            ((i.name, (i.definition, i.valid)) for i in left.indexes),
            ((i.name, (i.definition, i.valid)) for i in right.indexes),
        ),
        (
            "foreign key",
            ((f.name, (f.definition, f.validated)) for f in left.foreign_keys),
            ((f.name, (f.definition, f.validated)) for f in right.foreign_keys),
        ),
        ("trigger", ((t, t) for t in left.triggers), ((t, t) for t in right.triggers)),
    ]
    for kind, expected_items, actual_items in parts:
        expected_map, actual_map = dict(expected_items), dict(actual_items)
        for item in sorted(set(expected_map) | set(actual_map)):
            before, after = expected_map.get(item), actual_map.get(item)
            if before != after:
                found.append(
                    f"{kind} {item} on {name}: {expected_as} {_shown(before)}, {actual_as} {_shown(after)}"
                )
    return found


def _column_difference(
    table: str, left: ColumnInfo | None, right: ColumnInfo | None, expected_as: str, actual_as: str
) -> list[str]:
    if left == right:
        return []
    if left is None or right is None:
        only, present = (left, expected_as) if left is not None else (right, actual_as)
        return [f"column {table}.{only.name if only else '?'}: only in the {present} schema"]
    shown = [
        f"{field} {getattr(left, field)!r} vs {getattr(right, field)!r}"
        for field in ("type", "not_null", "default", "generated")
        if getattr(left, field) != getattr(right, field)
    ]
    return [f"column {table}.{left.name} ({expected_as} vs {actual_as}): {', '.join(shown)}"] if shown else []


def _shown(value: object) -> str:
    if value is None:
        return "missing"
    if isinstance(value, tuple):
        definition, flag = value
        return f"{definition!r}" + ("" if flag else " (not valid)")
    return repr(value)
