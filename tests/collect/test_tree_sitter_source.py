"""TypeScript, JavaScript, Go and Ruby literals through tree-sitter: escapes decoded, ${}/#{} as $n."""

from __future__ import annotations

import pytest

from zdt.collect.literals import StringLiteral
from zdt.collect.tree_sitter_source import tree_sitter_literals


@pytest.mark.parametrize("suffix", [".ts", ".tsx", ".js", ".mjs"])
def test_javascript_family(suffix: str) -> None:
    code = (
        "// 'SELECT in a comment'\n"
        "const a = 'it\\'s';\n"
        "const b = `SELECT * FROM t\n  WHERE id = ${id} AND k = ${`nested ${x}`}`;\n"
        'const c = "SELECT \\"x\\" FROM t";\n'
        "const r = /select/;\n"
    )
    assert tree_sitter_literals(code, suffix) == [
        StringLiteral("it's", 2),
        StringLiteral("SELECT * FROM t\n  WHERE id = $1 AND k = $2", 3),
        StringLiteral('SELECT "x" FROM t', 5),
    ]


def test_go_interpreted_and_raw_strings() -> None:
    code = 'package p\n\nconst q = `SELECT "a"\nFROM t`\nvar s = "SELECT \\"b\\"\\n"\n'
    assert tree_sitter_literals(code, ".go") == [
        StringLiteral('SELECT "a"\nFROM t', 3),
        StringLiteral('SELECT "b"\n', 5),
    ]


def test_ruby_strings_heredocs_and_interpolation() -> None:
    code = "a = 'x'\nb = \"SELECT #{y} FROM t\"\nc = <<~SQL\n  SELECT 1\nSQL\n"
    assert tree_sitter_literals(code, ".rb") == [
        StringLiteral("x", 1),
        StringLiteral("SELECT $1 FROM t", 2),
        StringLiteral("\n  SELECT 1\n", 3),
    ]
