"""A session checks both releases at every phase boundary, and the approver and APP-COMPATIBILITY.md see it.

Why: for a rename, the old release's queries fail on the final schema, which alone would read as
"incompatible"; what matters is that nothing either release runs through breaks, and what the rollout
must do (retire the old release before contract, withdraw the new one before a rollback) is said.
"""

from __future__ import annotations

from tests.graph.conftest import Harness
from zdt.compat.boundaries import Boundary, BoundaryReport
from zdt.sessions.scratchpads import COMPATIBILITY_MD

RENAME = "ALTER TABLE users RENAME COLUMN email TO email_address;"
OLD = "-- name: old_read\nSELECT id, email FROM users WHERE id = $1;\n"
NEW = "-- name: new_read\nSELECT id, email_address FROM users WHERE id = $1;\n"
BROKEN_NEW = "-- name: new_reads_gone\nSELECT id, email FROM users WHERE id = $1;\n"


def test_a_rename_session_checks_both_releases_at_every_boundary(harness: Harness) -> None:
    waiting = harness.start(RENAME, queries=OLD, new_queries=NEW)

    pending = waiting.pending
    assert pending is not None
    assert pending["boundaries"]["verdict"] == "compatible", pending["boundaries"]
    assert pending["boundaries"]["breaks"] == []
    report = BoundaryReport.model_validate(waiting.values["boundaries"])
    assert report.reached == list(Boundary)
    notes = {(note.release, note.query, note.boundary) for note in report.deploy_notes}
    assert notes == {
        ("old", "old_read (--queries:2)", Boundary.CONTRACTED),
        ("new", "new_read (--new-queries:2)", Boundary.BEFORE),
    }
    text = (harness.context.session_dir(harness.session_id) / COMPATIBILITY_MD).read_text()
    assert "## Every phase boundary, both releases" in text
    assert "**compatible** — 1 old and 1 new queries at 4 boundaries: 0 break(s), 2 deploy note(s)" in text
    assert "the old release must be gone before contract" in text


def test_a_new_release_query_that_contract_breaks_is_named(harness: Harness) -> None:
    """The new release still reads the old name: fine after migrate, broken by contract."""
    waiting = harness.start(RENAME, queries=OLD, new_queries=NEW + BROKEN_NEW)

    report = BoundaryReport.model_validate(waiting.values["boundaries"])
    assert report.verdict == "incompatible"
    [broken] = report.breaks
    assert (broken.release, broken.query, broken.boundary) == (
        "new",
        "new_reads_gone (--new-queries:4)",
        Boundary.CONTRACTED,
    )
    assert broken.error is not None and broken.error.startswith("42703")
    assert (
        broken.fix.startswith("contract (") and "removes or changes what the new release uses" in broken.fix
    )
    assert waiting.pending is not None and waiting.pending["boundaries"]["breaks"] == [broken.sentence()]
