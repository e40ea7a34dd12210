"""The seed's two checklists, each item ticked only by a check this session ran, with that check's figure.

Why computed, not typed in: a checklist a person ticks by hand says what someone believed; the seed's
production-readiness list (tested on staging, compatibility verified, performance assessed, rollback
tested, monitoring set, backup taken, team notified) and its post-migration verification (applications
connecting, query performance in range, no error spike, functionality, integrity) are ticked here from
what zdt measured: the rehearsal's figures, the compatibility verdict, the monitor's summaries of the
production runs, the executor's verified steps, the verify node's look at the target. An item with no
such evidence stays open and says why ("no rehearsal ran"), and what zdt cannot know (a data backup, a
team told) is ticked only by the operator's recorded word.

Pure: it reads the JSON the session state holds (dicts, as checkpointed) and returns models, so the
documents can be re-rendered at any stage and every item tested without a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from zdt.reports.render import render_template

START_MARK = "<!-- zdt:checklists -->"
END_MARK = "<!-- /zdt:checklists -->"

NO_REHEARSAL = "no rehearsal ran"
NOT_IN_PRODUCTION = "production has not been run yet"
BACKUP_FLAG = "--backup-confirmed TEXT"
TEAM_FLAG = "--team-notified TEXT"


class ChecklistItem(BaseModel):
    """One line of a checklist: ticked with the evidence that ticked it, or open with the reason."""

    item: str
    ticked: bool
    evidence: str = Field(default="", description="Which check ticked it, and its figure.")
    reason: str = Field(default="", description="Why it is open: no check ran, or what the check found.")

    @classmethod
    def tick(cls, item: str, evidence: str) -> ChecklistItem:
        return cls(item=item, ticked=True, evidence=evidence)

    @classmethod
    def open(cls, item: str, reason: str) -> ChecklistItem:
        return cls(item=item, ticked=False, reason=reason)

    def markdown(self) -> str:
        box = "x" if self.ticked else " "
        said = self.evidence if self.ticked else self.reason
        return f"- [{box}] **{self.item}** — {' '.join(said.split())}"


class SessionFacts(BaseModel):
    """What the session's checks recorded, in the shapes the session state holds them (JSON)."""

    rehearsal: dict[str, Any] | None = Field(default=None, description="zdt.graph.rehearsal.figures().")
    compatibility: dict[str, Any] | None = Field(default=None, description="CompatibilityResult JSON.")
    schema_snapshot: dict[str, Any] | None = Field(
        default=None, description="The pg_dump --schema-only snapshot kept before production (or its error)."
    )
    approvals: list[dict[str, Any]] = Field(default_factory=list, description="Approval JSON, oldest first.")
    execution: dict[str, Any] | None = None
    verification: dict[str, Any] | None = None
    production_monitor: list[dict[str, Any]] = Field(
        default_factory=list, description="The monitor's summary of each production run (Watch.summary())."
    )
    rolled_back: str | None = Field(default=None, description="Why the session rolled back, if it did.")


class Checklists(BaseModel):
    readiness: list[ChecklistItem]
    verification: list[ChecklistItem]

    def markdown(self) -> str:
        """The two checklists as a Markdown section between markers, so a document can be updated in place."""
        return render_template("checklists.md.j2", checklists=self, start=START_MARK, end=END_MARK)


def checklists(facts: SessionFacts) -> Checklists:
    return Checklists(readiness=readiness(facts), verification=verification(facts))


# --- production readiness ---------------------------------------------------------------------------


def readiness(facts: SessionFacts) -> list[ChecklistItem]:
    return [
        rehearsed_on_staging(facts.rehearsal),
        compatibility_verified(facts.compatibility),
        performance_assessed(facts.rehearsal),
        rollback_tested(facts.rehearsal),
        monitoring_set(facts.rehearsal),
        schema_snapshot_kept(facts.schema_snapshot),
        operator_confirmed(
            "Database backup completed",
            facts.approvals,
            "backup_confirmed",
            "zdt cannot take or check a data backup: the operator confirms it with "
            f"`{BACKUP_FLAG}` on the approval (`zdt run`, `zdt resume --approve`)",
        ),
        operator_confirmed(
            "Team notified",
            facts.approvals,
            "team_notified",
            "zdt cannot know this: the operator confirms it with "
            f"`{TEAM_FLAG}` on the approval (`zdt run`, `zdt resume --approve`)",
        ),
    ]


