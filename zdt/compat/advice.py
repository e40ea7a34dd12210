"""Turn failed checks into what a developer must change, and into a deployment order for expand/contract.

The SQLSTATE says what kind of break it is far more reliably than the message text, so the advice is keyed
by it; the server's own message (and hint, when it has one) is quoted beside the advice. The deployment
order follows expand/contract: additive changes first while the old code runs, then the new code, and
only then the removals — the one order in which both versions keep working at every moment.
"""

from __future__ import annotations

from zdt.compat.checks import QueryComparison
from zdt.compat.result import CompatibilityResult

_BY_SQLSTATE = {
    "42703": "It uses a column the new schema does not have (renamed or dropped). Move the query to the new "
    "column; during expand both columns exist and are kept in sync, so the new code can ship before the "
    "old column goes.",
    "42P01": "It uses a table or view the new schema does not have (renamed or dropped). Point it at the "
    "new name, or keep a compatibility view under the old name until every instance has moved.",
    "42883": "A function or operator it calls no longer matches its arguments, usually because a column's "
    "type changed. Add an explicit cast or use the function's new signature.",
    "42804": "A column's type changed and the query's values no longer fit it. Cast explicitly or send "
    "values of the new type.",
    "42846": "A value can no longer be cast to the column's new type. Send values of the new type.",
    "42P18": "PostgreSQL can no longer infer a parameter's type. Cast the parameter explicitly ($1::type).",
    "42702": "A column name became ambiguous (a new column with the same name in a joined table). Qualify "
    "the column with its table.",
    "42501": "The application's role lacks a privilege on a new or replaced object. Grant it in the "
    "expand phase, before any code uses the object.",
    "42P10": "An ON CONFLICT target no longer matches a unique index or constraint. Keep the index, or "
    "change the conflict target together with the schema.",
    "23502": "A NOT NULL column is now required. Always send a value for it (or give it a default).",
}

RESULT_CHANGE_ADVICE = (
    "The query still prepares, but its result columns or parameter types differ. A client holding it as a "
    "server-side prepared statement gets 'cached plan must not change result type' (0A000) until it "
    "re-prepares (reconnect, DEALLOCATE, or disable automatic server-side prepare). List columns "
    "explicitly instead of SELECT *, and check that the code reading the rows accepts the new shape."
)


def what_to_change(comparison: QueryComparison) -> str:
    """The advice for one query that fails (or changes shape) on the new schema; '' when none is needed."""
    outcome = comparison.new
    status = comparison.status
    if status == "refused":
        return (
            "Remove it from the application query file: only the application's SELECT/INSERT/UPDATE/"
            "DELETE/MERGE statements belong there (schema changes go through zdt plan)."
        )
    if status == "unchecked":
        return "Could not be checked (lock or statement timeout): check again when the table is not locked."
    if status == "fails-on-both":
        return "It fails on the old schema as well: the query file is out of date with the application."
    if status == "breaks":
        advice = _BY_SQLSTATE.get(
            outcome.sqlstate or "",
            "Rewrite it for the new schema; the server's error says what no longer fits.",
        )
        return f"{advice} Server hint: {outcome.hint}" if outcome.hint else advice
    return RESULT_CHANGE_ADVICE if comparison.result_changes else ""


def deployment_order(result: CompatibilityResult) -> list[str]:
    """The order in which schema phases and application releases must happen for this verdict."""
    if result.verdict == "compatible":
        return [
            "Run the expand and migrate phases while the current application version serves traffic: every "
            "one of its queries prepares on the new schema.",
            "Deploy the new application version (gradually or behind a feature flag); check its queries "
            "against this schema too before it takes traffic.",
            "Run the contract phase only when no instance of the old version is left, and check the new "
            "version's queries against the schema after contract first: a session waits at the deploy "
            "gate for it (`zdt resume SESSION --contract --approve`) and looks for the old version's "
            "statements on the target before it removes anything.",
        ]
    if result.verdict == "incompatible":
        return [
            "Do not apply the schema change in its current form while the current application version runs: "
            "the queries listed above would fail in production the moment it lands.",
            "Split it with expand/contract (zdt plan does this for renames, type changes and drops): "
            "expand adds the new shape beside the old one and keeps both in sync, so the current version "
            "still works.",
            "Deploy an application version that uses only the new shape and check its queries against both "
            "the old and the expanded schema, so it can run during the rollout and after a rollback.",
            "Only when no instance of the old version is left, run the contract phase that removes what the "
            "listed queries use.",
        ]
    return [
        "Resolve the queries that could not be checked (refused, timed out, or out of date), then run the "
        "check again: no deployment order can be promised from an incomplete check.",
        "Until then, treat the change as incompatible: expand first, deploy code that no longer needs the "
        "old shape, contract last.",
    ]
