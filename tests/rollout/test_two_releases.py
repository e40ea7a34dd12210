"""Two application releases at once, as a rollout runs them: the old release's load from before expand
until it is retired, the new release's from the deploy (after migrate) to the end, both with server-side
prepared statements. Across expand, migrate, the deploy gate and contract neither release fails one
request; contract is refused while the old release's statements still run and allowed once they stop; and
a rollback from the deploy gate leaves the original schema.

The evidence is read from the server itself (pg_stat_statements and pg_stat_activity), as
``zdt resume --contract`` reads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.executor.plans import fingerprint
from zdt.executor import apply_plan, rollback_migration
from zdt.load.generator import LoadConfig
from zdt.load.process import LoadProcess
from zdt.load.result import LoadResult
from zdt.load.workload import Query, QueryKind, ValueKind, ValueSpec, Workload, key_range
from zdt.plan.check import stamp
from zdt.plan.model import MigrationPlan, Phase
from zdt.recipes.base import PlannerSettings
from zdt.recipes.planner import plan_sql
from zdt.rollout import observe_old_release, retired_objects
from zdt.rollout.evidence import ReleaseVerdict
from zdt.schema import introspect

ROWS = 20_000
OLD_APP = "shop-v1"
NEW_APP = "shop-v2"
NAME = ValueSpec(ValueKind.TEXT, length=12)
AUTHOR = ValueSpec(ValueKind.INT, low=1, high=1_000)


@pytest.fixture
def accounts_url(statements_database_url: str) -> str:
    with psycopg.connect(statements_database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL, author_id int NOT NULL)"
        )
        conn.execute(
            "INSERT INTO accounts SELECT g, 'user ' || g, g %% 1000 FROM generate_series(1, %s) g", [ROWS]
        )
        conn.execute("ANALYZE accounts")
    return statements_database_url


def _release(name: str, reads: str, writes: str, value: ValueSpec) -> Workload:
    """A release's point reads and writes of one column of ``accounts``, by key."""
    key = ("k", key_range(1, ROWS))
    return Workload(
        (
            Query(
                f"{name}-read",
                f"SELECT id, {reads} FROM accounts WHERE id = %(k)s",
                3,
                QueryKind.READ,
                (key,),
            ),
            Query(
                f"{name}-write",
                f"UPDATE accounts SET {writes} = %(v)s WHERE id = %(k)s",
                1,
                QueryKind.UPDATE,
                (("v", value), key),
            ),
        ),
        name=name,
    )


def _load(url: str, workload: Workload, application_name: str) -> LoadProcess:
    config = LoadConfig(
        rate=150, connections=2, duration_s=300, application_name=application_name, sample_lock_waits=False
    )
    return LoadProcess(url, [workload], config)


def _planned(url: str, statement: str, *, versioned: bool = False) -> MigrationPlan:
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    settings = PlannerSettings(versioned_schemas=None if versioned else False)
    return stamp(plan_sql(statement, snapshot=snapshot, settings=settings), snapshot)


def _on_search_path(url: str, search_path: str) -> str:
    """The URL a release connects with when it runs on ``search_path`` (its version schema first)."""
    return make_conninfo(url, options=f"-c search_path={search_path.replace(' ', '')}")


def _failures(result: LoadResult) -> dict[str, int]:
    stats = result.window()
    assert stats.requests > 100, "the release sent too few requests to prove anything"
    return {**stats.errors_by_sqlstate, **({"unsent": stats.unsent} if stats.unsent else {})}


@dataclass
class Rollout:
    old: LoadResult
    new: LoadResult
    refused: str  # the evidence summary while the old release still ran


