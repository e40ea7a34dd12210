"""Each checklist item is ticked by its own evidence, and open with its reason when the evidence is missing.

The facts are shaped as the session state holds them (zdt.graph.rehearsal.figures(), CompatibilityResult,
Watch.summary() of a production run, the verify node's figures); tests/graph/test_checklists.py checks
the same items from a real session's state.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from zdt.reports.checklists import (
    END_MARK,
    START_MARK,
    ChecklistItem,
    SessionFacts,
    applications_connecting,
    checklists,
    compatibility_verified,
    functionality,
    integrity,
    monitoring_set,
    no_error_spike,
    operator_confirmed,
    performance_assessed,
    performance_in_range,
    rehearsed_on_staging,
    rollback_tested,
    schema_snapshot_kept,
    with_checklists,
)

MONITOR = {
    "watched": True,
    "level": "ok",
    "samples": 40,
    "baseline_ms": 1.2,
    "pauses": 0,
    "thresholds": {
        "latency_increase": 0.5,
        "latency_floor_ms": 2.0,
        "error_rate": 0.02,
        "connection_failures": 0,
    },
}

REHEARSAL: dict[str, Any] = {
    "where": "staging postgresql://postgres@127.0.0.1:5432/zdt_staging (PostgreSQL 15)",
    "ok": True,
    "message": "3 step(s) done",
    "steps": [{"step": f"s0{n}", "ok": True} for n in (1, 2, 3)],
    "total_s": 0.42,
    "rollback": {"ok": True, "schema_restored": True, "message": "rolled back"},
    "rollback_skipped": None,
    "traffic": {"during": {"requests": 600, "errors": 0}, "notes": []},
    "traffic_summary": "600 requests at 200/s during the plan, 0 failed",
    "traffic_findings": [],
    "monitor": MONITOR,
    "equivalence": {"summary": "the plan ends where its SQL does"},
}


def _rehearsal(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy(REHEARSAL) | changes


def _run(**figures: Any) -> dict[str, Any]:
    """A production run's Watch.summary(), with the monitor's figures of the run."""
    base = {
        "samples": 30,
        "connection_failures": 0,
        "latency_median_ms": 1.3,
        "slowest_probe": "users",
        "probes": 60,
        "probe_errors": 0,
        "app_requests": None,
        "app_errors": 0,
    }
    return copy.deepcopy(MONITOR) | {"run": "execute", "figures": base | figures}


# --- tested on staging --------------------------------------------------------------------------------


def test_staging_is_ticked_by_a_passed_rehearsal_with_its_steps() -> None:
    item = rehearsed_on_staging(_rehearsal())
    assert item.ticked
    assert "rehearsal on staging postgresql://postgres@127.0.0.1:5432/zdt_staging" in item.evidence
    assert "3/3 steps ok in 0.42 s" in item.evidence and "ends where its SQL does" in item.evidence


def test_staging_is_open_without_a_rehearsal_or_after_a_failed_one() -> None:
    assert rehearsed_on_staging(None) == ChecklistItem.open("Migration tested on staging", "no rehearsal ran")
    failed = rehearsed_on_staging(_rehearsal(ok=False, message="step s02 failed: lock timeout"))
    assert not failed.ticked and "failed: step s02 failed: lock timeout" in failed.reason


# --- compatibility ------------------------------------------------------------------------------------


def _checks(*new: bool) -> list[dict[str, Any]]:
    return [{"query": f"SELECT {n}", "new_schema_ok": ok, "old_schema_ok": True} for n, ok in enumerate(new)]


def test_compatibility_is_ticked_by_every_query_preparing_on_both_schemas() -> None:
    item = compatibility_verified({"verdict": "compatible", "checks": _checks(True, True), "summary": "ok"})
    assert (
        item.ticked
        and "2/2 application queries prepare on the migrated copy, 2/2 on the target" in item.evidence
    )


def test_compatibility_is_open_without_queries_or_with_a_broken_one() -> None:
    assert "has not run" in compatibility_verified(None).reason
    none = compatibility_verified({"verdict": "unknown", "checks": [], "summary": "unknown: no queries"})
    assert not none.ticked and "--queries FILE" in none.reason
    broken = compatibility_verified(
        {"verdict": "incompatible", "checks": _checks(True, False), "summary": "1 of 2 queries break"}
    )
    assert not broken.ticked and broken.reason == "compatibility incompatible: 1 of 2 queries break"


# --- performance --------------------------------------------------------------------------------------


def test_performance_is_ticked_by_the_rehearsal_load_and_the_monitor() -> None:
    item = performance_assessed(_rehearsal())
    assert item.ticked and "600 requests at 200/s" in item.evidence and "monitor verdict ok" in item.evidence


def test_performance_is_open_without_load_with_failed_requests_or_a_critical_monitor() -> None:
    assert performance_assessed(None).reason == "no rehearsal ran"
    idle = performance_assessed(_rehearsal(traffic={"during": None, "notes": ["traffic disabled"]}))
    assert not idle.ticked and "without application load (traffic disabled)" in idle.reason
    failing = performance_assessed(_rehearsal(traffic_findings=["0A000 cached plan must not change"]))
    assert not failing.ticked and "0A000" in failing.reason
    critical = _rehearsal(monitor=MONITOR | {"level": "critical", "final": {"summary": "lock wait 6 s"}})
    assert "lock wait 6 s" in performance_assessed(critical).reason


# --- rollback -----------------------------------------------------------------------------------------


def test_rollback_is_ticked_only_when_it_restored_the_schema() -> None:
    item = rollback_tested(_rehearsal())
    assert item.ticked and "the rollback ran and restored the schema" in item.evidence
    broken = rollback_tested(
        _rehearsal(rollback={"ok": False, "schema_restored": False, "message": "column bio left"})
    )
    assert not broken.ticked and "did not restore the schema: column bio left" in broken.reason


def test_rollback_is_open_when_skipped_or_never_reached() -> None:
    skipped = rollback_tested(_rehearsal(rollback=None, rollback_skipped="steps s03 cannot be undone"))
    assert not skipped.ticked and skipped.reason == "steps s03 cannot be undone"
    assert "did not reach its rollback" in rollback_tested(_rehearsal(rollback=None)).reason
    assert rollback_tested(None).reason == "no rehearsal ran"
    partial = rollback_tested(_rehearsal(ok=False))
    assert not partial.ticked and "undid only part of the plan" in partial.reason


def test_rollback_needs_the_forward_again_run_when_the_rehearsal_made_one() -> None:
    again = rollback_tested(_rehearsal(forward_again={"ok": True, "message": "3 step(s) done"}))
    assert again.ticked and "the plan applied again after it (3 step(s) done)" in again.evidence
    scoped = rollback_tested(_rehearsal(rollback_scope="expand and migrate", forward_again={"ok": True}))
    assert (
        scoped.ticked and "the rollback of expand and migrate ran and restored the schema" in scoped.evidence
    )
    missing = rollback_tested(_rehearsal(forward_again=None))
    assert not missing.ticked and "did not go forward again after it" in missing.reason
    failed = rollback_tested(_rehearsal(forward_again={"ok": False, "message": "s01: relation exists"}))
    assert not failed.ticked and "failed going forward again after it: s01: relation exists" in failed.reason


# --- monitoring, snapshot, the operator's word ----------------------------------------------------------


def test_monitoring_is_ticked_by_a_watched_rehearsal_with_its_thresholds() -> None:
    item = monitoring_set(_rehearsal())
    assert item.ticked and "40 samples, baseline probe latency 1.20 ms" in item.evidence
    assert "probe latency +50 %, error rate 2 %, connection failures > 0" in item.evidence
    unwatched = monitoring_set(_rehearsal(monitor={"watched": False, "samples": 0}))
    assert not unwatched.ticked and "did not watch" in unwatched.reason


def test_the_schema_snapshot_is_ticked_by_its_file_and_open_before_production_or_after_a_failure() -> None:
    kept = schema_snapshot_kept(
        {"path": "/tmp/s/schema-before.sql", "bytes": 1234, "sha256": "ab" * 32, "pg_dump": "pg_dump 15.20"}
    )
    assert kept.ticked and "`/tmp/s/schema-before.sql`, 1234 bytes, sha256 abababababababab" in kept.evidence
    assert "production has not been run yet" in schema_snapshot_kept(None).reason
    failed = schema_snapshot_kept({"error": "no pg_dump of version 18 or newer"})
    assert not failed.ticked and "no pg_dump of version 18" in failed.reason


def test_a_backup_is_ticked_only_by_the_operators_recorded_word() -> None:
    approvals = [
        {"by": "alice", "at": "2026-12-04T10:00:00+00:00", "backup_confirmed": ""},
        {"by": "bob", "at": "2026-12-04T11:00:00+00:00", "backup_confirmed": "snapshot rds-0412 at 10:55"},
    ]
    item = operator_confirmed("Database backup completed", approvals, "backup_confirmed", "nobody said")
    assert item.ticked and item.evidence == (
        "the operator's word: “snapshot rds-0412 at 10:55” (bob, 2026-12-04T11:00:00+00:00)"
    )
    nobody = operator_confirmed("Database backup completed", approvals[:1], "backup_confirmed", "nobody said")
    assert not nobody.ticked and nobody.reason == "nobody said"


def test_the_team_is_never_assumed_notified() -> None:
    [team] = [item for item in checklists(SessionFacts()).readiness if item.item == "Team notified"]
    assert not team.ticked and "zdt cannot know this" in team.reason and "--team-notified" in team.reason


# --- post-migration verification ----------------------------------------------------------------------


def test_connections_are_ticked_by_no_failure_in_the_production_samples() -> None:
    item = applications_connecting([_run(), _run(samples=10) | {"run": "contract"}])
    assert (
        item.ticked and "0 connection failures in 40 samples" in item.evidence and "contract" in item.evidence
    )
    failed = applications_connecting([_run(connection_failures=2, last_connection_error="too many clients")])
    assert (
        not failed.ticked
        and "2 connection failure(s) in 30 samples (last: too many clients)" in failed.reason
    )
    assert applications_connecting([]).reason == "production has not been run yet"
    assert "took no sample" in applications_connecting([{"watched": False}]).reason
    assert "took no sample" in applications_connecting([_run(samples=0)]).reason, "no sample is no evidence"


def test_latency_is_in_range_within_the_threshold_and_open_past_it() -> None:
    item = performance_in_range([_run(latency_median_ms=1.3)])
    assert (
        item.ticked
        and "median probe latency 1.30 ms on 'users', +8 % against the baseline 1.20 ms" in item.evidence
    )
    assert "(threshold +50 %, or within 2 ms)" in item.evidence
    slow = performance_in_range([_run(latency_median_ms=9.0)])
    assert not slow.ticked and "+650 %" in slow.reason
    unmeasured = performance_in_range([_run(latency_median_ms=None)])
    assert not unmeasured.ticked and "no probe latency" in unmeasured.reason


def test_errors_are_ticked_up_to_two_percent_and_open_past_it() -> None:
    item = no_error_spike([_run(probes=100, probe_errors=1)])
    assert item.ticked and "1 of 100 probes failed (1.0 %, threshold 2 %)" in item.evidence
    spike = no_error_spike([_run(probes=100, probe_errors=3)])
    assert not spike.ticked and "3 of 100 probes failed (3.0 %" in spike.reason
    app = no_error_spike([_run(app_requests=100, app_errors=5)])
    assert not app.ticked and "5 of 100 requests failed (5.0 %)" in app.reason


EXECUTION = {
    "ok": True,
    "steps": [{"step_id": "s01", "ok": True}, {"step_id": "s02", "ok": True}],
    "phases_done": ["expand", "migrate"],
}
VERIFICATION = {
    "problems": [],
    "steps_done": 2,
    "integrity": {
        "tables": ["public.users"],
        "constraints": 2,
        "indexes": 1,
        "invalid_constraints": [],
        "invalid_indexes": [],
    },
}


def test_functionality_is_ticked_by_every_step_verified_and_the_targets_record() -> None:
    item = functionality(EXECUTION, VERIFICATION)
    assert item.ticked and "2/2 steps passed their verification queries (expand, migrate)" in item.evidence
    failed = functionality(
        {"ok": False, "steps": [{"step_id": "s02", "ok": False, "message": "verification failed"}]}, None
    )
    assert not failed.ticked and failed.reason == "step s02 failed: verification failed"
    mismatch = functionality(EXECUTION, {"problems": ["steps not done on the target: s02"]})
    assert not mismatch.ticked and mismatch.reason == "verify: steps not done on the target: s02"
    assert functionality(None, None).reason == "production has not been run yet"
    assert "has not looked" in functionality(EXECUTION, None).reason


def test_integrity_is_ticked_by_valid_constraints_and_indexes_and_names_what_is_not() -> None:
    item = integrity(VERIFICATION)
    assert item.ticked and "(public.users) 2 constraints are validated and 1 indexes valid" in item.evidence
    broken = copy.deepcopy(VERIFICATION)
    broken["integrity"]["invalid_indexes"] = ["index public.users_email_idx"]
    assert integrity(broken).reason == "verify: left invalid on the target: index public.users_email_idx"
    assert not integrity({"problems": []}).ticked


def test_a_rollback_unticks_the_verification() -> None:
    facts = SessionFacts(
        execution=EXECUTION, verification=VERIFICATION, production_monitor=[_run()], rolled_back="s02 failed"
    )
    assert [item.ticked for item in checklists(facts).verification] == [False] * 5
    assert all(item.reason == "rolled back: s02 failed" for item in checklists(facts).verification)


# --- rendering ----------------------------------------------------------------------------------------


def test_the_section_renders_ticked_and_open_items_and_replaces_itself_in_place() -> None:
    facts = SessionFacts(rehearsal=_rehearsal())
    section = checklists(facts).markdown()
    assert section.startswith(START_MARK) and section.strip().endswith(END_MARK)
    assert "- [x] **Migration tested on staging** — rehearsal on staging" in section
    assert "- [ ] **Database backup completed** — zdt cannot take or check a data backup" in section
    assert "## Post-migration verification" in section
    document = with_checklists("# Plan\n\nsteps\n", section)
    assert document.startswith("# Plan\n\nsteps\n\n" + START_MARK)
    later = checklists(SessionFacts(rehearsal=_rehearsal(), execution=EXECUTION, verification=VERIFICATION))
    updated = with_checklists(document + "\n## After\n", later.markdown())
    assert updated.count(START_MARK) == 1 and updated.endswith("\n## After\n")
    assert "- [x] **Functionality verified**" in updated


@pytest.mark.parametrize(
    ("facts", "ticked"),
    [(SessionFacts(), []), (SessionFacts(rehearsal=_rehearsal(ok=False)), ["Monitoring thresholds set"])],
)
def test_nothing_is_ticked_without_evidence(facts: SessionFacts, ticked: list[str]) -> None:
    """A failed rehearsal proves only that the monitor watched it: not even its partial rollback."""
    lists = checklists(facts)
    assert [item.item for item in lists.readiness + lists.verification if item.ticked] == ticked
    assert all(item.reason for item in lists.readiness + lists.verification if not item.ticked)
