"""``zdt audit``: a session recorded across two processes verifies, its summary says what ran and who
approved it, no artefact holds the password or the API key, and a tampered record is named and refused.

The target is reached as a role with a password, in a URL, and ANTHROPIC_API_KEY is set (to a fake
key) in both processes, so there is something to leak.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console

from tests.graph.cli_support import SQL, prepare_target, session_id_in, zdt
from zdt.agents.base import ModelCall
from zdt.cli.session_flow import print_record_head
from zdt.config import ModelPrice
from zdt.record.events import seal
from zdt.record.prices import PriceTable
from zdt.record.recorder import Recorder

FAKE_KEY = "sk-ant-api03-" + "F4keKeyForTheRecordTest_" + "x" * 20


@pytest.fixture
def password_url(admin_url: str, database_url: str) -> Iterator[tuple[str, str]]:
    """``database_url`` reached as a new superuser role with a password, written as a URL."""
    role, password = f"zdt_rec_{secrets.token_hex(3)}", f"pw-{secrets.token_hex(10)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    params = conninfo_to_dict(database_url)
    host = quote(str(params.get("host") or "localhost"), safe="")
    url = f"postgresql://{role}:{password}@{host}:{params.get('port') or 5432}/{params['dbname']}"
    yield url, password
    admin = conninfo_to_dict(admin_url).get("user") or "postgres"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("REASSIGN OWNED BY {} TO {}").format(sql.Identifier(role), sql.Identifier(admin))
        )
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _audit(tmp_path: Path, *args: str) -> tuple[int, dict]:
    done = zdt("audit", *args, "--format", "json", cwd=tmp_path)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {"stderr": done.stderr}


def _tampered(log: Path, tmp_path: Path, name: str, change) -> Path:
    lines = log.read_text(encoding="utf-8").splitlines()
    change(lines)
    copy = tmp_path / f"{name}.jsonl"
    copy.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return copy


def test_a_recorded_session_verifies_summarises_and_leaks_nothing(
    password_url: tuple[str, str], tmp_path: Path
) -> None:
    url, password = password_url
    prepare_target(url)
    (tmp_path / "badges.sql").write_text(SQL)
    store = ["--state-url", f"sqlite:///{tmp_path}/store/s.sqlite"]
    env = {"ANTHROPIC_API_KEY": FAKE_KEY}

    started = zdt(
        "run",
        "--sql",
        "badges.sql",
        "--brain",
        "offline",
        "--database-url",
        url,
        *store,
        cwd=tmp_path,
        env_extra=env,
    )
    assert started.returncode == 3, started.stdout + started.stderr
    session_id = session_id_in(started.stdout)
    assert "record head " in started.stdout
    resumed = zdt(
        "resume",
        session_id,
        "--approve",
        "--by",
        "alice",
        "--comment",
        "reviewed in CAB-12",
        "--database-url",
        url,
        *store,
        cwd=tmp_path,
        env_extra=env,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    code, summary = _audit(tmp_path, session_id, *store)

    assert code == 0, summary
    assert summary["chain_ok"] and summary["checkpoint_matches"] is True
    assert summary["head"] in resumed.stdout
    assert [process["action"] for process in summary["processes"]] == ["run", "resume"]
    nodes = [step["node"] for step in summary["timeline"]]
    assert nodes[:5] == ["planner", "plan_gate", "rehearse", "compatibility", "approval"]
    assert nodes[-1] == "done" and "execute" in nodes and "verify" in nodes
    assert summary["timeline"][4]["waiting"] is True
    [gate] = summary["gate"]
    assert gate["passed"] and gate["plan_hash"] == summary["approved_plan_hash"]
    [decision] = summary["decisions"]
    assert (decision["by"], decision["phase"], decision["approved"]) == ("alice", "plan", True)
    assert decision["comment"] == "reviewed in CAB-12" and decision["plan_hash"] == gate["plan_hash"]
    statements = summary["production_statements"]
    index = [s for s in statements if s["sql"].startswith("CREATE INDEX CONCURRENTLY")]
    assert index and index[0]["step_id"] and index[0]["outcome"] == "ok" and index[0]["duration_ms"] > 0
    assert index[0]["lock"] == "ShareUpdateExclusiveLock"  # as pg_locks.mode names it
    assert summary["statements_by_environment"]["rehearsal"] > 0
    assert "execute" in [verdict["run"] for verdict in summary["monitor"]]
    assert {agent["agent"] for agent in summary["agents"]} >= {"planner"}

    listed = zdt("sessions", "--format", "json", *store, cwd=tmp_path)
    [row] = json.loads(listed.stdout)["sessions"]
    assert row["record_head"] == summary["head"]

    text = zdt("audit", session_id, *store, cwd=tmp_path)
    assert text.returncode == 0 and "alice" in text.stdout and "CREATE INDEX CONCURRENTLY" in text.stdout

    artefacts = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "events.jsonl" for path in artefacts) and any(
        p.suffix == ".sqlite" for p in artefacts
    )
    assert any(path.name == "MIGRATION-PLAN.md" for path in artefacts)
    for path in artefacts:
        content = path.read_bytes()
        assert password.encode() not in content, f"{path} holds the password"
        assert FAKE_KEY.encode() not in content, f"{path} holds the API key"
    for output in (started, resumed):
        assert password not in output.stdout + output.stderr

    log = tmp_path / "store" / "sessions" / session_id / "events.jsonl"
    _assert_tampering_is_named(log, tmp_path)


def _assert_tampering_is_named(log: Path, tmp_path: Path) -> None:
    def change_field(lines: list[str]) -> None:
        event = json.loads(lines[9])
        event["data"]["tampered"] = True
        lines[9] = json.dumps(event)

    def forge_approval(lines: list[str]) -> None:
        before = json.loads(lines[6])
        fake = seal(seq=8, prev=before["hash"], session_id=before["session_id"], kind="approval", data={})
        lines.insert(7, fake.line().decode().rstrip("\n"))

    def swap(lines: list[str]) -> None:
        lines[12], lines[13] = lines[13], lines[12]

    cases = {
        "changed": (change_field, 10),
        "removed": (lambda lines: lines.pop(4), 5),
        "inserted": (forge_approval, 8),
        "reordered": (swap, 13),
    }
    for what, (change, number) in cases.items():
        copy = _tampered(log, tmp_path, what, change)
        code, report = _audit(tmp_path, str(copy), "--no-store")
        assert code == 1, (what, report)
        assert report["problem"]["what"] == what and report["problem"]["event"] == number, report
        text = zdt("audit", str(copy), "--no-store", cwd=tmp_path)
        assert text.returncode == 1 and f"event {number}" in text.stderr, text.stderr

    truncated = _tampered(log, tmp_path, "truncated", lambda lines: lines.pop())
    cut = zdt("audit", str(truncated), "--state-url", f"sqlite:///{tmp_path}/store/s.sqlite", cwd=tmp_path)
    assert cut.returncode == 1 and "not in" in cut.stderr, cut.stdout + cut.stderr


def test_the_end_of_a_session_prints_the_head_and_the_cost_per_agent(tmp_path: Path) -> None:
    recorder = Recorder.open(
        tmp_path, "s-cost", prices=PriceTable({"claude-x": ModelPrice(input=3, output=15)})
    )
    for agent in ("planner", "planner", "monitor"):
        recorder.model_call(ModelCall(agent=agent, model="claude-x", input_tokens=1000, output_tokens=100))
    recorder.model_call(ModelCall(agent="monitor", model="other-model", input_tokens=10))
    console = Console(record=True, width=250)

    print_record_head(console, {"session_id": "s-cost", "record_head": recorder.head}, tmp_path)

    out = console.export_text()
    assert f"record head {recorder.head}" in out
    assert "model calls 4: 3010 tokens in, 300 out" in out
    assert "cost $0.0135 (monitor $0.0045, planner $0.0090), 1 calls of unpriced models" in out
