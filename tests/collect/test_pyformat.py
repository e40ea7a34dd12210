"""psycopg's %s and %(name)s placeholders become $n, found on PostgreSQL's own token stream."""

from __future__ import annotations

import pytest

from zdt.collect.pyformat import numbered_placeholders


@pytest.mark.parametrize(
    ("text", "numbered"),
    [
        ("SELECT id FROM users WHERE id = %s", "SELECT id FROM users WHERE id = $1"),
        (
            "UPDATE t SET a = %(a)s, b = %(b)s WHERE a = %(a)s",
            "UPDATE t SET a = $1, b = $2 WHERE a = $1",
        ),
        (
            "SELECT a % b FROM t WHERE c LIKE 'x%%' AND d = %s",
            "SELECT a % b FROM t WHERE c LIKE 'x%' AND d = $1",
        ),
        (
            "SELECT '%s' FROM t WHERE d = %s",
            "SELECT '%s' FROM t WHERE d = $1",
        ),  # a constant is no placeholder
    ],
)
def test_placeholders_are_numbered(text: str, numbered: str) -> None:
    assert numbered_placeholders(text) == numbered


@pytest.mark.parametrize("text", ["SELECT 1", "SELECT a % s FROM t", "SELECT 'unterminated"])
def test_text_without_placeholders_is_left_alone(text: str) -> None:
    assert numbered_placeholders(text) is None