def _roll_out(
    url: str, plan: MigrationPlan, old: Workload, new: Workload, log_path: Path, new_url: str | None = None
) -> Rollout:
    """Expand and migrate under the old release; deploy the new one; retire the old; contract.
    ``new_url``: where the new release connects (its version schema's search_path), if not ``url``."""
    retired = retired_objects(plan)
    assert retired, "the plan retires something, or there is no deploy gate to prove"
    with _load(url, old, OLD_APP) as v1:
        v1.start()
        before_contract = apply_plan(plan, url, phases=[Phase.EXPAND, Phase.MIGRATE], log_path=log_path)
        assert before_contract.ok, before_contract.message
        with _load(new_url or url, new, NEW_APP) as v2:
            v2.start()  # the deploy: both releases run side by side
            in_use = observe_old_release(url, retired, application_name=OLD_APP, window_s=1.5)
            assert in_use.verdict is ReleaseVerdict.IN_USE, in_use.summary()
            old_result = v1.stop()  # the old release is retired
            gone = observe_old_release(url, retired, application_name=OLD_APP, window_s=1.5)
            assert gone.verdict is ReleaseVerdict.GONE, gone.summary()
            contract = apply_plan(plan, url, phases=[Phase.CONTRACT], log_path=log_path)
            assert contract.ok, contract.message
            return Rollout(old_result, v2.stop(), in_use.summary())


def test_a_column_rename_keeps_both_releases_working_and_contract_waits_for_the_old_one(
    accounts_url: str, tmp_path: Path
) -> None:
    plan = _planned(accounts_url, "ALTER TABLE accounts RENAME COLUMN name TO full_name;")
    old = _release("v1", "name", "name", NAME)
    new = _release("v2", "full_name", "full_name", NAME)

    rollout = _roll_out(accounts_url, plan, old, new, tmp_path / "MIGRATION-LOG.md")

    assert _failures(rollout.old) == {} and _failures(rollout.new) == {}
    assert "still running" in rollout.refused and "name FROM accounts" in rollout.refused
    assert OLD_APP in rollout.refused  # its connected sessions are named too
    with psycopg.connect(accounts_url) as conn:
        columns = conn.execute(
            "SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = 'accounts'::regclass AND attnum > 0 AND NOT attisdropped"
        ).fetchone()
    assert columns is not None and sorted(columns[0]) == ["author_id", "full_name", "id"]


def test_an_int_to_bigint_change_keeps_both_releases_working_through_contract(
    accounts_url: str, tmp_path: Path
) -> None:
    plan = _planned(accounts_url, "ALTER TABLE accounts ALTER COLUMN author_id TYPE bigint;")
    new_column = "author_id_zdt_new"  # the name the new release uses until the old one is gone
    assert any(new_column in text for step in plan.steps_in(Phase.EXPAND) for text in step.sql)
    old = _release("v1", "author_id", "author_id", AUTHOR)
    new = _release("v2", new_column, new_column, AUTHOR)

    rollout = _roll_out(accounts_url, plan, old, new, tmp_path / "MIGRATION-LOG.md")

    assert _failures(rollout.old) == {} and _failures(rollout.new) == {}
    with psycopg.connect(accounts_url) as conn:
        kind = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'accounts'::regclass AND attname = %s",
            [new_column],
        ).fetchone()
    assert kind == ("bigint",)


def test_a_rollback_from_the_deploy_gate_leaves_the_original_schema_under_the_old_release(
    accounts_url: str, tmp_path: Path
) -> None:
    """The new release is withdrawn first; the old one never stops, and the rollback does not fail it."""
    plan = _planned(accounts_url, "ALTER TABLE accounts RENAME COLUMN name TO full_name;")
    original = fingerprint(accounts_url)
    old, new = _release("v1", "name", "name", NAME), _release("v2", "full_name", "full_name", NAME)

    _withdraw_then_roll_back(accounts_url, plan, old, new, tmp_path / "MIGRATION-LOG.md")

    assert fingerprint(accounts_url) == original


