"""String literals of TypeScript, JavaScript, Go and Ruby files, read with tree-sitter grammars.

tree-sitter gives each language's real grammar to Python (the grammars are PyPI wheels, no compiler
needed), so a quote inside a comment, a regex literal or a nested template never fools the reader. Each
language names its string nodes, their content, escapes and interpolations differently; :class:`Grammar`
says which is which. An interpolation (``${id}`` in a template literal, ``#{id}`` in Ruby) becomes a
``$n`` parameter, the value a driver would bind; the caller keeps the literal only if it then parses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import tree_sitter
import tree_sitter_go
import tree_sitter_javascript
import tree_sitter_ruby
import tree_sitter_typescript

from zdt.collect.literals import StringLiteral
from zdt.collect.statements import parameter

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"', "`": "`", "$": "$"}


@dataclass(frozen=True)
class Grammar:
    """How one language's tree spells a string literal."""

    language: Callable[[], object]
    strings: frozenset[str]  # node types of a whole literal
    content: frozenset[str]  # its text pieces
    interpolations: frozenset[str]  # its ${...} / #{...} pieces
    escape: str = "escape_sequence"


GRAMMARS: dict[str, Grammar] = {}
_JS = Grammar(
    language=tree_sitter_javascript.language,
    strings=frozenset({"string", "template_string"}),
    content=frozenset({"string_fragment"}),
    interpolations=frozenset({"template_substitution"}),
)
_TS = Grammar(
    language=tree_sitter_typescript.language_typescript,
    strings=_JS.strings,
    content=_JS.content,
    interpolations=_JS.interpolations,
)
_TSX = Grammar(
    language=tree_sitter_typescript.language_tsx,
    strings=_JS.strings,
    content=_JS.content,
    interpolations=_JS.interpolations,
)
_GO = Grammar(
    language=tree_sitter_go.language,
    strings=frozenset({"interpreted_string_literal", "raw_string_literal"}),
    content=frozenset({"interpreted_string_literal_content", "raw_string_literal_content"}),
    interpolations=frozenset(),
)
_RUBY = Grammar(
    language=tree_sitter_ruby.language,
    strings=frozenset({"string", "heredoc_body"}),
    content=frozenset({"string_content", "heredoc_content"}),
    interpolations=frozenset({"interpolation"}),
)
GRAMMARS.update(
    {".js": _JS, ".mjs": _JS, ".cjs": _JS, ".jsx": _JS, ".ts": _TS, ".mts": _TS, ".cts": _TS, ".tsx": _TSX}
)
GRAMMARS.update({".go": _GO, ".rb": _RUBY})


@cache
def _parser(grammar: Grammar) -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


def _decode_escape(text: str) -> str:
    """``\\n`` -> newline, ``\\"`` -> quote; an escape zdt does not know keeps its character."""
    if len(text) == 2 and text[0] == "\\":
        return ESCAPES.get(text[1], text[1])
    return text


def _literal_text(node: tree_sitter.Node, grammar: Grammar) -> str:
    parts: list[str] = []
    count = 0
    for child in node.named_children:
        if child.type in grammar.content:
            parts.append((child.text or b"").decode("utf-8", "replace"))
        elif child.type == grammar.escape:
            parts.append(_decode_escape((child.text or b"").decode("utf-8", "replace")))
        elif child.type in grammar.interpolations:
            count += 1
            parts.append(parameter(count))
    return "".join(parts)


def _walk(node: tree_sitter.Node, types: frozenset[str]) -> Iterator[tree_sitter.Node]:
    """String nodes in source order; a literal's own children are not searched again."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in types:
            yield current
            continue
        stack.extend(reversed(current.children))


def tree_sitter_literals(text: str, suffix: str) -> list[StringLiteral]:
    """Every string literal of a file in the language its suffix names (a key of GRAMMARS)."""
    grammar = GRAMMARS[suffix]
    tree = _parser(grammar).parse(text.encode("utf-8"))
    return [
        StringLiteral(_literal_text(node, grammar), node.start_point.row + 1)
        for node in _walk(tree.root_node, grammar.strings)
    ]
