"""ExecutorAgent.offline: real executor failures (real server) map to retry or rollback, deterministically."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from zdt.agents import ExecutorAgent, run_agent
from zdt.agents.brains import OfflineBrain
from zdt.executor import ExecutionResult, ExecutorSettings, apply_plan
from zdt.plan.check import stamp
from zdt.recipes.planner import plan_sql
from zdt.schema.snapshot import introspect
from zdt.tools import ToolContext, build_toolbox

FAST_GIVE_UP = ExecutorSettings(lock_timeout_ms=50, max_lock_retries=1, backoff_base_ms=1)


def _apply(url: str, sql: str, log: Path) -> ExecutionResult:
    with psycopg.connect(url) as conn:
        snapshot = introspect(conn)
    return apply_plan(
        stamp(plan_sql(sql, snapshot=snapshot), snapshot), url, settings=FAST_GIVE_UP, log_path=log
    )


def _advise(ctx: ToolContext, **context: object):
    tools = build_toolbox("executor", ctx)
    return run_agent(ExecutorAgent(), {"session_id": "s", **context}, OfflineBrain(), tools)


@pytest.fixture
def reader(tool_context: ToolContext) -> Iterator[psycopg.Connection]:
    """An application transaction holding a lock on users (as a long-running read would)."""
    conn = psycopg.connect(tool_context.target_url)
    conn.execute("SELECT 1 FROM users LIMIT 1")
    yield conn
    conn.rollback()
    conn.close()


def test_lock_timeout_means_retry(
    tool_context: ToolContext, reader: psycopg.Connection, tmp_path: Path
) -> None:
    result = _apply(tool_context.target_url, "ALTER TABLE users ADD COLUMN badge text", tmp_path / "log.md")
    failed = result.steps[-1]
    assert not failed.ok and "lock not granted" in failed.message
    advice = _advise(tool_context, failure=failed.message, failed_step=failed.step_id)
    assert advice.action == "retry" and "safe to retry" in advice.explanation
    log = (tool_context.scratchpad_dir / "MIGRATION-LOG.md").read_text()
    assert f"[executor] {failed.step_id}: retry" in log


def test_retries_exhausted_means_rollback(tool_context: ToolContext) -> None:
    advice = _advise(tool_context, failure="lock not granted within 50 ms", attempts=3, max_attempts=3)
    assert advice.action == "rollback" and "3 retries are exhausted" in advice.explanation


def test_duplicate_data_means_rollback(tool_context: ToolContext, tmp_path: Path) -> None:
    with psycopg.connect(tool_context.target_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET email = 'dup@example.org' WHERE id IN (1, 2)")
    sql = "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"
    result = _apply(tool_context.target_url, sql, tmp_path / "log.md")
    failed = result.steps[-1]
    assert not failed.ok and "UniqueViolation" in failed.message
    advice = _advise(
        tool_context,
        failure=failed.message,
        failed_step=failed.step_id,
        execution=result.model_dump(mode="json"),
    )
    assert advice.action == "rollback" and "data error" in advice.explanation
    assert advice.revised_sql is None


@pytest.mark.parametrize(
    ("failure", "action"),
    [
        ("verification failed: expected True, got False", "rollback"),
        ("DeadlockDetected (40P01): deadlock detected", "retry"),
        ("another executor holds the migration lock", "retry"),
        ("QueryCanceled (57014): canceling statement due to statement timeout", "rollback"),
        ("something nobody has seen before", "rollback"),
        ("NotNullViolation (23502): column badge contains null values", "rollback"),
    ],
)
def test_decision_table(tool_context: ToolContext, failure: str, action: str) -> None:
    assert _advise(tool_context, failure=failure).action == action


def test_critical_monitor_verdict_overrides_retry(tool_context: ToolContext) -> None:
    verdicts = [{"level": "critical", "reasons": ["error rate 5%"], "summary": "error rate 5%"}]
    advice = _advise(tool_context, failure="lock not granted", monitor_verdicts=verdicts)
    assert advice.action == "rollback" and "error rate 5%" in advice.explanation


def test_unrestored_database_means_rollback(tool_context: ToolContext) -> None:
    advice = _advise(tool_context, failure="lock not granted; cleanup failed", database_restored=False)
    assert advice.action == "rollback"
