"""``zdt lint --format sarif|github|gitlab`` on a folder with findings in two files: exact structure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from typer.testing import CliRunner

from zdt import __version__
from zdt.analysis.model import Finding, Severity, StatementReport
from zdt.analysis.rules import RULES_BY_ID
from zdt.cli.app import app
from zdt.cli.reporters import REPORTERS, LintedFile, LintRun
from zdt.cli.reporters.github import escape_data, escape_property, render_github

runner = CliRunner()
SCHEMA = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"
INIT = "CREATE TABLE t (id bigint PRIMARY KEY, a int, c char(3));\n"
INDEX = "-- add an index\nSET lock_timeout = '1s';\n  CREATE INDEX t_a ON t (a);\n"
CHAR, CONCURRENT = "prefer-text-over-char", "require-concurrent-index-creation"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """migrations/001_init.sql (a warning on line 1) and 002_index.sql (an error on line 3, column 3)."""
    monkeypatch.chdir(tmp_path)
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_init.sql").write_text(INIT)
    (migrations / "002_index.sql").write_text(INDEX)
    return migrations


def _lint(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["lint", *args])
    return result.exit_code, result.stdout


def test_sarif_one_run_with_rules_results_and_locations(folder: Path) -> None:
    code, out = _lint("migrations", "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("zdt", __version__)
    assert driver["rules"] == [
        {
            "id": rule_id,
            "shortDescription": {"text": RULES_BY_ID[rule_id].summary},
            "helpUri": f"docs/rules.md#{rule_id}",
        }
        for rule_id in (CHAR, CONCURRENT)
    ]
    placed = [
        (
            result["ruleId"],
            driver["rules"][result["ruleIndex"]]["id"],
            result["level"],
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            result["locations"][0]["physicalLocation"]["region"],
        )
        for result in run["results"]
    ]
    assert placed == [
        (CHAR, CHAR, "warning", "migrations/001_init.sql", {"startLine": 1, "startColumn": 1}),
        (CONCURRENT, CONCURRENT, "error", "migrations/002_index.sql", {"startLine": 3, "startColumn": 3}),
    ]
    message = run["results"][1]["message"]["text"]
    assert message.startswith("CREATE INDEX on public.t holds ShareLock")
    assert "Fix: CREATE INDEX CONCURRENTLY" in message
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == folder.parent.resolve().as_uri() + "/"


def test_sarif_validates_against_the_sarif_2_1_0_schema(folder: Path) -> None:
    schema = json.loads(SCHEMA.read_text())
    Draft4Validator.check_schema(schema)
    validator = Draft4Validator(schema)
    for args in (["migrations"], ["migrations/001_init.sql"]):
        code, out = _lint(*args, "--format", "sarif")
        assert code in (0, 1)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(out))]
        assert errors == []
    # and a log without results is valid too
    (folder / "003_ok.sql").write_text("SELECT 1;")
    code, out = _lint("migrations/003_ok.sql", "--format", "sarif")
    assert code == 0
    assert list(validator.iter_errors(json.loads(out))) == []
    assert json.loads(out)["runs"][0]["results"] == []


def test_github_workflow_commands(folder: Path) -> None:
    code, out = _lint("migrations", "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert [line.split("::")[1] for line in lines] == [
        f"warning file=migrations/001_init.sql,line=1,col=1,title={CHAR}",
        f"error file=migrations/002_index.sql,line=3,col=3,title={CONCURRENT}",
    ]
    assert lines[1].split("::", 2)[2].startswith("CREATE INDEX on public.t holds ShareLock")
    assert "Fix: CREATE INDEX CONCURRENTLY" in lines[1]


def test_github_escapes_data_and_properties(folder: Path) -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    odd = folder / "v1,2:x.sql"
    odd.write_text("CREATE INDEX t_a ON t (a);\n")
    code, out = _lint(str(odd.relative_to(folder.parent)), "--format", "github")
    assert code == 1
    assert "file=migrations/v1%2C2%3Ax.sql,line=1,col=1," in out
    report = StatementReport(
        index=0,
        line=2,
        sql="SELECT 1",
        kind="SelectStmt",
        findings=[Finding(rule="r", severity=Severity.INFO, message="100% sure\nreally", fix="a, b: c")],
    )
    text = render_github(LintRun([LintedFile("x.sql", "\nSELECT 1", [report])]))
    assert text == "::notice file=x.sql,line=2,col=1,title=r::100%25 sure%0Areally. Fix: a, b: c"


def test_gitlab_code_quality_report(folder: Path) -> None:
    code, out = _lint("migrations", "--format", "gitlab")
    assert code == 1
    issues = json.loads(out)
    assert [
        (i["check_name"], i["severity"], i["location"]["path"], i["location"]["lines"]) for i in issues
    ] == [
        (CHAR, "major", "migrations/001_init.sql", {"begin": 1}),
        (CONCURRENT, "critical", "migrations/002_index.sql", {"begin": 3}),
    ]
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert "Fix: " in issue["description"]
    assert len({issue["fingerprint"] for issue in issues}) == 2


def test_gitlab_fingerprint_survives_a_moved_line_but_not_another_file(folder: Path) -> None:
    before = json.loads(_lint("migrations", "--format", "gitlab")[1])
    (folder / "002_index.sql").write_text("-- a longer comment\n-- over two lines\n\n" + INDEX)
    after = json.loads(_lint("migrations", "--format", "gitlab")[1])
    assert after[1]["location"]["lines"] == {"begin": 6}
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]
    (folder / "003_again.sql").write_text(INDEX)
    again = json.loads(_lint("migrations", "--format", "gitlab")[1])
    assert again[2]["check_name"] == CONCURRENT
    assert again[2]["fingerprint"] != again[1]["fingerprint"]


def test_gitlab_same_statement_twice_in_a_file_gets_two_fingerprints(folder: Path) -> None:
    twice = "CREATE INDEX t_a ON t (a);\nCREATE INDEX t_a ON t (a);\n"
    (folder / "002_index.sql").write_text(twice)
    issues = [
        i for i in json.loads(_lint("migrations", "--format", "gitlab")[1]) if i["check_name"] == CONCURRENT
    ]
    assert len(issues) == 2 and issues[0]["fingerprint"] != issues[1]["fingerprint"]


def test_column_of_a_second_statement_on_one_line(folder: Path) -> None:
    (folder / "002_index.sql").write_text("SELECT 1; CREATE INDEX t_a ON t (a);\n")
    code, out = _lint("migrations/002_index.sql", "--format", "github")
    assert code == 1
    assert f"::error file=migrations/002_index.sql,line=1,col=11,title={CONCURRENT}::" in out


def test_exit_codes_are_the_same_in_every_format(folder: Path) -> None:
    for name in ["text", *REPORTERS]:
        assert _lint("migrations", "--format", name)[0] == 1, name
        assert _lint("migrations/001_init.sql", "--format", name)[0] == 0, name  # a warning only
        assert _lint("migrations/nope.sql", "--format", name)[0] == 2, name
