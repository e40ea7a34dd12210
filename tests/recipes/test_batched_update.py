"""batched-update: an UPDATE becomes a keyset backfill that gives the same result as the statement, skips
rows already done on a re-run, and is reversible: undoing the plan's ADD COLUMN removes the values it
wrote, and an UPDATE of an existing column keeps the old values in zdt's schema until contract."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint, table_checksum
from tests.recipes.lifecycle import (
    POSTS_COLUMNS,
    ROWS,
    SETTINGS,
    analyse_original,
    apply_reversible_then_undo,
    create_posts,
    error_findings,
    execute,
    plan_against,
    scalar,
)
from zdt.executor import MigrationStatus, apply_plan, rollback_migration
from zdt.plan.check import check_plan, stamp
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

NEW_COLUMN = "ALTER TABLE posts ADD COLUMN status text;\nUPDATE posts SET status = 'draft';"


def test_update_of_a_column_added_by_the_plan_is_a_reversible_backfill(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(database_url, NEW_COLUMN)

    _, update = analyse_original(NEW_COLUMN, planned.snapshot)
    assert any("table-wide-update" in finding for finding in error_findings(update))

    add, backfill = planned.plan.steps
    assert (add.phase, backfill.phase) == (Phase.EXPAND, Phase.MIGRATE)
    assert backfill.recipe == "batched-update" and backfill.sql == []
    assert backfill.backfill is not None
    assert backfill.backfill.key_column == "id"
    assert backfill.backfill.set_sql == "\"status\" = 'draft'"
    assert backfill.backfill.where_sql == "status IS DISTINCT FROM CAST('draft' AS text)"
    assert backfill.rollback.not_needed

    # The real executor: apply every phase, check the result, roll the whole migration back.
    before = fingerprint(database_url)
    checksum = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    plan = stamp(planned.plan, planned.snapshot)
    log = tmp_path / "MIGRATION-LOG.md"
    result = apply_plan(plan, database_url, log_path=log)
    assert result.ok, result.message
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE status = 'draft'") == ROWS
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == checksum

    undone = rollback_migration(plan, database_url, log_path=log)
    assert undone.status is MigrationStatus.ROLLED_BACK, undone.message
    assert fingerprint(database_url) == before


def test_a_rerun_skips_the_rows_already_done(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    plan = plan_against(database_url, NEW_COLUMN).plan
    execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)  # add
    conn.execute("UPDATE posts SET status = 'draft' WHERE id <= 4000")  # a first run that stopped early
    versions = "SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM posts WHERE id <= 4000"
    done_before = scalar(database_url, versions)
    execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)  # the backfill
    assert scalar(database_url, versions) == done_before  # not one of those rows was written again
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE status IS DISTINCT FROM 'draft'") == 0


def test_update_of_an_existing_column_keeps_the_old_values_and_its_rollback_restores_them(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    plan = plan_sql("UPDATE posts SET score = 0 WHERE score > 3;", snapshot=snapshot, settings=SETTINGS)
    keep, update, drop = plan.steps
    assert keep.sql[0].startswith('CREATE TABLE "zdt"."old_posts_')
    assert [step.phase for step in plan.steps] == [Phase.EXPAND, Phase.MIGRATE, Phase.CONTRACT]
    assert update.backfill is not None and update.backfill.keep_old is not None
    kept = update.backfill.keep_old
    assert kept.table.startswith("zdt.old_posts_") and kept.columns == ["score"]
    assert update.backfill.where_sql == "score > 3 AND score IS DISTINCT FROM CAST(0 AS integer)"
    assert (
        update.rollback.sql
        and drop.rollback.irreversible
        and "restoring them from a backup" in (drop.rollback.irreversible)
    )
    assert check_plan(plan, snapshot) == []  # reversible before contract: the gate passes it

    before = fingerprint(database_url)
    original = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    expected = scalar(database_url, "SELECT count(*) FROM posts WHERE score > 3 OR score = 0")
    changed = scalar(database_url, "SELECT count(*) FROM posts WHERE score > 3")
    stamped = stamp(plan, snapshot)
    execute(database_url, stamped, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE score = 0") == expected
    assert scalar(database_url, f"SELECT count(*) FROM {kept.table}") == changed  # only the changed rows

    undone = rollback_migration(stamped, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert undone.status is MigrationStatus.ROLLED_BACK, undone.message
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == original  # every value back
    assert fingerprint(database_url) == before
    assert scalar(database_url, "SELECT to_regclass(%s) IS NULL", (kept.table,))


def test_two_identical_updates_of_one_file_keep_their_old_values_apart(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """The second UPDATE sees what the first wrote: one table for both would lose the first's old values
    (or fail to be created twice)."""
    create_posts(conn)
    snapshot = introspect(conn)
    twice = "UPDATE posts SET score = score + 1 WHERE score > 3;\n" * 2
    plan = stamp(plan_sql(twice, snapshot=snapshot, settings=SETTINGS), snapshot)
    kept = [step.backfill.keep_old.table for step in plan.steps if step.backfill and step.backfill.keep_old]
    assert len(kept) == 2 and kept[0] != kept[1]

    original = table_checksum(database_url, "public.posts", POSTS_COLUMNS)
    execute(database_url, plan, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE score > 3 AND score < 6") == 0
    undone = rollback_migration(plan, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert undone.status is MigrationStatus.ROLLED_BACK, undone.message
    assert table_checksum(database_url, "public.posts", POSTS_COLUMNS) == original


def test_after_contract_the_update_is_final_and_the_kept_values_are_gone(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    plan = stamp(
        plan_sql("UPDATE posts SET title = upper(title);", snapshot=snapshot, settings=SETTINGS), snapshot
    )
    kept = plan.steps[1].backfill.keep_old if plan.steps[1].backfill else None
    assert kept is not None
    execute(database_url, plan, log_dir=tmp_path)
    assert scalar(database_url, "SELECT count(*) FROM posts WHERE title <> upper(title)") == 0
    assert scalar(database_url, "SELECT to_regclass(%s) IS NULL", (kept.table,))
    undone = rollback_migration(plan, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert undone.status is not MigrationStatus.ROLLED_BACK and "drop-old-values" in undone.message


def test_a_non_idempotent_set_updates_every_row_exactly_once_and_is_undone_exactly(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    snapshot = introspect(conn)
    plan = plan_sql("UPDATE posts SET score = score + 1;", snapshot=snapshot, settings=SETTINGS)
    step = plan.steps[1]
    assert step.backfill is not None and step.backfill.where_sql is None
    assert "not idempotent" in step.description
    total = scalar(database_url, "SELECT sum(score) FROM posts")
    stamped = stamp(plan, snapshot)
    execute(database_url, stamped, Phase.EXPAND, Phase.MIGRATE, log_dir=tmp_path)
    assert scalar(database_url, "SELECT sum(score) FROM posts") == total + ROWS  # type: ignore[operator]
    undone = rollback_migration(stamped, database_url, log_path=tmp_path / "MIGRATION-LOG.md")
    assert undone.status is MigrationStatus.ROLLED_BACK, undone.message
    assert scalar(database_url, "SELECT sum(score) FROM posts") == total


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (
            "UPDATE posts p SET score = 1 WHERE EXISTS (SELECT 1 FROM authors p WHERE p.id = 1);",
            "the alias p of posts cannot be spelled out for the batches: p is also a name inside",
        ),
        (
            "UPDATE posts SET title = p.title FROM posts p WHERE p.id = posts.id + 1;",
            "reads public.posts itself",
        ),
        ("UPDATE posts p SET score = 1 FROM posts q WHERE q.id = p.id + 1;", "posts is also a name inside"),
        ("UPDATE posts SET score = 1 RETURNING id;", "RETURNING"),
        ("UPDATE ONLY posts SET score = 1;", "ONLY"),
        ("UPDATE posts SET (score, title) = (1, 'x');", "assignments (write one assignment per column)"),
        ("UPDATE posts SET id = id + 1000000;", "assigns public.posts.id, the key the batches walk by"),
        ("UPDATE authors_copy SET name = 'x';", "but public.authors_copy has no single-column primary key"),
    ],
)
def test_what_batches_cannot_express_is_refused(sql: str, reason: str, conn: psycopg.Connection) -> None:
    create_posts(conn)
    conn.execute("CREATE TABLE authors_copy AS SELECT * FROM authors")
    with pytest.raises(PlanningError, match=re.escape(reason)):
        plan_sql(sql, snapshot=introspect(conn))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE posts AS p SET title = upper(p.title) WHERE p.score > 3;",
        "UPDATE posts p SET title = a.name FROM authors a WHERE p.author_id = a.id AND a.id < 50;",
    ],
)
def test_a_table_alias_is_spelled_out_and_the_batches_do_what_the_statement_does(
    sql: str, conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    before = table_checksum(database_url, "posts", POSTS_COLUMNS)
    with conn.transaction(force_rollback=True):  # the statement as written, on the same rows
        conn.execute(sql)
        conn.execute("CREATE TABLE expected AS SELECT * FROM posts")
        expected = _checksum_of(conn, "expected")
    planned = plan_against(database_url, sql)
    [update] = [step for step in planned.plan.steps if step.backfill is not None]
    assert update.backfill is not None
    assert "p." not in update.backfill.set_sql and "p." not in (update.backfill.where_sql or "")

    execute(database_url, planned.plan, log_dir=tmp_path)

    after = table_checksum(database_url, "posts", POSTS_COLUMNS)
    assert after != before and after == expected


def _checksum_of(conn: psycopg.Connection, table: str) -> tuple[int, str]:
    cols = ", ".join(POSTS_COLUMNS)
    row = conn.execute(
        f"SELECT count(*), md5(coalesce(string_agg(row({cols})::text, ',' ORDER BY id), '')) FROM {table}"
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


FROM_AUTHORS = """
ALTER TABLE posts ADD COLUMN author_name text;
UPDATE posts SET author_name = authors.name FROM authors WHERE authors.id = posts.author_id;
"""
NICKNAMES = """
CREATE TABLE nicknames (author_id bigint NOT NULL, nick text NOT NULL);
INSERT INTO nicknames SELECT g, 'nick ' || g FROM generate_series(1, 60) g;
INSERT INTO nicknames SELECT g, 'alias ' || g FROM generate_series(1, 30) g;
"""
FROM_NICKNAMES = """
ALTER TABLE posts ADD COLUMN nick text;
UPDATE posts SET nick = n.nick FROM nicknames AS n WHERE n.author_id = posts.author_id;
"""


def test_update_from_runs_in_batches_joined_to_its_from_list(
    conn: psycopg.Connection, admin_url: str, database_url: str, tmp_path: Path
) -> None:
    create_posts(conn)
    planned = plan_against(database_url, FROM_AUTHORS)
    _, backfill = planned.plan.steps
    assert backfill.backfill is not None
    assert backfill.backfill.from_sql == "authors"
    assert backfill.backfill.where_sql == (
        "authors.id = posts.author_id AND NOT EXISTS (SELECT 1 FROM authors WHERE authors.id = "
        "posts.author_id AND NOT posts.author_name IS DISTINCT FROM CAST(authors.name AS text))"
    )
    assert backfill.rollback.not_needed and "re-runs do no work twice" in backfill.description

    proof = prove_equivalence(planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url)
    assert proof.proven, proof.summary()
    apply_reversible_then_undo(database_url, planned.plan, tmp_path / "undo")
    execute(database_url, planned.plan, log_dir=tmp_path)
    wrong = (
        "SELECT count(*) FROM posts p LEFT JOIN authors a ON a.id = p.author_id "
        "WHERE p.author_name IS DISTINCT FROM a.name"
    )
    assert scalar(database_url, wrong) == 0
    assert scalar(database_url, "SELECT count(author_name) FROM posts") == ROWS


def test_rows_with_several_matches_get_one_of_them_and_a_rerun_skips_them(
    conn: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    """As the plain UPDATE ... FROM: a row matched twice is updated once, to either match; a row without
    a match keeps its value. A row already holding one of its matches is done: the batches skip it."""
    create_posts(conn)
    conn.execute(NICKNAMES)
    plan = plan_against(database_url, FROM_NICKNAMES).plan
    execute(database_url, plan, Phase.EXPAND, log_dir=tmp_path)
    # A first run that stopped early, as the plain statement (which picks one of two matches itself).
    conn.execute(
        "UPDATE posts SET nick = n.nick FROM nicknames n WHERE n.author_id = posts.author_id AND id <= 4000"
    )
    versions = "SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM posts WHERE id <= 4000"
    done_before = scalar(database_url, versions)
    execute(database_url, plan, Phase.MIGRATE, log_dir=tmp_path)
    assert scalar(database_url, versions) == done_before  # not one of those rows was written again
    not_a_match = (
        "SELECT count(*) FROM posts p WHERE p.nick IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM nicknames n WHERE n.author_id = p.author_id AND n.nick = p.nick)"
    )
    assert scalar(database_url, not_a_match) == 0
    matched = "SELECT count(*) FROM posts WHERE author_id IN (SELECT author_id FROM nicknames)"
    assert scalar(database_url, "SELECT count(nick) FROM posts") == scalar(database_url, matched)
