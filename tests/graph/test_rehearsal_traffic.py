"""The session's rehearsal runs under the application's load, and what the load suffered decides.

Why: a plan is only proven zero-downtime if the application's requests got through it. The load sends
the application's own reads (with psycopg's default server-side prepared statements) and generated
writes; a plan that makes them fail is sent back as a finding that names the step, the queries and what
to do, and the per-second series is kept in the session for the approver and the audit.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.graph.conftest import Harness, fingerprint
from zdt.graph.context import SessionSettings
from zdt.rehearsal.traffic import TrafficSettings
from zdt.sessions.scratchpads import MONITORING_MD

TRAFFIC = TrafficSettings(rate=120, connections=2, warmup_s=1.0, settle_s=1.5, sample_rows=300)
ADD_COLUMN = "ALTER TABLE users ADD COLUMN badge_count integer;"


def _harness(target_url: str, tmp_path: Path, rounds: int = 0) -> Harness:
    harness = Harness(target_url, None, tmp_path)  # the embedded copy, with sampled rows
    settings = SessionSettings(max_planning_rounds=rounds, traffic=TRAFFIC)
    harness.context = replace(harness.context, settings=settings)
    return harness


def test_select_star_under_prepared_statements_fails_the_rehearsal_and_says_who_breaks(
    target_url: str, tmp_path: Path
) -> None:
    before = fingerprint(target_url)
    harness = _harness(target_url, tmp_path)
    ended = harness.start(ADD_COLUMN, queries="-- name: get_user\nSELECT * FROM users WHERE id = $1;\n")

    assert ended.status == "failed" and not ended.waiting
    error = ended.values["error"]
    assert "prepared-statement-trap" in error and "get_user" in error and "reconnect" in error
    traffic = ended.values["rehearsal"]["traffic"]
    assert traffic["prepared_statements"] and traffic["findings"][0]["sqlstate"] == "0A000"
    assert fingerprint(target_url) == before, "production was never touched"
    report = (harness.context.session_dir(harness.session_id) / "rehearsal" / MONITORING_MD).read_text()
    assert "the application's load" in report and "prepared-statement-trap" in report


def test_a_safe_plan_passes_with_the_load_series_kept_for_the_approver(
    target_url: str, tmp_path: Path
) -> None:
    harness = _harness(target_url, tmp_path)
    waiting = harness.start(
        ADD_COLUMN, queries="-- name: get_user\nSELECT id, email FROM users WHERE id = $1;\n"
    )

    assert waiting.waiting, waiting.values.get("error")
    rehearsal = waiting.pending["rehearsal"] if waiting.pending else {}
    traffic = rehearsal["traffic"]
    assert rehearsal["ok"] and traffic["findings"] == []
    assert "app: get_user (queries:2)" in traffic["queries"] and "update public.users" in traffic["queries"]
    assert (
        traffic["during"]["errors"] == 0
        and traffic["after"]["errors"] == 0
        and traffic["after"]["requests"] > 50
    )
    assert len(traffic["per_second"]) >= 3 and all(second["errors"] == 0 for second in traffic["per_second"])
    assert rehearsal["monitor"]["level"] in ("ok", "throttle")
    folder = harness.context.session_dir(harness.session_id) / "rehearsal"
    report = (folder / MONITORING_MD).read_text()
    for chart in ("rehearsal-load_requests.svg", "rehearsal-load_latency.svg"):
        assert f"![{chart}]({chart})" in report
        drawn = (folder / chart).read_text()
        assert drawn.startswith("<svg") and "<polyline" in drawn


def test_a_corpus_that_does_not_parse_leaves_only_its_queries_out_of_the_load(
    target_url: str, tmp_path: Path
) -> None:
    harness = _harness(target_url, tmp_path)
    waiting = harness.start(ADD_COLUMN, queries="SELECT id FROM users WHERE id = $1;\nSELEC broken;\n")

    assert waiting.status in ("awaiting_approval", "failed")
    rehearsal = waiting.values["rehearsal"]
    assert rehearsal["ok"], rehearsal  # the rehearsal ran, with the generated load
    assert not any(name.startswith("app: ") for name in rehearsal["traffic"]["queries"])
    assert "update public.users" in rehearsal["traffic"]["queries"]
    notes = [event for event in harness.progress("rehearsal") if event.get("event") == "note"]
    assert notes and "queries:2:1" in notes[0]["reason"], notes  # where the corpus is broken
