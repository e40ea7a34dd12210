"""A collected corpus (JSON) reads as the same AppQuery list as a .sql file, with each query's origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zdt.analysis.source import SqlSyntaxError
from zdt.compat import load_queries, read_queries
from zdt.compat.corpus import CorpusError, CorpusQuery, QueryCorpus, is_corpus_text
from zdt.compat.queries import QueryOrigin

CORPUS = QueryCorpus(
    queries=[
        CorpusQuery(
            name="app/users.py:12",
            sql="SELECT id FROM users WHERE id = $1",
            origin=QueryOrigin(kind="source", place="app/users.py", line=12),
        ),
        CorpusQuery(
            name="stats 42",
            sql="UPDATE users SET name = $1 WHERE id = $2",
            origin=QueryOrigin(kind="stats", place="postgresql://app@db:5432/app", calls=1200),
        ),
        CorpusQuery(
            name="User.delete",
            sql='DELETE FROM "public"."users" WHERE ("public"."users"."id" = $1 AND 1=1)',
            origin=QueryOrigin(kind="prisma", place="User.delete"),
        ),
    ]
)


def test_a_corpus_file_loads_as_app_queries_with_their_origin(tmp_path: Path) -> None:
    path = tmp_path / "corpus.json"
    path.write_text(CORPUS.to_json())
    queries = load_queries(path)
    assert [(q.index, q.kind, q.line, q.source, q.name) for q in queries] == [
        (0, "SelectStmt", 12, "app/users.py", "app/users.py:12"),
        (1, "UpdateStmt", 1, "postgresql://app@db:5432/app", "stats 42"),
        (2, "DeleteStmt", 1, "User.delete", "User.delete"),
    ]
    assert [q.label for q in queries] == [
        "app/users.py:12",
        "stats 42 (postgresql://app@db:5432/app, 1200 calls)",
        "User.delete",
    ]
    assert queries[2].origin == QueryOrigin(kind="prisma", place="User.delete")


def test_sql_text_still_reads_as_before() -> None:
    assert not is_corpus_text("-- name: x\nSELECT 1")
    [query] = read_queries("-- name: one\nSELECT 1;", "q.sql")
    assert (query.name, query.origin, query.label) == ("one", None, "one (q.sql:2)")


def test_a_bad_corpus_is_refused_with_the_file_and_the_reason() -> None:
    with pytest.raises(CorpusError, match=r"c.json:1:\d+: not valid JSON"):
        read_queries("{nope", "c.json")
    with pytest.raises(CorpusError, match=r"c\.json: corpus version 7, this zdt reads version 1"):
        read_queries(json.dumps({"version": 7, "queries": []}), "c.json")
    with pytest.raises(CorpusError, match=r"c\.json: not a query corpus: queries\.0\.origin"):
        read_queries(json.dumps({"version": 1, "queries": [{"name": "x", "sql": "SELECT 1"}]}), "c.json")


def test_a_query_that_does_not_parse_names_its_entry_and_origin() -> None:
    broken = QueryCorpus(
        queries=[CorpusQuery(name="q", sql="SELEC 1", origin=QueryOrigin(kind="file", place="a.sql", line=3))]
    )
    with pytest.raises(SqlSyntaxError, match=r"c.json query 1 \(q, from a.sql:3\):1:1"):
        read_queries(broken.to_json(), "c.json")
