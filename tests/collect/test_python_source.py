"""Python string literals through Python's own parser: plain, implicit concatenation, f-strings."""

from __future__ import annotations

import pytest

from zdt.collect.literals import StringLiteral
from zdt.collect.python_source import SourceSyntaxError, python_literals

CODE = '''"""Module docstring."""
A = "SELECT 1"
B = ("SELECT id "
     "FROM users")
def f(x):
    return f"SELECT {x} FROM t WHERE a = {x!r:>3}"
# "SELECT 'in a comment'"
'''


def test_literals_with_lines_and_interpolations_as_parameters() -> None:
    assert python_literals(CODE, "m.py") == [
        StringLiteral("Module docstring.", 1),
        StringLiteral("SELECT 1", 2),
        StringLiteral("SELECT id FROM users", 3),
        StringLiteral("SELECT $1 FROM t WHERE a = $2", 6),
    ]


def test_a_file_python_rejects_is_named_with_its_line() -> None:
    with pytest.raises(SourceSyntaxError, match=r"bad.py:2: Python does not parse it"):
        python_literals("x = 1\ndef (:\n", "bad.py")
