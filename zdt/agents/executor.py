"""The Migration Execution Agent: after a failed step, decide retry, rollback or revise.

The executor itself is deterministic code; this agent only judges a failure. Its offline judgement is
a fixed table so that the same failure always leads to the same action: contention is retried (a failed
step leaves the database as before it, so trying again later is safe), anything that says the data or
the verification is wrong is rolled back, and so is anything unrecognised: when in doubt, undo.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field

from zdt.agents.context import AgentContext, ContextAgent
from zdt.agents.results import ExecutorAdvice
from zdt.tools.base import ToolBox

Action = Literal["retry", "rollback"]

# (pattern, action, explanation), first match wins; order matters: data errors before generic ones.
FAILURE_RULES: list[tuple[re.Pattern[str], Action, str]] = [
    (
        re.compile(r"verification|VerificationFailed", re.IGNORECASE),
        "rollback",
        "the step's verification failed: never proceed past a failed verification",
    ),
    (
        re.compile(
            r"UniqueViolation|CheckViolation|NotNullViolation|ForeignKeyViolation|ExclusionViolation|"
            r"violates|duplicate key|invalid input|out of range|DataError|IntegrityError",
            re.IGNORECASE,
        ),
        "rollback",
        "the data does not satisfy the change (a data error): retrying cannot fix it; the data or the "
        "plan must change first",
    ),
    (
        re.compile(r"lock not granted|lock timeout|LockNotAvailable|could not obtain lock", re.IGNORECASE),
        "retry",
        "a lock was not granted in time (contention with application traffic); the step left the "
        "database as before, so it is safe to retry later",
    ),
    (
        re.compile(r"deadlock", re.IGNORECASE),
        "retry",
        "a deadlock with another session aborted the step; nothing was applied, retry later",
    ),
    (
        re.compile(r"ExecutorBusy|another executor|advisory lock", re.IGNORECASE),
        "retry",
        "another executor holds the migration lock; retry when it has finished",
    ),
    (
        re.compile(r"statement timeout|QueryCanceled|canceling statement", re.IGNORECASE),
        "rollback",
        "the step ran longer than its statement timeout; the same step would time out again",
    ),
]


class ExecutorContext(AgentContext):
    """What the executor agent reads (plus session_id, environment, schema_summary, findings)."""

    failure: str = Field(description="The failed step's message (StepResult.message) or the run's error.")
    failed_step: str | None = Field(default=None, description="Id of the step that failed.")
    plan: dict[str, Any] | None = Field(default=None, description="The MigrationPlan as JSON.")
    execution: dict[str, Any] | None = Field(default=None, description="The ExecutionResult as JSON.")
    attempts: int = Field(default=0, description="How often this step was already retried.")
    max_attempts: int = Field(default=3, description="Retries allowed before rolling back.")
    monitor_verdicts: list[dict[str, Any]] = Field(default_factory=list, description="MonitorVerdict JSON.")
    database_restored: bool = Field(default=True, description="StepResult.database_restored of the failure.")


class ExecutorAgent(ContextAgent[ExecutorAdvice, ExecutorContext]):
    """Judges a failed step (ExecutorAdvice: retry | rollback | revise, explanation, revised_sql).

    Context keys read:

    - ``session_id`` (str, required), ``failure`` (str, required): the failed step's message
    - ``failed_step`` (str | None), ``plan`` (dict | None: MigrationPlan JSON),
      ``execution`` (dict | None: ExecutionResult JSON)
    - ``attempts`` (int, default 0), ``max_attempts`` (int, default 3)
    - ``monitor_verdicts`` (list[dict]: MonitorVerdict JSON; a critical one means rollback)
    - ``database_restored`` (bool, default True)
    - ``environment`` ('rehearsal' | 'production'), ``findings``, ``schema_summary``

    Tools: inspect_schema, analyse_sql, run_readonly_sql, execute_step, sample_metrics,
    read_scratchpad, append_log.
    """

    name = "executor"
    template = "executor.md.j2"
    result_model = ExecutorAdvice
    context_model: ClassVar[type[AgentContext]] = ExecutorContext

    def task_message(self, context: dict[str, Any]) -> str:
        ctx = self.read_context(context)
        step = f"step {ctx.failed_step}" if ctx.failed_step else "the migration"
        return (
            f"{step} failed with:\n```\n{ctx.failure}\n```\n"
            "Read the plan and the log if you need to, check the "
            "database read-only, then call submit_result with retry, rollback or revise and your reasons."
        )

    def offline(self, context: dict[str, Any], tools: ToolBox) -> ExecutorAdvice:
        ctx = self.read_context(context)
        action, explanation = judge_failure(ctx)
        tools.call("append_log", {"message": f"{ctx.failed_step or 'run'}: {action}: {explanation}"})
        return ExecutorAdvice(action=action, explanation=explanation)


def judge_failure(ctx: ExecutorContext) -> tuple[Action, str]:
    """The deterministic decision table (used offline, and a baseline for reviewing Claude's advice)."""
    critical = [v for v in ctx.monitor_verdicts if v.get("level") == "critical"]
    if critical:
        return "rollback", f"the monitor reported a critical problem: {critical[-1].get('summary', '')}"
    if not ctx.database_restored:
        return (
            "rollback",
            "the failed step could not restore the database by itself: roll back to a known state",
        )
    for pattern, action, explanation in FAILURE_RULES:
        if pattern.search(ctx.failure):
            if action == "retry" and ctx.attempts >= ctx.max_attempts:
                return "rollback", f"{explanation}; but {ctx.attempts} retries are exhausted"
            return action, explanation
    return "rollback", "the failure is not one known to be transient: roll back rather than guess"
