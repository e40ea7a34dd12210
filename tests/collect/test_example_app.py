"""examples/app: every query in it found with its origin, nothing else, and every one prepares on the
civic platform schema it was written against (a real server: a corpus that does not prepare is no corpus).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from zdt.collect import collect_corpus
from zdt.compat import check_queries, read_queries
from zdt.examples import schema_sql
from zdt.rehearsal.workload import APP_QUERY_PREFIX, application_reads

ROOT = Path(__file__).parents[2]
APP = Path("examples/app")

SOURCE_QUERIES = {
    (
        "api/reports.py",
        8,
        "SELECT user_id, sum(amount_cents) AS cents FROM payment_records "
        "WHERE candidate_id = $1 AND status = 'succeeded' GROUP BY user_id",
    ),
    ("api/reports.py", 17, "UPDATE users SET is_verified = true WHERE id = $1 AND NOT is_verified"),
    (
        "api/sessions.py",
        5,
        "UPDATE user_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL",
    ),
    (
        "api/sessions.py",
        11,
        "SELECT id, user_agent, created_at, expires_at FROM user_sessions "
        "WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()",
    ),
    ("api/users.py", 5, "SELECT id, email, username, display_name, reputation FROM users WHERE id = $1"),
    ("api/users.py", 12, "UPDATE users SET display_name = $2 WHERE id = $1"),
    (
        "api/users.py",
        20,
        "INSERT INTO users (email, username, display_name) VALUES ($1, $2, $2) RETURNING id",
    ),
    (
        "api/users.py",
        33,
        "SELECT id, body, created_at FROM posts WHERE author_id = $1 ORDER BY created_at DESC",
    ),
    (
        "jobs/elections.rb",
        3,
        "SELECT e.id, e.name, e.election_date, c.name AS candidate, c.party "
        "FROM elections e JOIN candidates c ON c.election_id = e.id "
        "WHERE e.election_date >= current_date ORDER BY e.election_date",
    ),
    (
        "jobs/elections.rb",
        12,
        "SELECT count(*) FROM candidates "
        "WHERE election_id IN (SELECT id FROM elections WHERE jurisdiction = $1)",
    ),
    (
        "payments/payments.go",
        11,
        "UPDATE payment_records SET status = 'succeeded', settled_at = now() WHERE id = $1",
    ),
    (
        "payments/payments.go",
        17,
        "INSERT INTO payment_records (user_id, candidate_id, amount_cents) VALUES ($1, $2, $3) RETURNING id",
    ),
    (
        "web/follow.js",
        6,
        "INSERT INTO user_relationships (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    ),
    ("web/follow.js", 12, "DELETE FROM user_relationships WHERE follower_id = $1 AND followee_id = $2"),
    (
        "web/posts.ts",
        6,
        "SELECT p.id, p.body, p.like_count, u.username FROM posts p JOIN users u ON u.id = p.author_id "
        "WHERE p.visibility = 'public' ORDER BY p.created_at DESC LIMIT $1",
    ),
    ("web/posts.ts", 14, "UPDATE posts SET like_count = like_count + 1 WHERE id = $1"),
    ("web/posts.ts", 18, "SELECT id, body FROM posts WHERE reply_to_id = $1 ORDER BY id LIMIT $2"),
}
PRISMA_OPERATIONS = {
    f"{model}.{operation}"
    for model in ("User", "Post")
    for operation in ("findUnique", "findMany", "create", "update", "delete")
}


@pytest.fixture
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


@pytest.mark.usefixtures("in_repository")
def test_every_query_of_the_example_app_is_found_with_its_origin_and_nothing_else() -> None:
    corpus = collect_corpus(sources=[APP])
    found = {
        (q.origin.place.removeprefix(f"{APP.as_posix()}/"), q.origin.line, _one_line(q.sql))
        for q in corpus.queries
    }
    assert found == SOURCE_QUERIES
    assert {q.origin.kind for q in corpus.queries} == {"source"}
    assert len(corpus.queries) == len(SOURCE_QUERIES)
    assert corpus.notes == ["examples/app: 17 queries in 7 source files"]


@pytest.mark.usefixtures("in_repository")
def test_the_prisma_schema_gives_five_operations_per_model() -> None:
    corpus = collect_corpus(prisma=APP / "prisma" / "schema.prisma")
    assert {q.name for q in corpus.queries} == PRISMA_OPERATIONS
    assert {(q.origin.kind, q.origin.place) for q in corpus.queries} == {
        ("prisma", n) for n in PRISMA_OPERATIONS
    }


@pytest.mark.usefixtures("in_repository")
def test_every_collected_query_prepares_on_the_civic_schema(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(schema_sql())
    corpus = collect_corpus(sources=[APP], prisma=APP / "prisma" / "schema.prisma")
    queries = read_queries(corpus.to_json(), "corpus.json")
    checks = check_queries(database_url, queries)
    assert [(q.label, c.error) for q, c in zip(queries, checks, strict=True) if not c.new_schema_ok] == []
    assert len(checks) == len(SOURCE_QUERIES) + len(PRISMA_OPERATIONS)


@pytest.mark.usefixtures("in_repository")
def test_the_rehearsal_load_reads_the_corpus_selects_by_their_origin(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(schema_sql())
    corpus = collect_corpus(sources=[APP / "api" / "users.py"], prisma=APP / "prisma" / "schema.prisma")
    reads, notes = application_reads(database_url, read_queries(corpus.to_json(), "corpus.json"))
    assert notes == []
    assert [read.name for read in reads] == [
        f"{APP_QUERY_PREFIX}examples/app/api/users.py:5",
        f"{APP_QUERY_PREFIX}examples/app/api/users.py:33",
        f"{APP_QUERY_PREFIX}User.findUnique",
        f"{APP_QUERY_PREFIX}User.findMany",
        f"{APP_QUERY_PREFIX}Post.findUnique",
        f"{APP_QUERY_PREFIX}Post.findMany",
    ]
