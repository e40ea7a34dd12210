"""The collected query corpus (``zdt queries collect --out corpus.json``): one format, each query's origin.

Compatibility checks and the rehearsal load read the same list of :class:`AppQuery` whether the team keeps
a hand-written ``.sql`` file or lets zdt collect the queries from the code, ``pg_stat_statements`` and a
Prisma schema. The JSON file is a pydantic model with a version, so a file written by another zdt is
refused with the reason rather than half-read. Each query is parsed again on reading: a corpus edited by
hand gets the same syntax errors, naming the entry and its origin, as a ``.sql`` file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zdt.analysis.source import parse_statements
from zdt.compat.queries import AppQuery, QueryOrigin, parse_queries

CORPUS_VERSION: Literal[1] = 1


class CorpusError(ValueError):
    """A corpus file that is not valid JSON, not a corpus of this version, or holds a bad query."""


class CorpusQuery(BaseModel):
    """One query of the corpus: its SQL (``$n`` parameters), a name and where it came from."""

    model_config = ConfigDict(frozen=True)

    name: str
    sql: str
    origin: QueryOrigin


class QueryCorpus(BaseModel):
    """The application's queries, as ``zdt queries collect`` writes them."""

    version: Literal[1] = CORPUS_VERSION
    queries: list[CorpusQuery] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="What collection left out and why (counts, missing extension)."
    )

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True) + "\n"


def is_corpus_text(text: str) -> bool:
    """A corpus is a JSON object; SQL never starts with '{', so the first character tells them apart."""
    return text.lstrip().startswith("{")


def parse_corpus(text: str, source: str = "<input>") -> QueryCorpus:
    """Validate a corpus file's text; raises CorpusError naming ``source`` and the problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorpusError(f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    if isinstance(data, dict) and data.get("version") != CORPUS_VERSION:
        raise CorpusError(
            f"{source}: corpus version {data.get('version')!r}, this zdt reads version {CORPUS_VERSION}"
        )
    try:
        return QueryCorpus.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CorpusError(f"{source}: not a query corpus: {where}: {first['msg']}") from None


def corpus_queries(corpus: QueryCorpus, source: str = "<input>") -> list[AppQuery]:
    """The corpus as AppQuery, in its order; a query that does not parse raises SqlSyntaxError."""
    queries = []
    for index, entry in enumerate(corpus.queries):
        label = f"{source} query {index + 1} ({entry.name}, from {entry.origin.label})"
        statements = parse_statements(entry.sql, label)
        if len(statements) != 1:
            raise CorpusError(f"{label}: expected exactly one statement, got {len(statements)}")
        queries.append(
            AppQuery(
                index=index,
                sql=statements[0].sql,
                line=entry.origin.line or 1,
                source=entry.origin.place,
                name=entry.name,
                kind=statements[0].kind,
                origin=entry.origin,
            )
        )
    return queries


def read_queries(text: str, source: str = "<input>") -> list[AppQuery]:
    """The application's queries from a ``.sql`` text or a corpus's JSON text, whichever ``text`` is."""
    if is_corpus_text(text):
        return corpus_queries(parse_corpus(text, source), source)
    return parse_queries(text, source=source)


def load_queries(path: Path | str) -> list[AppQuery]:
    """Read a .sql file of application queries or a collected corpus (.json)."""
    path = Path(path)
    return read_queries(path.read_text(), source=str(path))
