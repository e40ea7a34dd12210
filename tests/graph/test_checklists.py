"""A session's scratchpads carry the seed's two checklists, ticked by the checks the session ran.

Why a whole session: the items are only as true as the figures the nodes record. Here they come from a
real rehearsal under load on staging, the compatibility agent, the snapshot before production, the
executor, the monitor and the verify node, on the test server, and the documents are read as a reviewer
reads them: at the approval (readiness proven, production items open) and after the run.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.graph.conftest import Harness
from zdt.graph.checklists import merged, session_facts
from zdt.graph.runner import decision
from zdt.graph.state import SessionRequest, SessionState
from zdt.reports.checklists import START_MARK
from zdt.sessions.scratchpads import COMPATIBILITY_MD, PLAN_MD, SCHEMA_SNAPSHOT_SQL

SQL = """
ALTER TABLE users ADD CONSTRAINT reputation_non_negative CHECK (reputation >= 0);
CREATE INDEX users_email_idx ON users (email);
"""
QUERIES = "SELECT id, email FROM users WHERE id = $1;\nSELECT count(*) FROM users WHERE reputation > $1;\n"


def _items(text: str) -> dict[str, tuple[bool, str]]:
    """Each checklist line of a document: item -> (ticked, what follows the dash)."""
    section = text.split(START_MARK, 1)[1]
    found = re.findall(r"^- \[([x ])\] \*\*(.+?)\*\* — (.*)$", section, flags=re.MULTILINE)
    return {item: (box == "x", said) for box, item, said in found}


def _documents(harness: Harness) -> list[dict[str, tuple[bool, str]]]:
    folder = harness.context.session_dir(harness.session_id)
    return [_items((folder / name).read_text()) for name in (PLAN_MD, COMPATIBILITY_MD)]


def test_the_checklists_are_ticked_by_the_sessions_checks(harness: Harness) -> None:
    waiting = harness.start(SQL, queries=QUERIES)
    assert waiting.waiting, waiting.values.get("error")

    for items in _documents(harness):
        assert items["Migration tested on staging"][0]
        assert re.search(
            r"rehearsal on staging postgresql://\S+ \(PostgreSQL \d+\): (\d+)/\1 steps ok",
            items["Migration tested on staging"][1],
        )
        assert items["Application compatibility verified"] == (
            True,
            "compatibility: 2/2 application queries prepare on the migrated copy, 2/2 on the target as it is",
        )
        assert items["Performance impact assessed and acceptable"][0]
        assert (
            "requests at 200/s during the plan, 0 failed"
            in items["Performance impact assessed and acceptable"][1]
        )
        rehearsal = waiting.values["rehearsal"]
        ticked, said = items["Rollback procedures tested"]
        assert ticked and said.startswith(f"rehearsal on {rehearsal['where']}: the rollback")
        assert "ran and restored the schema" in said
        if "forward_again" in rehearsal:  # the rehearsal goes forward, back, forward again
            assert "and the plan applied again after it" in said
        assert (
            items["Monitoring thresholds set"][0]
            and "probe latency +50 %" in items["Monitoring thresholds set"][1]
        )
        assert items["Schema snapshot kept"][0] is False
        assert (
            items["Database backup completed"][0] is False
            and "--backup-confirmed" in items["Database backup completed"][1]
        )
        assert items["Team notified"] == (
            False,
            "zdt cannot know this: the operator confirms it with `--team-notified TEXT` on the approval "
            "(`zdt run`, `zdt resume --approve`)",
        )
        assert items["Schema snapshot kept"][1].startswith("production has not been run yet")
        for item in ("Applications connecting", "Query performance in range", "No error spike"):
            assert items[item] == (False, "production has not been run yet"), item
        for item in ("Functionality verified", "Data integrity checked"):
            assert items[item][0] is False, item
        assert items["Functionality verified"][1] == "production has not been run yet"
        assert items["Data integrity checked"][1] == "the verify node has not looked at the target yet"

    pending = harness.now().pending
    assert pending is not None
    done = harness.drive(
        decision(True, pending["plan_hash"], "oncall", backup_confirmed="RDS snapshot pre-badges-0412")
    )
    assert done.status == "done", done.values.get("error")

    folder = harness.context.session_dir(harness.session_id)
    snapshot = done.values["schema_snapshot"]
    assert Path(snapshot["path"]) == folder / SCHEMA_SNAPSHOT_SQL
    assert "CREATE TABLE public.users" in Path(snapshot["path"]).read_text()
    assert "reputation_non_negative" not in Path(snapshot["path"]).read_text(), "taken before production"
    for items in _documents(harness):
        assert items["Schema snapshot kept"][0]
        assert (
            f"`{snapshot['path']}`, {snapshot['bytes']} bytes, sha256 {snapshot['sha256'][:16]}"
            in items["Schema snapshot kept"][1]
        )
        ticked, said = items["Database backup completed"]
        assert ticked and said.startswith("the operator's word: “RDS snapshot pre-badges-0412” (oncall, ")
        assert items["Team notified"][0] is False
        connecting = items["Applications connecting"]
        assert connecting[0] and re.fullmatch(
            r"monitor: 0 connection failures in \d+ samples over the production run \(execute\)",
            connecting[1],
        )
        latency = items["Query performance in range"]
        assert re.search(
            r"median probe latency [\d.]+ ms on '[^']+', [+-]\d+ % against the "
            r"baseline [\d.]+ ms \(threshold \+50 %, or within 2 ms\)",
            latency[1],
        )
        # ticked or not is the machine's load: it must be what the monitor's own figures say
        [run] = [summary for summary in done.values["monitor_verdicts"] if summary.get("run") == "execute"]
        median, baseline = run["figures"]["latency_median_ms"], run["baseline_ms"]
        assert latency[0] == (median - baseline <= 2.0 or (median - baseline) / baseline <= 0.5)
        errors = items["No error spike"]
        assert errors[0] and re.fullmatch(
            r"monitor: 0 of \d+ probes failed \(0\.0 %, threshold 2 %\)", errors[1]
        )
        steps = len(done.values["execution"]["steps"])
        assert items["Functionality verified"] == (
            True,
            f"executor: {steps}/{steps} steps passed their verification queries (expand, migrate, contract); "
            f"verify: the target's record shows this plan's hash with {steps} steps done",
        )
        assert items["Data integrity checked"][0]
        assert (
            "(public.users) 1 constraints are validated and 2 indexes valid"
            in items["Data integrity checked"][1]
        )


def _state(**values: object) -> SessionState:
    request = SessionRequest(sql="SELECT 1", target="postgresql://t@h:5432/d", staging="embedded")
    return SessionState(session_id="s-1", brain="offline", request=request.model_dump(mode="json"), **values)


def test_the_facts_are_the_states_production_runs_and_a_rollback_until_a_later_run_passes_it() -> None:
    rehearsal_run = {"watched": True, "level": "ok", "samples": 9}
    state = merged(
        _state(monitor_verdicts=[rehearsal_run], log=[{"node": "x", "message": "m", "at": "t"}]),
        {"monitor_verdicts": [{"run": "execute", "samples": 4}, {"level": "ok", "summary": "verify"}],
         "log": [{"node": "y", "message": "n", "at": "t"}], "not_a_field": 1},
    )  # fmt: skip
    assert len(state.monitor_verdicts) == 3 and len(state.log) == 2, "the reducers' lists are appended"
    assert session_facts(state).production_monitor == [{"run": "execute", "samples": 4}]
    rolled = _state(rollback={"ok": True}, error="s02 failed", status="rolled_back")
    assert session_facts(rolled).rolled_back == "s02 failed"
    assert session_facts(rolled.model_copy(update={"status": "done"})).rolled_back is None
