"""String literals of a Python file, read with Python's own parser (``ast``).

Plain strings (implicit concatenation already joined by the parser) and f-strings: each ``{...}`` of an
f-string becomes a ``$n`` parameter, the way a driver would send the value. Docstrings are strings too;
they are dropped later because they do not parse as a query.
"""

from __future__ import annotations

import ast

from zdt.collect.literals import StringLiteral
from zdt.collect.statements import parameter


class SourceSyntaxError(ValueError):
    """A source file its language's parser rejects: named with file and line, and skipped by the caller."""


def _f_string(node: ast.JoinedStr) -> str:
    parts: list[str] = []
    count = 0
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        else:
            count += 1
            parts.append(parameter(count))
    return "".join(parts)


def python_literals(text: str, path: str) -> list[StringLiteral]:
    """Every string literal of the module, in source order (f-strings' inner strings excluded)."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as error:
        raise SourceSyntaxError(f"{path}:{error.lineno}: Python does not parse it: {error.msg}") from None
    inner: set[int] = set()
    found: list[StringLiteral] = []
    for node in ast.walk(tree):  # breadth-first: an f-string is met before the strings inside it
        if id(node) in inner:
            continue
        if isinstance(node, ast.JoinedStr):
            inner.update(id(value) for value in ast.walk(node) if value is not node)
            found.append(StringLiteral(_f_string(node), node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(StringLiteral(node.value, node.lineno))
    return sorted(found, key=lambda item: item.line)