def _where(rehearsal: dict[str, Any]) -> str:
    return str(rehearsal.get("where") or "the rehearsal copy")


def rehearsed_on_staging(rehearsal: dict[str, Any] | None) -> ChecklistItem:
    item = "Migration tested on staging"
    if rehearsal is None:
        return ChecklistItem.open(item, NO_REHEARSAL)
    steps = rehearsal.get("steps") or []
    ok = [row for row in steps if row.get("ok")]
    if not rehearsal.get("ok"):
        return ChecklistItem.open(
            item, f"rehearsal on {_where(rehearsal)} failed: {rehearsal.get('message') or 'see the log'}"
        )
    proof = (rehearsal.get("equivalence") or {}).get("summary")
    took = rehearsal.get("total_s", 0)
    evidence = f"rehearsal on {_where(rehearsal)}: {len(ok)}/{len(steps)} steps ok in {took} s"
    return ChecklistItem.tick(item, evidence + (f"; {proof}" if proof else ""))


def compatibility_verified(compatibility: dict[str, Any] | None) -> ChecklistItem:
    item = "Application compatibility verified"
    if compatibility is None:
        return ChecklistItem.open(item, "the compatibility check has not run")
    checks = compatibility.get("checks") or []
    if not checks:
        return ChecklistItem.open(
            item, "no application queries were checked: give them with `--queries FILE`"
        )
    verdict = compatibility.get("verdict")
    if verdict != "compatible":
        return ChecklistItem.open(item, f"compatibility {verdict}: {compatibility.get('summary', '')}")
    new_ok = sum(1 for check in checks if check.get("new_schema_ok"))
    old_ok = sum(1 for check in checks if check.get("old_schema_ok"))
    return ChecklistItem.tick(
        item,
        f"compatibility: {new_ok}/{len(checks)} application queries prepare on the migrated copy, "
        f"{old_ok}/{len(checks)} on the target as it is",
    )


def performance_assessed(rehearsal: dict[str, Any] | None) -> ChecklistItem:
    item = "Performance impact assessed and acceptable"
    if rehearsal is None:
        return ChecklistItem.open(item, NO_REHEARSAL)
    traffic = rehearsal.get("traffic") or {}
    if traffic.get("during") is None:
        notes = "; ".join(traffic.get("notes") or []) or "no load"
        return ChecklistItem.open(item, f"the rehearsal ran without application load ({notes})")
    findings = rehearsal.get("traffic_findings") or []
    if findings:
        return ChecklistItem.open(
            item, "the application's load failed in the rehearsal: " + " | ".join(findings)
        )
    monitor = rehearsal.get("monitor") or {}
    level = monitor.get("level", "ok")
    if level == "critical" or not rehearsal.get("ok"):
        said = ((monitor.get("final") or {}).get("summary")) or rehearsal.get("message") or level
        return ChecklistItem.open(item, f"the rehearsal did not pass under load: {said}")
    pauses = f", {monitor['pauses']} executor pause(s)" if monitor.get("pauses") else ""
    return ChecklistItem.tick(
        item,
        f"rehearsal under load: {rehearsal.get('traffic_summary', '')}; monitor verdict {level}{pauses}",
    )


