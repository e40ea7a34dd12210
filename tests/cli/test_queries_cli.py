"""``zdt queries collect`` writes the corpus, and ``zdt run --queries corpus.json`` checks it: a real
subprocess and a real server, as a developer would run them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.graph.cli_support import SQL, prepare_target, session_id_in, zdt
from tests.graph.conftest import create_schema
from zdt.compat import load_queries
from zdt.db.scratch import scratch_database

APP_CODE = """\
def user(conn, user_id):
    return conn.fetchrow("SELECT id, email, reputation FROM users WHERE id = $1", user_id)


def bump(conn, user_id):
    return conn.execute(f"UPDATE users SET reputation = reputation + 1 WHERE id = {user_id}")


HELP = "select a user"
"""
PRISMA = """\
model User {
  id         BigInt @id @default(autoincrement())
  email      String
  reputation Int    @default(0)
  @@map("users")
}
"""


def _app(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "users.py").write_text(APP_CODE)
    (tmp_path / "queries.sql").write_text("-- name: count_users\nSELECT count(*) FROM users;\n")
    (tmp_path / "schema.prisma").write_text(PRISMA)


def test_collect_writes_one_corpus_with_every_origin(tmp_path: Path) -> None:
    _app(tmp_path)
    done = zdt(
        "queries", "collect", "--from-file", "queries.sql", "--from-source", "app",
        "--prisma", "schema.prisma", "--out", "corpus.json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "8 queries (1 from file, 5 from prisma, 2 from source) written to corpus.json" in done.stderr
    assert "app: 2 queries in 1 source files" in done.stderr
    corpus = json.loads((tmp_path / "corpus.json").read_text())
    assert corpus["version"] == 1
    assert [(q["name"], q["origin"]["kind"]) for q in corpus["queries"]] == [
        ("count_users", "file"),
        ("app/users.py:2", "source"),
        ("app/users.py:6", "source"),
        ("User.findUnique", "prisma"),
        ("User.findMany", "prisma"),
        ("User.create", "prisma"),
        ("User.update", "prisma"),
        ("User.delete", "prisma"),
    ]
    assert corpus["queries"][2]["sql"] == "UPDATE users SET reputation = reputation + 1 WHERE id = $1"
    assert [q.label for q in load_queries(tmp_path / "corpus.json")][:3] == [
        "count_users (queries.sql:2)",
        "app/users.py:2",
        "app/users.py:6",
    ]


def test_collect_prints_to_stdout_without_out(tmp_path: Path) -> None:
    _app(tmp_path)
    done = zdt("queries", "collect", "--from-source", "app", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["queries"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "say where the queries are"),
        (("--from-source", "missing"), "no such source folder: missing"),
        (("--from-file", "missing.sql"), "cannot read missing.sql"),
        (("--prisma", "bad.prisma"), "bad.prisma:2: expected 'name Type'"),
        (("--from-file", "bad.sql"), "bad.sql:1:1"),
    ],
)
def test_bad_input_exits_2_naming_the_file(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "bad.prisma").write_text("model A {\n  id\n}\n")
    (tmp_path / "bad.sql").write_text("SELEC 1;\n")
    done = zdt("queries", "collect", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr


def test_stats_without_the_extension_exits_2_and_says_how_to_enable_it(
    database_url: str, tmp_path: Path
) -> None:
    done = zdt("queries", "collect", "--from-stats", database_url, cwd=tmp_path)
    assert done.returncode == 2
    assert "pg_stat_statements is not installed" in done.stderr and "shared_preload_libraries" in done.stderr


@pytest.fixture
def urls(database_url: str, admin_url: str) -> Iterator[tuple[str, str]]:
    prepare_target(database_url)
    with scratch_database(admin_url, prefix="zdt_staging") as staging:
        create_schema(staging)
        yield database_url, staging


def test_run_checks_the_collected_corpus_and_names_each_query_by_its_origin(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    target, staging = urls
    _app(tmp_path)
    (tmp_path / "badges.sql").write_text(SQL)
    collected = zdt(
        "queries", "collect", "--from-source", "app", "--prisma", "schema.prisma", "--out", "corpus.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr

    started = zdt(
        "run", "--sql", "badges.sql", "--queries", "corpus.json", "--brain", "offline", "--out", "pads",
        "--database-url", target, "--staging-url", staging, "--state-url", f"sqlite:///{tmp_path}/s.sqlite",
        cwd=tmp_path,
    )  # fmt: skip

    assert started.returncode == 3, started.stdout + started.stderr  # waiting at the approval
    session_id = session_id_in(started.stdout)
    report = (tmp_path / "pads" / session_id / "APP-COMPATIBILITY.md").read_text()
    assert "compatible" in report
    for label in ("app/users.py:2", "app/users.py:6", "User.findUnique", "User.update", "User.delete"):
        assert label in report, label
    assert "left out of the rehearsal load" not in started.stdout


def test_run_refuses_a_broken_corpus_before_anything_starts(urls: tuple[str, str], tmp_path: Path) -> None:
    target, _ = urls
    (tmp_path / "badges.sql").write_text(SQL)
    (tmp_path / "corpus.json").write_text('{"version": 1, "queries": [{"name": "q"}]}')
    refused = zdt(
        "run", "--sql", "badges.sql", "--queries", "corpus.json", "--brain", "offline",
        "--database-url", target, cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "cannot use the queries corpus: corpus.json: not a query corpus: queries.0.sql" in refused.stderr
