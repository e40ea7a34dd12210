"""``zdt demo`` end to end in a subprocess with no API key: the seed's migration, then a rename through
the deploy gate, done in about a minute."""

from __future__ import annotations

import time
from pathlib import Path

from tests.graph.cli_support import zdt
from zdt.cli.demo import SEED_USER_BADGES_SQL

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_runs_a_full_session_without_an_api_key(tmp_path: Path) -> None:
    started = time.monotonic()
    demo = zdt("demo", "--out", "pads", cwd=tmp_path)

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert time.monotonic() - started < 120  # two sessions, each rehearsed on its own embedded copy
    out = demo.stdout
    assert "approve its own plan" in out, "without a terminal the demo says it approves by itself"
    assert "brain: offline" in out
    assert "session summary" in out and "done" in out and "3 of 3 applied" in out
    assert "monitor verdict" in out and "rehearsal load" in out
    flat = " ".join(out.replace("│", " ").split())
    assert "ShareRowExclusiveLock on public.user_badges, public.users" in flat, "the FK's lock on users"
    assert "act 2" in out and "demo: approving the contract" in out, "the deploy gate, approved visibly"
    assert "the old release is gone: no statement using column public.users.bio ran" in flat
    assert "5 of 5 applied" in out, "the rename's summary counts expand, migrate and contract"
    folders = sorted(p for p in (tmp_path / "pads").iterdir() if p.name.startswith("s-"))
    assert len(folders) == 2
    folder = folders[0]
    assert "## Rollout" in (folders[1] / "MIGRATION-PLAN.md").read_text()
    for name in ("MIGRATION-PLAN.md", "MIGRATION-LOG.md", "APP-COMPATIBILITY.md", "MIGRATION-MONITORING.md"):
        assert (folder / name).is_file(), name
    assert "compatible" in (folder / "APP-COMPATIBILITY.md").read_text()


def test_the_embedded_seed_migration_is_the_examples_file() -> None:
    seed_file = REPO / "examples" / "migrations" / "seed_user_badges.sql"
    assert seed_file.read_text() == SEED_USER_BADGES_SQL
