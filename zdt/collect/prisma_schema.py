"""A small, honest reader of ``schema.prisma``: what zdt needs to know the SQL the Prisma client sends.

No well-kept Python library reads Prisma schemas (the PyPI packages that mention Prisma are generators
for one project or abandoned), so zdt reads the file itself, with a tokenizer and a line-oriented
parser, never with patterns. What it supports:

- ``model`` blocks: scalar fields (``String``, ``Int``, ``BigInt``, ``Float``, ``Decimal``, ``Boolean``,
  ``DateTime``, ``Json``, ``Bytes``, declared ``enum`` types; ``?`` and ``[]`` modifiers), ``@id``,
  ``@map("column")``, ``@default(...)`` (its function name), ``@unique``, ``@relation`` (a field whose type
  is a model is a relation, not a column); block attributes ``@@id([a, b])``, ``@@map("table")``,
  ``@@schema("name")``, ``@@unique([...])``;
- ``enum`` blocks with ``@@map`` (for the casts Prisma writes) and ``@@schema``;
- ``//`` and ``///`` comments; ``datasource``, ``generator``, ``view`` and ``type`` blocks are skipped.

What it does not: ``Unsupported("...")`` fields are dropped (the Prisma client cannot read them either),
views and MongoDB composite types are not models, and the datasource's ``?schema=`` is not read (the
schema is ``public`` unless ``@@schema`` says otherwise). A line it cannot read raises
:class:`PrismaSchemaError` with the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SCALARS = frozenset({"String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"})
PUNCTUATION = frozenset("{}()[]?,:=.")
SKIPPED_BLOCKS = frozenset({"datasource", "generator", "view", "type"})


class PrismaSchemaError(ValueError):
    """The schema file has a line this reader does not understand; names the file and the line."""


@dataclass(frozen=True)
class Token:
    kind: str  # name, string, number, punct, at (@), atat (@@), newline
    text: str
    line: int


@dataclass(frozen=True)
class Attribute:
    """``@name(args)`` or ``@@name(args)``: the name (``map``, ``db.VarChar``) and its argument tokens."""

    name: str
    arguments: tuple[Token, ...] = ()

    def first_string(self) -> str | None:
        return next((token.text for token in self.arguments if token.kind == "string"), None)

    def names_in_list(self) -> list[str]:
        """``@@id([a, b])`` -> ["a", "b"] (the first bracketed list's names)."""
        names: list[str] = []
        inside = False
        for token in self.arguments:
            if token.text == "[" and token.kind == "punct":
                inside = True
            elif token.text == "]" and token.kind == "punct":
                break
            elif inside and token.kind == "name":
                names.append(token.text)
        return names

    def first_name(self) -> str | None:
        return next((token.text for token in self.arguments if token.kind == "name"), None)


@dataclass(frozen=True)
class PrismaField:
    name: str
    type: str
    optional: bool
    is_list: bool
    attributes: tuple[Attribute, ...]
    line: int

    def attribute(self, name: str) -> Attribute | None:
        return next((item for item in self.attributes if item.name == name), None)

    @property
    def column(self) -> str:
        mapped = self.attribute("map")
        return (mapped.first_string() if mapped else None) or self.name

    @property
    def default_function(self) -> str | None:
        """``@default(autoincrement())`` -> "autoincrement"; a literal default -> "value"."""
        default = self.attribute("default")
        if default is None:
            return None
        return default.first_name() or "value"


@dataclass
class PrismaModel:
    name: str
    line: int
    fields: list[PrismaField] = field(default_factory=list)
    block_attributes: list[Attribute] = field(default_factory=list)

    def block_attribute(self, name: str) -> Attribute | None:
        return next((item for item in self.block_attributes if item.name == name), None)

    @property
    def table(self) -> str:
        mapped = self.block_attribute("map")
        return (mapped.first_string() if mapped else None) or self.name

    @property
    def schema(self) -> str:
        named = self.block_attribute("schema")
        return (named.first_string() if named else None) or "public"


@dataclass
class PrismaSchema:
    path: str
    models: list[PrismaModel] = field(default_factory=list)
    enums: dict[str, PrismaModel] = field(default_factory=dict)  # an enum block: its name, @@map, @@schema

    def is_scalar(self, type_name: str) -> bool:
        return type_name in SCALARS or type_name in self.enums


def tokenize(text: str, path: str) -> list[Token]:
    """Names, strings, numbers, punctuation, ``@``/``@@`` and newlines; comments are dropped."""
    tokens: list[Token] = []
    line, i = 1, 0
    while i < len(text):
        char = text[i]
        if char == "\n":
            tokens.append(Token("newline", "\n", line))
            line += 1
            i += 1
        elif char.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif char == '"':
            value, i = _string(text, i + 1, path, line)
            tokens.append(Token("string", value, line))
        elif char == "@":
            double = text.startswith("@@", i)
            tokens.append(Token("atat" if double else "at", "@@" if double else "@", line))
            i += 2 if double else 1
        elif char.isalpha() or char == "_":
            start = i
            while i < len(text) and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(Token("name", text[start:i], line))
        elif char.isdigit() or (char == "-" and i + 1 < len(text) and text[i + 1].isdigit()):
            start = i
            i += 1
            while i < len(text) and (text[i].isdigit() or text[i] == "."):
                i += 1
            tokens.append(Token("number", text[start:i], line))
        elif char in PUNCTUATION:
            tokens.append(Token("punct", char, line))
            i += 1
        else:
            raise PrismaSchemaError(f"{path}:{line}: unexpected character {char!r}")
    tokens.append(Token("newline", "\n", line))
    return tokens


def _string(text: str, i: int, path: str, line: int) -> tuple[str, int]:
    value: list[str] = []
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            value.append(text[i + 1])
            i += 2
        elif char == '"':
            return "".join(value), i + 1
        elif char == "\n":
            break
        else:
            value.append(char)
            i += 1
    raise PrismaSchemaError(f"{path}:{line}: unterminated string")


def _lines(tokens: list[Token]) -> list[list[Token]]:
    lines: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "newline":
            if lines[-1]:
                lines.append([])
        else:
            lines[-1].append(token)
    return [line for line in lines if line]


def _attributes(tokens: list[Token], start: int, path: str) -> list[Attribute]:
    """``@a @b.c(args) @@d(...)`` from ``tokens[start:]``; parentheses may nest."""
    found: list[Attribute] = []
    i = start
    while i < len(tokens):
        token = tokens[i]
        if token.kind not in ("at", "atat") or i + 1 >= len(tokens) or tokens[i + 1].kind != "name":
            raise PrismaSchemaError(f"{path}:{token.line}: expected an attribute, found {token.text!r}")
        name = tokens[i + 1].text
        i += 2
        while i + 1 < len(tokens) and tokens[i].text == "." and tokens[i + 1].kind == "name":
            name += "." + tokens[i + 1].text
            i += 2
        arguments: list[Token] = []
        if i < len(tokens) and tokens[i].text == "(" and tokens[i].kind == "punct":
            depth = 0
            while i < len(tokens):
                if tokens[i].kind == "punct" and tokens[i].text == "(":
                    depth += 1
                elif tokens[i].kind == "punct" and tokens[i].text == ")":
                    depth -= 1
                    if depth == 0:
                        break
                arguments.append(tokens[i])
                i += 1
            if depth != 0:
                raise PrismaSchemaError(f"{path}:{token.line}: unclosed '(' in @{name}")
            arguments = arguments[1:]  # the opening parenthesis
            i += 1
        found.append(Attribute(name, tuple(arguments)))
    return found


def _field(tokens: list[Token], path: str) -> PrismaField | None:
    """One field line: ``name Type[?|[]] @attributes``; None for an Unsupported(...) field."""
    line = tokens[0].line
    if len(tokens) < 2 or tokens[0].kind != "name" or tokens[1].kind != "name":
        raise PrismaSchemaError(f"{path}:{line}: expected 'name Type', found {tokens[0].text!r}")
    name, type_name = tokens[0].text, tokens[1].text
    i = 2
    if type_name == "Unsupported":
        return None
    optional = is_list = False
    while i < len(tokens) and tokens[i].kind == "punct" and tokens[i].text in "?[]":
        optional |= tokens[i].text == "?"
        is_list |= tokens[i].text == "["
        i += 1
    return PrismaField(name, type_name, optional, is_list, tuple(_attributes(tokens, i, path)), line)


def parse_prisma_schema(text: str, path: str = "schema.prisma") -> PrismaSchema:
    """Models and enums of a schema file; raises PrismaSchemaError with file and line."""
    schema = PrismaSchema(path=path)
    lines = _lines(tokenize(text, path))
    i = 0
    while i < len(lines):
        head = lines[i]
        if not (len(head) >= 3 and head[0].kind == "name" and head[-1].text == "{"):
            raise PrismaSchemaError(f"{path}:{head[0].line}: expected a block such as 'model Name {{'")
        keyword, name = head[0].text, head[1].text
        body_start = i + 1
        i = body_start
        while i < len(lines) and not (len(lines[i]) == 1 and lines[i][0].text == "}"):
            i += 1
        if i == len(lines):
            raise PrismaSchemaError(f"{path}:{head[0].line}: block {keyword} {name} is not closed")
        body = lines[body_start:i]
        i += 1
        if keyword in SKIPPED_BLOCKS:
            continue
        block = PrismaModel(name=name, line=head[0].line)
        if keyword == "enum":
            block.block_attributes = [
                a for ln in body if ln[0].kind == "atat" for a in _attributes(ln, 0, path)
            ]
            schema.enums[name] = block
        elif keyword == "model":
            for tokens in body:
                if tokens[0].kind == "atat":
                    block.block_attributes.extend(_attributes(tokens, 0, path))
                else:
                    parsed = _field(tokens, path)
                    if parsed is not None:
                        block.fields.append(parsed)
            schema.models.append(block)
        else:
            raise PrismaSchemaError(f"{path}:{head[0].line}: unknown block {keyword!r}")
    return schema


def read_prisma_schema(path: Path) -> PrismaSchema:
    return parse_prisma_schema(path.read_text(encoding="utf-8"), str(path))
