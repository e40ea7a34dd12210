"""Python drivers' placeholders (psycopg, psycopg2, DB-API ``format``/``pyformat``) as ``$n`` parameters.

``cur.execute("SELECT ... WHERE id = %s", (7,))`` is the most common way Python sends a query, and the
text does not parse as SQL until ``%s`` is a parameter. The placeholders are found on PostgreSQL's own
token stream (pglast's scanner): a ``%`` token immediately followed by the identifier ``s`` is ``%s``,
and ``%`` ``(`` name ``)`` ``s`` with nothing between is ``%(name)s`` (the same name, the same number).
A ``%`` inside a string constant is never a placeholder, and ``%%`` becomes ``%`` as the driver sends it.
"""

from __future__ import annotations

from pglast import parser

from zdt.collect.statements import parameter


def _adjacent(tokens: list[parser.Token], start: int, texts: list[str], text: str) -> bool:
    """Whether tokens[start:] spell ``texts`` with no character between them."""
    if start + len(texts) > len(tokens):
        return False
    for offset, expected in enumerate(texts):
        token = tokens[start + offset]
        if offset and token.start != tokens[start + offset - 1].end + 1:
            return False
        if expected != "*" and text[token.start : token.end + 1] != expected:
            return False
    return True


def numbered_placeholders(text: str) -> str | None:
    """``text`` with ``%s``/``%(name)s`` as ``$1``, ``$2``...; None when it has none (or does not scan)."""
    try:
        tokens = list(parser.scan(text))
    except parser.ParseError:
        return None
    out: list[str] = []
    numbers: dict[str, int] = {}
    count = 0
    position = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        spelled = text[token.start : token.end + 1]
        out.append(text[position : token.start])
        if _adjacent(tokens, i, ["%", "s"], text):
            count += 1
            out.append(parameter(count))
            i += 2
        elif _adjacent(tokens, i, ["%", "(", "*", ")", "s"], text):
            name = text[tokens[i + 2].start : tokens[i + 2].end + 1]
            if name not in numbers:
                count += 1
                numbers[name] = count
            out.append(parameter(numbers[name]))
            i += 5
        else:
            out.append(spelled.replace("%%", "%"))
            i += 1
        position = tokens[i - 1].end + 1
    out.append(text[position:])
    return "".join(out) if count else None