def rollback_tested(rehearsal: dict[str, Any] | None) -> ChecklistItem:
    """Ticked only when the rehearsal's rollback ran and restored the schema (and, when the rehearsal went
    forward again after it, that second forward run passed too)."""
    item = "Rollback procedures tested"
    if rehearsal is None:
        return ChecklistItem.open(item, NO_REHEARSAL)
    if rehearsal.get("rollback_skipped"):
        return ChecklistItem.open(item, str(rehearsal["rollback_skipped"]))
    rollback = rehearsal.get("rollback")
    if rollback and not rehearsal.get("ok"):
        return ChecklistItem.open(item, "the rehearsal failed, so its rollback undid only part of the plan")
    if not rollback:
        return ChecklistItem.open(item, f"the rehearsal on {_where(rehearsal)} did not reach its rollback")
    if not rollback.get("schema_restored"):
        return ChecklistItem.open(
            item, f"the rehearsed rollback did not restore the schema: {rollback.get('message', '')}"
        )
    scope = f" of {rehearsal['rollback_scope']}" if rehearsal.get("rollback_scope") else ""
    evidence = f"rehearsal on {_where(rehearsal)}: the rollback{scope} ran and restored the schema"
    if "forward_again" in rehearsal:
        again = rehearsal.get("forward_again")
        if again is None:
            return ChecklistItem.open(
                item, "the rollback restored the schema, but the rehearsal did not go forward again after it"
            )
        if not again.get("ok"):
            return ChecklistItem.open(
                item,
                f"the rollback restored the schema, but the plan failed going forward again after it: "
                f"{again.get('message', '')}",
            )
        evidence += f", and the plan applied again after it ({again.get('message', 'ok')})"
    return ChecklistItem.tick(item, evidence)


def _thresholds(summary: dict[str, Any]) -> str:
    limits = summary.get("thresholds") or {}
    if not limits:
        return "zdt.monitor's default thresholds"
    parts = []
    if limits.get("latency_increase") is not None:
        parts.append(f"probe latency +{_pct(limits['latency_increase'])}")
    if limits.get("error_rate") is not None:
        parts.append(f"error rate {_pct(limits['error_rate'])}")
    if limits.get("connection_failures") is not None:
        parts.append(f"connection failures > {limits['connection_failures']}")
    if limits.get("lock_wait_s") is not None:
        parts.append(f"lock wait {limits['lock_wait_s']:g} s")
    return "thresholds " + ", ".join(parts)


def monitoring_set(rehearsal: dict[str, Any] | None) -> ChecklistItem:
    item = "Monitoring thresholds set"
    if rehearsal is None:
        return ChecklistItem.open(item, NO_REHEARSAL)
    monitor = rehearsal.get("monitor") or {}
    if not monitor.get("watched") or not monitor.get("samples"):
        return ChecklistItem.open(item, "the monitor did not watch the rehearsal (zdt.monitor not installed)")
    baseline = monitor.get("baseline_ms")
    base = f", baseline probe latency {baseline:.2f} ms" if baseline is not None else ""
    return ChecklistItem.tick(
        item,
        f"monitor watched the rehearsal ({monitor['samples']} samples{base}) with {_thresholds(monitor)}; "
        "it watches production the same way and stops a run that stays critical",
    )


def schema_snapshot_kept(snapshot: dict[str, Any] | None) -> ChecklistItem:
    item = "Schema snapshot kept"
    if snapshot is None:
        return ChecklistItem.open(
            item, f"{NOT_IN_PRODUCTION}: zdt keeps a pg_dump --schema-only snapshot right before it"
        )
    if snapshot.get("error"):
        return ChecklistItem.open(item, f"the snapshot failed: {snapshot['error']}")
    return ChecklistItem.tick(
        item,
        f"pg_dump --schema-only ({snapshot.get('pg_dump', 'pg_dump')}) of the target before production: "
        f"`{snapshot.get('path')}`, {snapshot.get('bytes')} bytes, sha256 {str(snapshot.get('sha256'))[:16]}",
    )


def operator_confirmed(
    item: str, approvals: Sequence[dict[str, Any]], key: str, reason: str
) -> ChecklistItem:
    """What only a person can know, ticked by the latest approval carrying their word (who, when)."""
    said = [approval for approval in approvals if str(approval.get(key) or "").strip()]
    if not said:
        return ChecklistItem.open(item, reason)
    last = said[-1]
    return ChecklistItem.tick(
        item,
        f"the operator's word: “{str(last[key]).strip()}” ({last.get('by', '?')}, {last.get('at', '?')})",
    )


