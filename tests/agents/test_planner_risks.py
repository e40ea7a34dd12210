"""The planner's deterministic risk notes: which tables count as civic, payment or authentication data."""

from __future__ import annotations

import pytest

from zdt.agents.planner_risks import lock_notes, sensitive_notes


@pytest.mark.parametrize(
    ("table", "kind"),
    [
        ("public.elections", "civic data"),
        ("public.candidates", "civic data"),
        ("public.votes", "civic data"),
        ("public.voting_record_sources", "civic data"),
        ("public.payment_records", "payment data"),
        ("billing.payment_audit_log", "payment data"),
        ("public.users", "user authentication data"),
        ("public.user_badges", "user authentication data"),
        ("auth.sessions", "user authentication data"),
        ("public.auth_tokens", "user authentication data"),
    ],
)
def test_sensitive_tables(table: str, kind: str) -> None:
    (note,) = sensitive_notes([table])
    assert note.startswith(f"{table}: {kind}")


@pytest.mark.parametrize(
    "table", ["public.posts", "public.badges", "public.feed_items", "public.superusers_x"]
)
def test_ordinary_tables(table: str) -> None:
    assert sensitive_notes([table]) == []


def test_lock_notes_need_a_blocking_rewrite_or_scan_of_a_big_table() -> None:
    big = {"table": "public.posts", "rows": 5_000_000, "bytes": 2 << 30}
    report = {"index": 0, "line": 3, "lock": "AccessExclusiveLock", "size": big, "blocks_reads": True}
    assert lock_notes(report) == []  # no rewrite, no scan: catalog-only
    (note,) = lock_notes(report | {"rewrites_table": True})
    assert "statement 1 (line 3) rewrites the large table public.posts" in note
    assert lock_notes(report | {"scans_table": True, "blocks_reads": False, "blocks_writes": False}) == []
    small = report | {"rewrites_table": True, "size": {"table": "t", "rows": 10, "bytes": 8192}}
    assert lock_notes(small) == []
