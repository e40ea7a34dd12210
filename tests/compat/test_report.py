"""APP-COMPATIBILITY.md: verdict, per-query table, what to change and the deployment order.

Built from outcomes as the servers reported them, so no database is needed here: the verdict logic and the
report are pinned on their own; test_checks proves the outcomes themselves on real servers.
"""

from __future__ import annotations

from pathlib import Path

from zdt.compat import (
    CompatibilityResult,
    QueryCheck,
    QueryOutcome,
    ResultColumn,
    compare,
    parse_queries,
    write_compatibility_report,
)

QUERIES = parse_queries(
    "-- name: get_user\nSELECT id, name FROM users WHERE id = $1;\n"
    "SELECT * FROM users;\n"
    "SELECT a | b FROM flags;\n"
    "CREATE TABLE x (id int);\n",
    source="app.sql",
)
OK = QueryOutcome(ok=True, columns=[ResultColumn(name="id", type="bigint")])
RENAMED = QueryOutcome(
    ok=False,
    sqlstate="42703",
    message='column "name" does not exist',
    hint='Perhaps you meant to reference the column "users.full_name".',
    error_line=2,
    error_column=12,
)
WIDER = QueryOutcome(
    ok=True, columns=[ResultColumn(name="id", type="bigint"), ResultColumn(name="full_name", type="text")]
)
REFUSED = QueryOutcome(ok=False, refused="refused: CreateStmt is not an application query")


def test_an_incompatible_report(tmp_path: Path) -> None:
    assessment = compare([OK, OK, OK, REFUSED], [RENAMED, WIDER, OK, REFUSED], QUERIES)
    result = assessment.result
    assert result.verdict == "incompatible"
    path = write_compatibility_report(
        tmp_path / "out",
        result,
        assessment.comparisons,
        old_label="production",
        new_label="after expand",
        source="app.sql",
    )
    assert path.name == "APP-COMPATIBILITY.md"
    text = path.read_text()
    assert "| verdict | **incompatible** |" in text
    assert "| queries | 4 from `app.sql` |" in text
    assert "| # | query | SQL | production | after expand | error |" in text
    assert (
        "| 1 | get_user (app.sql:2) | `SELECT id, name FROM users WHERE id = $1` | ok | **fails** | "
        '42703: column "name" does not exist (line 2, column 12) |'
    ) in text
    assert "| 3 | app.sql:4 | `SELECT a \\| b FROM flags` | ok | ok |  |" in text  # pipe escaped
    assert "| 4 | app.sql:5 | `CREATE TABLE x (id int)` | not checked | not checked | refused:" in text
    assert "### 1. get_user (app.sql:2) (breaks)" in text
    assert 'Server hint: Perhaps you meant to reference the column "users.full_name".' in text
    assert "### 2. app.sql:3 (prepares, but its result changes)" in text
    assert "- new result column full_name text" in text
    assert "cached plan must not change result type" in text
    assert "### 4. app.sql:5 (refused)" in text
    assert "### 3." not in text  # nothing to change there
    order = text.split("## Deployment order (expand/contract)")[1]
    assert "1. Do not apply the schema change in its current form" in order
    assert "4. Only when no instance of the old version is left, run the contract phase" in order


def test_a_compatible_report(tmp_path: Path) -> None:
    assessment = compare([OK, OK], [OK, OK], QUERIES[:2])
    assert assessment.result.verdict == "compatible"
    text = write_compatibility_report(tmp_path, assessment.result, assessment.comparisons).read_text()
    assert "| verdict | **compatible** |" in text
    assert "compatible: all 2 queries prepare on the new schema." in text
    assert "Nothing: every query prepares on the new schema" in text
    assert "1. Run the expand and migrate phases while the current application version serves traffic" in text
    assert "3. Run the contract phase only when no instance of the old version is left" in text


def test_a_report_from_a_bare_result_as_a_checkpointed_session_holds_it(tmp_path: Path) -> None:
    result = CompatibilityResult(
        verdict="incompatible",
        checks=[
            QueryCheck(
                query="SELECT name FROM users", new_schema_ok=False, old_schema_ok=True, error="42703: x"
            ),
            QueryCheck(query="SELECT 1", new_schema_ok=True, old_schema_ok=True),
        ],
        summary="incompatible: 1 of 2 queries break on the new schema",
    )
    text = write_compatibility_report(tmp_path, result).read_text()
    assert "| 1 | query 1 | `SELECT name FROM users` | ok | **fails** | 42703: x |" in text
    assert "| 2 | query 2 | `SELECT 1` | ok | ok |  |" in text


def test_no_queries_is_unknown() -> None:
    assessment = compare([], [], [])
    assert assessment.result.verdict == "unknown"
    assert assessment.result.summary == "unknown: no queries to check."
