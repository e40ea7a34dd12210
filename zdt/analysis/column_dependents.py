"""What PostgreSQL drops silently with a column, as the schema snapshot shows it.

``ALTER TABLE t DROP COLUMN c`` (without CASCADE) also drops every index whose key or INCLUDE columns,
expressions or predicate use ``c`` (a primary key, UNIQUE or EXCLUDE constraint with its index), every
foreign key of ``t`` that has ``c`` among its columns, and every CHECK that uses ``c`` — a CHECK about
``c`` alone goes by design, one spanning ``c`` and other columns silently stops guarding those. The
analyser records them as dropped by the statement; the drop-column recipe plans them as steps of their
own. What makes PostgreSQL refuse the drop instead (views, other tables' foreign keys, triggers,
generated columns) is the recipe's business.
"""

from __future__ import annotations

from zdt.analysis.parse_tree import index_columns, parse_constraint, referenced_columns
from zdt.schema.snapshot import CheckInfo, ForeignKeyInfo, IndexInfo, TableInfo


def indexes_using(info: TableInfo, column: str) -> list[IndexInfo]:
    """The indexes of the table that use ``column`` anywhere, keys' indexes included, by name."""
    found = [index for index in info.indexes if column in index_columns(index.definition)]
    return sorted(found, key=lambda index: index.name)


def foreign_keys_using(info: TableInfo, column: str) -> list[ForeignKeyInfo]:
    """The table's own foreign keys with ``column`` among their referencing columns, by name."""
    return sorted(
        (foreign_key for foreign_key in info.foreign_keys if column in foreign_key.columns),
        key=lambda foreign_key: foreign_key.name,
    )


def checks_using(info: TableInfo, column: str, *, spanning: bool = False) -> list[CheckInfo]:
    """The CHECK constraints that use ``column`` (``spanning``: together with other columns), by name."""
    found = []
    for check in info.checks:
        used = set(referenced_columns(parse_constraint(check.definition).raw_expr))
        if column in used and (not spanning or used - {column}):
            found.append(check)
    return sorted(found, key=lambda check: check.name)
