"""triggers: CREATE TRIGGER is expand under ShareRowExclusiveLock and undone by DROP TRIGGER; OR REPLACE
and DROP TRIGGER are undone from the snapshot's pg_get_triggerdef and state; ENABLE / DISABLE go back to
the state before the plan; what cannot be undone or verified is refused with its line and what to write."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.db_checks import fingerprint
from tests.recipes.lifecycle import create_posts, execute, plan_against, scalar, undo
from zdt.analysis.locks import LockMode
from zdt.plan.model import Phase
from zdt.recipes.errors import PlanningError
from zdt.recipes.planner import plan_sql
from zdt.rehearsal.equivalence import prove_equivalence
from zdt.schema import introspect

TOUCH = """
CREATE FUNCTION touch_post() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.score := 1; RETURN NEW; END $$;
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION touch_post();
"""


def _triggers(url: str) -> dict[str, tuple[str, str]]:
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    return {
        name: (info.definition, info.enabled)
        for name, info in snapshot.trigger_definitions.get("public.posts", {}).items()
    }


@pytest.fixture
def posts_with_trigger(conn: psycopg.Connection) -> psycopg.Connection:
    create_posts(conn)
    conn.execute(TOUCH)
    return conn


def test_create_is_expand_under_share_row_exclusive_and_dropped_on_rollback(
    posts_with_trigger: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    before = fingerprint(database_url)
    planned = plan_against(
        database_url,
        "CREATE TRIGGER posts_insert BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION touch_post();",
    )
    (step,) = planned.plan.steps
    assert step.phase is Phase.EXPAND and step.lock is LockMode.SHARE_ROW_EXCLUSIVE
    assert "its writes wait, its reads go on" in step.description and "lock_timeout" in step.description
    assert step.timeouts.lock_timeout_ms > 0
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, step.verify.sql) is True
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_replace_rolls_back_to_the_previous_definition_and_state(
    posts_with_trigger: psycopg.Connection, database_url: str, server_version: int, tmp_path: Path
) -> None:
    posts_with_trigger.execute("ALTER TABLE posts ENABLE ALWAYS TRIGGER posts_touch")
    before = _triggers(database_url)
    planned = plan_against(
        database_url,
        "CREATE OR REPLACE TRIGGER posts_touch BEFORE INSERT OR UPDATE ON posts FOR EACH ROW "
        "EXECUTE FUNCTION touch_post();",
    )
    (step,) = planned.plan.steps
    assert step.id == "s01-replace-trigger" and step.phase is Phase.EXPAND
    assert step.rollback.sql[-1] == 'ALTER TABLE "public"."posts" ENABLE ALWAYS TRIGGER "posts_touch"'
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert _triggers(database_url) != before
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert _triggers(database_url) == before


def test_drop_is_contract_and_re_created_with_its_state(
    posts_with_trigger: psycopg.Connection, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    posts_with_trigger.execute("ALTER TABLE posts DISABLE TRIGGER posts_touch")
    before, definitions = fingerprint(database_url), _triggers(database_url)
    planned = plan_against(database_url, "DROP TRIGGER posts_touch ON posts;")
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.lock is LockMode.ACCESS_EXCLUSIVE
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert scalar(database_url, step.verify.sql) is True
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert fingerprint(database_url) == before and _triggers(database_url) == definitions
    assert prove_equivalence(
        planned.plan, schema_from=database_url, log_dir=tmp_path, server_url=admin_url
    ).proven


def test_drop_then_create_of_the_same_trigger_stay_in_order(
    posts_with_trigger: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    definitions = _triggers(database_url)
    planned = plan_against(
        database_url,
        "DROP TRIGGER IF EXISTS posts_touch ON posts;\n"
        "CREATE TRIGGER posts_touch BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION touch_post();",
    )
    assert [(step.id, step.phase) for step in planned.plan.steps] == [
        ("s01-drop-trigger", Phase.CONTRACT),
        ("s02-create-trigger", Phase.CONTRACT),  # held back behind the drop of the same trigger
    ]
    execute(database_url, planned.plan, log_dir=tmp_path)
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert _triggers(database_url) == definitions


def test_disable_is_contract_enable_is_expand_each_undone(
    posts_with_trigger: psycopg.Connection, database_url: str, tmp_path: Path
) -> None:
    definitions = _triggers(database_url)
    planned = plan_against(database_url, "ALTER TABLE posts DISABLE TRIGGER posts_touch;")
    (step,) = planned.plan.steps
    assert step.phase is Phase.CONTRACT and step.lock is LockMode.SHARE_ROW_EXCLUSIVE
    assert step.rollback.sql == ['ALTER TABLE "public"."posts" ENABLE TRIGGER "posts_touch"']
    execute(database_url, planned.plan, log_dir=tmp_path)
    assert _triggers(database_url)["posts_touch"][1] == "D"
    undo(database_url, planned.plan, log_dir=tmp_path)
    assert _triggers(database_url) == definitions
    enable = plan_against(database_url, "ALTER TABLE posts ENABLE REPLICA TRIGGER posts_touch;")
    assert enable.plan.steps[0].phase is Phase.EXPAND
    execute(database_url, enable.plan, log_dir=tmp_path / "enable")
    assert _triggers(database_url)["posts_touch"][1] == "R"


def test_refusals_name_the_line_and_what_to_write(
    posts_with_trigger: psycopg.Connection, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        snapshot = introspect(conn)
    with pytest.raises(
        PlanningError, match=r"line 2: .*DISABLE TRIGGER ALL .*foreign-key.*DISABLE TRIGGER <name>"
    ):
        plan_sql("\nALTER TABLE posts DISABLE TRIGGER ALL;", snapshot=snapshot)
    with pytest.raises(
        PlanningError, match=r"line 1: CREATE OR REPLACE TRIGGER posts_touch .*--database-url"
    ):
        plan_sql(
            "CREATE OR REPLACE TRIGGER posts_touch BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION f();"
        )
    with pytest.raises(PlanningError, match=r"line 1: .*DISABLE TRIGGER posts_touch: .*--database-url"):
        plan_sql("ALTER TABLE posts DISABLE TRIGGER posts_touch;")
    dropped = plan_sql("DROP TRIGGER posts_touch ON posts;")
    assert (
        dropped.steps[0].rollback.irreversible and "--database-url" in dropped.steps[0].rollback.irreversible
    )
