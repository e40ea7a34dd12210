"""``zdt run`` and ``zdt resume`` as separate processes: stop at the approval, exit 3, resume elsewhere.

Why: the approval may come hours later from another shell; the session must be on disk, production must
be untouched until then, the printed command must be the one that works, and the resuming process must
prove it is talking about the same database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.graph.cli_support import SQL, column_exists, prepare_target, session_id_in, zdt
from tests.graph.conftest import create_schema
from zdt.db.scratch import scratch_database
from zdt.executor import migration_status


@pytest.fixture
def urls(database_url: str, admin_url: str) -> Iterator[tuple[str, str]]:
    prepare_target(database_url)
    with scratch_database(admin_url, prefix="zdt_staging") as staging:
        create_schema(staging)
        yield database_url, staging


def test_run_waits_at_the_approval_and_a_new_process_resumes_it(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    target, staging = urls
    (tmp_path / "badges.sql").write_text(SQL)
    common = [
        "--database-url",
        target,
        "--staging-url",
        staging,
        "--state-url",
        f"sqlite:///{tmp_path}/s.sqlite",
    ]

    started = zdt(
        "run",
        "count badges",
        "--sql",
        "badges.sql",
        "--brain",
        "offline",
        "--out",
        "pads",
        "--max-wal-rate",
        "500",
        *common,
        cwd=tmp_path,
    )

    assert started.returncode == 3, started.stdout + started.stderr
    assert "brain: offline" in started.stdout
    assert "Nothing was done in production" in started.stdout
    session_id = session_id_in(started.stdout)
    printed = started.stdout.replace("'", "")
    assert f"zdt resume {session_id} --approve --database-url {target}" in printed
    assert "--max-wal-rate 500" in printed  # the executor's options are given again on resume
    assert not column_exists(target, "users", "badge_count")
    assert migration_status(target) == []
    assert (tmp_path / "pads" / "latest").resolve().name == session_id
    assert (tmp_path / "pads" / session_id / "MIGRATION-PLAN.md").is_file()

    resumed = zdt("resume", session_id, "--approve", "--by", "dba", "--out", "pads", *common, cwd=tmp_path)

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert column_exists(target, "users", "badge_count")
    assert "session summary" in resumed.stdout and "done" in resumed.stdout
    log = (tmp_path / "pads" / session_id / "MIGRATION-LOG.md").read_text()
    assert "s01-create-index" in log and "apply" in log

    again = zdt("resume", session_id, "--approve", "--out", "pads", *common, cwd=tmp_path)
    assert again.returncode == 0 and "already ended: done" in again.stdout


def test_resume_refuses_another_database(urls: tuple[str, str], admin_url: str, tmp_path: Path) -> None:
    target, staging = urls
    (tmp_path / "badges.sql").write_text(SQL)
    state = ["--state-url", f"sqlite:///{tmp_path}/s.sqlite"]
    started = zdt(
        "run", "--sql", "badges.sql", "--brain", "offline", "--database-url", target,
        "--staging-url", staging, *state, cwd=tmp_path,
    )  # fmt: skip
    session_id = session_id_in(started.stdout)

    wrong = zdt(
        "resume",
        session_id,
        "--approve",
        "--database-url",
        staging,
        "--staging-url",
        staging,
        *state,
        cwd=tmp_path,
    )

    assert wrong.returncode == 2
    assert "migrates" in wrong.stderr
    assert not column_exists(target, "users", "badge_count")


def test_run_with_yes_goes_through_and_says_so(urls: tuple[str, str], tmp_path: Path) -> None:
    target, staging = urls
    backfill = "ALTER TABLE users ADD COLUMN karma integer NOT NULL DEFAULT (random() * 10)::integer;\n"
    (tmp_path / "badges.sql").write_text(SQL + backfill)

    done = zdt(
        "run", "--sql", "badges.sql", "--yes", "--brain", "offline", "--database-url", target,
        "--staging-url", staging, "--state-url", f"sqlite:///{tmp_path}/s.sqlite", "--out", "pads",
        "--max-wal-rate", "500", cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert "--yes: approving plan" in done.stdout
    assert column_exists(target, "users", "badge_count")
    for agent in ("planner", "gate", "rehearsal", "compatibility", "executor", "monitor"):
        assert f"▶ {agent}" in done.stdout, agent
    assert "tool analyse_sql ok" in done.stdout
    assert "step done s01-create-index" in done.stdout
    [log] = (tmp_path / "pads").glob("s-*/MIGRATION-LOG.md")
    assert "WAL paced to 500.0 MB/s" in log.read_text()  # --max-wal-rate reached the production backfill


def test_run_a_migrations_folder_applies_what_is_pending_and_records_it(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    """A session takes the team's folder: the pending migrations run, and the tool's history says so."""
    target, staging = urls
    folder = tmp_path / "migrations"
    for name, sql in (
        ("1_badges.up.sql", "ALTER TABLE users ADD COLUMN badge_count integer;\n"),
        ("1_badges.down.sql", "ALTER TABLE users DROP COLUMN badge_count;\n"),
        ("2_badge_index.up.sql", "CREATE INDEX users_badge_count_idx ON users (badge_count);\n"),
    ):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(sql)
    common = [
        "--database-url",
        target,
        "--staging-url",
        staging,
        "--state-url",
        f"sqlite:///{tmp_path}/s.sqlite",
    ]

    done = zdt(
        "run", "--sql", "migrations", "--yes", "--brain", "offline", "--out", "pads", *common, cwd=tmp_path
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "golang-migrate folder" in done.stdout and "2 pending of 2" in done.stdout
    assert column_exists(target, "users", "badge_count")
    assert "recorded in schema_migrations" in done.stdout.replace("\n", " ")
    with psycopg.connect(target) as conn:
        assert conn.execute("SELECT version, dirty FROM schema_migrations").fetchall() == [(2, False)]

    again = zdt(
        "run", "--sql", "migrations", "--yes", "--brain", "offline", "--out", "pads", *common, cwd=tmp_path
    )
    assert again.returncode == 0 and "nothing to run" in again.stdout


def test_yes_never_approves_a_contract_and_resume_contract_finishes_it(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    target, staging = urls
    (tmp_path / "rename.sql").write_text("ALTER TABLE users RENAME COLUMN email TO email_address;\n")
    common = [
        "--database-url", target, "--staging-url", staging,
        "--state-url", f"sqlite:///{tmp_path}/s.sqlite", "--out", "pads",
    ]  # fmt: skip

    started = zdt(
        "run", "--sql", "rename.sql", "--yes", "--brain", "offline", "--observe-seconds", "0.2", *common,
        cwd=tmp_path,
    )  # fmt: skip

    assert started.returncode == 3, started.stdout + started.stderr
    assert "--yes approves plans, never a contract" in started.stdout
    assert "is at the deploy gate" in started.stdout and "column public.users.email" in started.stdout
    session_id = session_id_in(started.stdout)
    printed = started.stdout.replace("'", "")
    assert f"zdt resume {session_id} --contract --approve --database-url {target}" in printed
    assert column_exists(target, "users", "email") and column_exists(target, "users", "email_address")

    status = zdt("status", "--database-url", target, cwd=tmp_path)
    assert status.returncode == 0 and "waiting for deploy" in status.stdout, status.stdout

    plain = zdt("resume", session_id, "--approve", *common, cwd=tmp_path)
    assert plain.returncode == 2 and "at the deploy gate" in plain.stderr and "--contract" in plain.stderr

    unproven = zdt(
        "resume", session_id, "--contract", "--approve", "--observe-seconds", "0.2", *common, cwd=tmp_path
    )  # fmt: skip
    assert unproven.returncode == 3, unproven.stdout + unproven.stderr
    assert "cannot tell whether the old release is gone" in unproven.stdout
    assert column_exists(target, "users", "email")

    finished = zdt(
        "resume", session_id, "--contract", "--approve", "--old-release-gone", "--by", "dba",
        "--observe-seconds", "0.2", *common, cwd=tmp_path,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert not column_exists(target, "users", "email") and column_exists(target, "users", "email_address")


def test_the_operators_word_on_backup_and_team_is_recorded_with_the_approval(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    """What zdt cannot check ticks its checklist item only with the approval that carries it (who, when)."""
    target, staging = urls
    (tmp_path / "badges.sql").write_text(SQL)
    common = [
        "--database-url",
        target,
        "--staging-url",
        staging,
        "--state-url",
        f"sqlite:///{tmp_path}/s.sqlite",
    ]
    started = zdt(
        "run", "--sql", "badges.sql", "--brain", "offline", "--out", "pads",
        "--backup-confirmed", "pg_basebackup 0412 on backup-01", *common, cwd=tmp_path,
    )  # fmt: skip
    assert started.returncode == 3, started.stdout + started.stderr
    session_id = session_id_in(started.stdout)
    assert "--backup-confirmed 'pg_basebackup 0412 on backup-01'" in started.stdout, "kept for the resume"
    plan = tmp_path / "pads" / session_id / "MIGRATION-PLAN.md"
    assert "- [ ] **Database backup completed** — zdt cannot take or check a data backup" in plan.read_text()

    alone = zdt("resume", session_id, "--team-notified", "told #db", "--out", "pads", *common, cwd=tmp_path)
    assert alone.returncode == 2 and "recorded with an approval: add --approve" in alone.stderr

    resumed = zdt(
        "resume", session_id, "--approve", "--by", "dba", "--out", "pads", "--backup-confirmed",
        "pg_basebackup 0412 on backup-01", "--team-notified", "told #db-changes at 18:00", *common,
        cwd=tmp_path,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    text = plan.read_text()
    assert (
        "- [x] **Database backup completed** — the operator's word: “pg_basebackup 0412 on backup-01” (dba, "
        in text
    )
    assert "- [x] **Team notified** — the operator's word: “told #db-changes at 18:00” (dba, " in text
    assert "- [x] **Schema snapshot kept** — pg_dump --schema-only" in text
    # no --queries: compatibility open; no application load ran: performance open (verification: the load)
    assert re.search(r"readiness 6/8, verification [45]/5 ticked", resumed.stdout), resumed.stdout


@pytest.mark.parametrize("option", ["--queries", "--new-queries"])
def test_a_queries_file_that_does_not_parse_stops_before_the_session_naming_file_and_line(
    option: str, urls: tuple[str, str], tmp_path: Path
) -> None:
    target, staging = urls
    (tmp_path / "badges.sql").write_text(SQL)
    (tmp_path / "v2.sql").write_text("SELECT id FROM users WHERE id = $1;\nSELEC email FROM users;\n")

    refused = zdt(
        "run", "--sql", "badges.sql", option, "v2.sql", "--brain", "offline", "--database-url", target,
        "--staging-url", staging, "--state-url", f"sqlite:///{tmp_path}/s.sqlite", cwd=tmp_path,
    )  # fmt: skip

    assert refused.returncode == 2, refused.stdout + refused.stderr
    said = " ".join(refused.stderr.split())
    assert 'cannot use the queries file: v2.sql:2:1: syntax error at or near "SELEC"' in said, said
    assert "session" not in refused.stdout  # nothing started
    assert not column_exists(target, "users", "badge_count")