# --- post-migration verification --------------------------------------------------------------------


def verification(facts: SessionFacts) -> list[ChecklistItem]:
    items = [
        applications_connecting(facts.production_monitor),
        performance_in_range(facts.production_monitor),
        no_error_spike(facts.production_monitor),
        functionality(facts.execution, facts.verification),
        integrity(facts.verification),
    ]
    if facts.rolled_back:
        return [
            item if not item.ticked else ChecklistItem.open(item.item, f"rolled back: {facts.rolled_back}")
            for item in items
        ]
    return items


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"


def _watched(runs: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
    """The production runs with the monitor's figures, or why there are none."""
    if not runs:
        return [], NOT_IN_PRODUCTION
    watched = [run for run in runs if run.get("watched") and (run.get("figures") or {}).get("samples")]
    if not watched:
        return [], "the monitor took no sample of production (zdt.monitor not installed, or none taken)"
    return watched, None


def applications_connecting(runs: Sequence[dict[str, Any]]) -> ChecklistItem:
    item = "Applications connecting"
    watched, missing = _watched(runs)
    if missing:
        return ChecklistItem.open(item, missing)
    samples = sum(run["figures"].get("samples", 0) for run in watched)
    failures = sum(run["figures"].get("connection_failures", 0) for run in watched)
    if failures:
        last = next(
            (
                run["figures"].get("last_connection_error")
                for run in reversed(watched)
                if run["figures"].get("last_connection_error")
            ),
            "",
        )
        return ChecklistItem.open(
            item, f"monitor: {failures} connection failure(s) in {samples} samples (last: {last})"
        )
    return ChecklistItem.tick(
        item, f"monitor: 0 connection failures in {samples} samples over {_runs(watched)}"
    )


def _runs(watched: Sequence[dict[str, Any]]) -> str:
    names = [str(run.get("run") or "production") for run in watched]
    return "the production run" + ("s " if len(names) > 1 else " ") + f"({', '.join(names)})"


class _Latency(BaseModel):
    """One production run's worst probe against its baseline, judged as the monitor's thresholds say."""

    run: str
    probe: str | None
    median_ms: float
    baseline_ms: float
    limit: float
    floor_ms: float

    @property
    def increase(self) -> float:
        return (self.median_ms - self.baseline_ms) / self.baseline_ms if self.baseline_ms > 0 else 0.0

    @property
    def in_range(self) -> bool:
        return self.median_ms - self.baseline_ms <= self.floor_ms or self.increase <= self.limit

    def sentence(self) -> str:
        floor = f", or within {self.floor_ms:g} ms" if self.floor_ms else ""
        return (
            f"monitor ({self.run}): median probe latency {self.median_ms:.2f} ms on {self.probe!r}, "
            f"{self.increase * 100:+.0f} % against the baseline {self.baseline_ms:.2f} ms "
            f"(threshold +{_pct(self.limit)}{floor})"
        )


def performance_in_range(runs: Sequence[dict[str, Any]]) -> ChecklistItem:
    """The worst probe's median latency of each production run against the baseline before it."""
    item = "Query performance in range"
    watched, missing = _watched(runs)
    if missing:
        return ChecklistItem.open(item, missing)
    judged = [
        _Latency(
            run=str(run.get("run") or "production"),
            probe=run["figures"].get("slowest_probe"),
            median_ms=run["figures"]["latency_median_ms"],
            baseline_ms=run["baseline_ms"],
            limit=float((run.get("thresholds") or {}).get("latency_increase", 0.5)),
            floor_ms=float((run.get("thresholds") or {}).get("latency_floor_ms", 0.0)),
        )
        for run in watched
        if run.get("baseline_ms") is not None and run["figures"].get("latency_median_ms") is not None
    ]
    if not judged:
        return ChecklistItem.open(item, "the monitor measured no probe latency against a baseline")
    worst = max(judged, key=lambda latency: (not latency.in_range, latency.increase))
    if worst.in_range:
        return ChecklistItem.tick(item, worst.sentence())
    return ChecklistItem.open(item, worst.sentence())


def no_error_spike(runs: Sequence[dict[str, Any]]) -> ChecklistItem:
    """Failed probes (and application requests, when a traffic source was counted) at most 2 %."""
    item = "No error spike"
    watched, missing = _watched(runs)
    if missing:
        return ChecklistItem.open(item, missing)
    limit = min(float((run.get("thresholds") or {}).get("error_rate", 0.02)) for run in watched)
    probes = sum(run["figures"].get("probes", 0) for run in watched)
    errors = sum(run["figures"].get("probe_errors", 0) for run in watched)
    requests = sum(run["figures"].get("app_requests") or 0 for run in watched)
    app_errors = sum(run["figures"].get("app_errors", 0) for run in watched)
    if not probes and not requests:
        return ChecklistItem.open(item, "the monitor ran no probe in production")
    rate = errors / probes if probes else 0.0
    said = f"monitor: {errors} of {probes} probes failed ({rate * 100:.1f} %, threshold {_pct(limit)})"
    app_rate = app_errors / requests if requests else 0.0
    if requests:
        said += f"; application: {app_errors} of {requests} requests failed ({app_rate * 100:.1f} %)"
    return (
        ChecklistItem.tick(item, said)
        if rate <= limit and app_rate <= limit
        else ChecklistItem.open(item, said)
    )


def functionality(execution: dict[str, Any] | None, verification: dict[str, Any] | None) -> ChecklistItem:
    """The plan's own verification query after every step, then the verify node's look at the target."""
    item = "Functionality verified"
    if execution is None:
        return ChecklistItem.open(item, NOT_IN_PRODUCTION)
    steps = execution.get("steps") or []
    failed = [step for step in steps if not step.get("ok")]
    if failed or not execution.get("ok", False):
        first = failed[0] if failed else {}
        return ChecklistItem.open(
            item,
            f"step {first.get('step_id') or execution.get('failed_step')} failed: "
            f"{first.get('message') or execution.get('message', '')}",
        )
    if verification is None:
        return ChecklistItem.open(item, "the verify node has not looked at the target yet")
    problems = verification.get("problems") or []
    if problems:
        return ChecklistItem.open(item, "verify: " + "; ".join(problems))
    phases = ", ".join(execution.get("phases_done") or []) or "the phases run"
    return ChecklistItem.tick(
        item,
        f"executor: {len(steps)}/{len(steps)} steps passed their verification queries ({phases}); "
        f"verify: the target's record shows this plan's hash with {verification.get('steps_done', '?')} "
        "steps done",
    )


def integrity(verification: dict[str, Any] | None) -> ChecklistItem:
    """No constraint left NOT VALID and no index left invalid on the plan's tables, as the target shows."""
    item = "Data integrity checked"
    if verification is None:
        return ChecklistItem.open(item, "the verify node has not looked at the target yet")
    checked = verification.get("integrity")
    if not checked:
        return ChecklistItem.open(item, "verify could not read the target's constraints and indexes")
    if checked.get("error"):
        return ChecklistItem.open(item, f"verify could not check it: {checked['error']}")
    invalid = [*checked.get("invalid_constraints", []), *checked.get("invalid_indexes", [])]
    if invalid:
        return ChecklistItem.open(item, "verify: left invalid on the target: " + ", ".join(invalid))
    tables = checked.get("tables") or []
    return ChecklistItem.tick(
        item,
        f"verify: on {len(tables)} table(s) ({', '.join(tables)}) {checked.get('constraints', 0)} "
        f"constraints are validated and {checked.get('indexes', 0)} indexes valid",
    )


def with_checklists(document: str, section: str) -> str:
    """``document`` with its checklist section replaced by ``section`` (appended when it has none)."""
    start, end = document.find(START_MARK), document.find(END_MARK)
    if start != -1 and end > start:
        return document[:start] + section.strip() + document[end + len(END_MARK) :]
    return document.rstrip("\n") + "\n\n" + section.strip() + "\n"