def _withdraw_then_roll_back(
    url: str,
    plan: MigrationPlan,
    old: Workload,
    new: Workload,
    log_path: Path,
    new_url: str | None = None,
    after_migrate: Callable[[], None] = lambda: None,
) -> None:
    """Expand and migrate under the old release; the new one serves a while and is withdrawn; the plan
    is rolled back from the deploy gate under the old release, which fails no request, nor did the new."""
    with _load(url, old, OLD_APP) as v1:
        v1.start()
        assert apply_plan(plan, url, phases=[Phase.EXPAND, Phase.MIGRATE], log_path=log_path).ok
        after_migrate()
        with _load(new_url or url, new, NEW_APP) as v2:
            v2.start()
            time.sleep(2)  # the new release serves for a while, then is withdrawn
            new_result = v2.stop()
        undone = rollback_migration(plan, url, log_path=log_path)
        old_result = v1.stop()
    assert undone.ok and undone.schema_restored, undone.message
    assert _failures(old_result) == {} and _failures(new_result) == {}


def _columns(url: str, relation: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [relation],
        ).fetchall()
    return [(name, kind) for name, kind in rows]


def test_with_version_schemas_the_new_release_uses_the_final_names_and_types_from_the_deploy_on(
    accounts_url: str, tmp_path: Path
) -> None:
    """An int -> bigint change and a rename in one plan: the new release reads and writes author_id as
    bigint and full_name through its version schema (prepared statements on) while the old release goes
    on with name and the int author_id, and neither fails a request through contract."""
    plan = _planned(
        accounts_url,
        "ALTER TABLE accounts ALTER COLUMN author_id TYPE bigint;\n"
        "ALTER TABLE accounts RENAME COLUMN name TO full_name;",
        versioned=True,
    )
    assert plan.versions is not None
    [schema] = plan.versions.new_schemas
    old = _release("v1", "name, author_id", "author_id", AUTHOR)
    new = _release("v2", "full_name, author_id", "author_id", AUTHOR)
    new_url = _on_search_path(accounts_url, plan.versions.new_search_path)

    rollout = _roll_out(accounts_url, plan, old, new, tmp_path / "MIGRATION-LOG.md", new_url=new_url)

    assert _failures(rollout.old) == {} and _failures(rollout.new) == {}, rollout.new.error_messages
    # The table ends as the file leaves it; the new release's view still presents the same columns.
    assert sorted(_columns(accounts_url, "public.accounts")) == [
        ("author_id", "bigint"),
        ("full_name", "text"),
        ("id", "bigint"),
    ]
    # in the table's original order: the new release's SELECT * keeps its column order
    assert _columns(accounts_url, f"{schema}.accounts") == [
        ("id", "bigint"),
        ("full_name", "text"),
        ("author_id", "bigint"),
    ]
    with psycopg.connect(accounts_url) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = ANY(%s)", [plan.versions.old_schemas]
        ).fetchone()
    assert left == (0,)  # contract dropped the old release's schema


def test_with_version_schemas_a_rollback_from_the_deploy_gate_drops_both_and_restores_the_schema(
    accounts_url: str, tmp_path: Path
) -> None:
    plan = _planned(accounts_url, "ALTER TABLE accounts ALTER COLUMN author_id TYPE bigint;", versioned=True)
    assert plan.versions is not None
    original = fingerprint(accounts_url)
    log_path = tmp_path / "MIGRATION-LOG.md"
    new_url = _on_search_path(accounts_url, plan.versions.new_search_path)
    release = (
        _release("v1", "author_id", "author_id", AUTHOR),
        _release("v2", "author_id", "author_id", AUTHOR),
    )

    def the_new_release_sees_bigint() -> None:
        assert plan.versions is not None
        view = f"{plan.versions.new_schemas[0]}.accounts"
        assert _columns(accounts_url, view)[2] == ("author_id", "bigint")

    _withdraw_then_roll_back(
        accounts_url, plan, *release, log_path, new_url=new_url, after_migrate=the_new_release_sees_bigint
    )

    assert fingerprint(accounts_url) == original
