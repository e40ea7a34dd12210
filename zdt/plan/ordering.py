"""Steps grouped by phase without moving a statement past one it depends on.

Every expand step runs before any migrate step, and every migrate step before any contract step: that
is what lets the old release keep running until the contract. Grouping moves later statements ahead of
earlier ones, which is harmless for statements about different objects and wrong for the same object:
``DROP INDEX t_a_idx; CREATE INDEX t_a_idx ...`` grouped would build the index first (or skip it, with
IF NOT EXISTS) and then drop it. So a statement's steps are never put in an earlier phase than a step of
an earlier statement it depends on (see ``zdt.analysis.object_keys``): they move to that later phase
instead, after it, as the file had them. The plan's notes say which steps moved and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from zdt.analysis.object_keys import ObjectKeys, describe
from zdt.plan.model import PHASE_ORDER, Phase, Step


@dataclass(frozen=True)
class PlannedStatement:
    """The steps a recipe made for one statement, with the objects that statement touches."""

    line: int
    keys: ObjectKeys
    steps: list[Step]


def order_steps(statements: list[PlannedStatement]) -> tuple[list[Step], list[str]]:
    """All steps, grouped by phase as far as dependencies allow, and a note for every step held back."""
    placed: list[tuple[PlannedStatement, Phase]] = []  # each earlier statement and its last phase
    ordered: list[Step] = []
    notes: list[str] = []
    for statement in statements:
        floor, reason = _earliest_phase(statement, placed)
        last = floor
        for step in statement.steps:
            phase = max(step.phase, last, key=PHASE_ORDER.index)
            if phase != step.phase:
                if reason:
                    notes.append(
                        f"line {statement.line}: step {step.id} runs in the {phase.value} phase, not "
                        f"{step.phase.value}: {reason}"
                    )
                step = step.model_copy(update={"phase": phase})
            last = phase
            ordered.append(step)
        placed.append((statement, last))
    return sorted(ordered, key=lambda step: PHASE_ORDER.index(step.phase)), notes


def _earliest_phase(
    statement: PlannedStatement, placed: list[tuple[PlannedStatement, Phase]]
) -> tuple[Phase, str]:
    """The latest phase of an earlier statement this one depends on, and why (empty: no dependency)."""
    floor, reason = PHASE_ORDER[0], ""
    for earlier, phase in placed:
        if not earlier.steps:
            continue
        shared = statement.keys.shared_with(earlier.keys)
        if shared is None or PHASE_ORDER.index(phase) <= PHASE_ORDER.index(floor):
            continue
        floor = phase
        verb = "changes" if shared in earlier.keys.defines else "uses"  # e.g. a DROP VIEW of a column's view
        reason = (
            f"it must follow line {earlier.line} ({earlier.steps[-1].id}), which {verb} "
            f"{describe(shared)} in that phase"
        )
    return floor, reason
