"""The recipe helpers every recipe shares: recognising its one ALTER TABLE command."""

from __future__ import annotations

import pytest
from pglast import ast, parser
from pglast.enums import AlterTableType as AT

from zdt.recipes.base import single_alter_command


def _node(sql: str) -> ast.Node:
    statement = parser.parse_sql(sql)[0].stmt
    assert statement is not None
    return statement


@pytest.mark.parametrize(
    ("sql", "subtypes", "expected"),
    [
        ("ALTER TABLE posts DROP COLUMN body", (AT.AT_DropColumn,), AT.AT_DropColumn),
        (
            "ALTER TABLE posts ALTER COLUMN body SET NOT NULL",
            (AT.AT_DropColumn, AT.AT_SetNotNull),
            AT.AT_SetNotNull,
        ),
        ("ALTER TABLE posts ALTER COLUMN body SET NOT NULL", (), AT.AT_SetNotNull),
        ("ALTER TABLE posts DROP COLUMN body", (AT.AT_AddColumn,), None),
        ("ALTER TABLE posts DROP COLUMN body, DROP COLUMN title", (AT.AT_DropColumn,), None),
        ("ALTER TABLE posts DROP COLUMN body, DROP COLUMN title", (), None),
        ("ALTER INDEX posts_title_idx SET (fillfactor = 70)", (), None),
        ("ALTER VIEW v ALTER COLUMN a SET DEFAULT 1", (AT.AT_ColumnDefault,), None),
        ("CREATE INDEX posts_body_idx ON posts (body)", (), None),
    ],
)
def test_single_alter_command_matches_one_command_of_a_table_only(
    sql: str, subtypes: tuple[AT, ...], expected: AT | None
) -> None:
    command = single_alter_command(_node(sql), *subtypes)
    assert (command.subtype if command is not None else None) == expected
