"""``zdt demo``: the whole team on the seed's own example, with nothing to set up and no API key.

Why: the seed workflow was four terminals and a hope; the demo is the same migration (the seed's
``user_badges`` table and its indexes) run as one session on a real PostgreSQL holding the civic/social
example with data — planned, gated, rehearsed, checked, approved, executed with the monitor watching,
verified — then a second, shorter act: a column rename, whose contract (dropping the old column the
running release reads) stops at the deploy gate and is approved there by the demo itself, visibly —
in about a minute, so anyone can see what a session does before pointing it at theirs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import psycopg
import typer
from rich.console import Console

from zdt.agents.brains import OfflineBrain
from zdt.agents.brains.mode import BrainMode
from zdt.cli.session_flow import ResumeHint, finish, follow, session_graph, session_recorder
from zdt.cli.session_render import SessionRenderer, render_summary
from zdt.db.embedded import EmbeddedPostgres
from zdt.db.scratch import scratch_database
from zdt.db.urls import redact
from zdt.examples import load_example
from zdt.graph.checkpoint import record_dir
from zdt.graph.context import DEFAULT_OUT, RolloutSettings, SessionContext, SessionSettings
from zdt.graph.runner import Outcome, initial_state, new_session_id
from zdt.graph.state import SessionRequest
from zdt.sessions.scratchpads import point_latest

#: examples/migrations/seed_user_badges.sql, embedded so that the demo works from an installed wheel
#: (a test keeps the two identical).
SEED_USER_BADGES_SQL = """\
-- The seed's reputation-system migration: a new user_badges table and its indexes.
SET lock_timeout = '500ms';

CREATE TABLE user_badges (
  id SERIAL PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  badge_type VARCHAR(50) NOT NULL,
  awarded_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  awarded_by INTEGER REFERENCES users(id),
  metadata JSONB DEFAULT '{}'
);

CREATE INDEX CONCURRENTLY idx_user_badges_user_id ON user_badges(user_id);
CREATE INDEX CONCURRENTLY idx_user_badges_type ON user_badges(badge_type);
"""

DEMO_QUERIES = """\
SELECT id, username, reputation FROM users WHERE id = 1;
SELECT id, body FROM posts WHERE author_id = 1 ORDER BY created_at DESC LIMIT 20;
"""

DEMO_PROMPT = "Add a user_badges table for the reputation system (the seed's example migration)."

#: The second act: a rename keeps both releases working until the deploy gate, then contracts.
RENAME_SQL = "ALTER TABLE users RENAME COLUMN bio TO about;\n"
RENAME_PROMPT = "Rename users.bio to about (the new release reads `about`)."


def demo_command(
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve without asking."),
    out: Path = typer.Option(
        DEFAULT_OUT, "--out", help="Scratchpads root; the session writes into OUT/<id>/."
    ),
    scale: float = typer.Option(
        0.02, "--scale", min=0.001, help="Example data size (1 = 20k users, 100k posts)."
    ),
) -> None:
    """Run the seed's user_badges migration as a full session on an embedded example database."""
    console = Console()
    renderer = SessionRenderer(console)
    if not yes and not sys.stdin.isatty():
        console.print(
            "[bold yellow]note: no terminal to ask at, so the demo will approve its own plan "
            "(as with --yes); a real `zdt run` would stop and wait (exit 3)[/]",
            highlight=False,
        )
        yes = True
    console.print(
        "starting an embedded PostgreSQL and loading the United We Rise example...", highlight=False
    )
    with (
        EmbeddedPostgres(preload=["pg_stat_statements"]) as server,
        scratch_database(server.url, prefix="zdt_demo") as url,
        tempfile.TemporaryDirectory(prefix="zdt-demo-state-") as state_dir,
    ):
        with psycopg.connect(url, autocommit=True) as conn:  # the deploy gate reads it for the old release
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        counts = load_example(url, scale=scale)
        console.print(
            "loaded " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()), highlight=False
        )
        state_url = f"sqlite:///{Path(state_dir) / 'state.sqlite'}"
        acts = [
            (DEMO_PROMPT, SEED_USER_BADGES_SQL, "examples/migrations/seed_user_badges.sql"),
            (RENAME_PROMPT, RENAME_SQL, None),
        ]
        for number, (prompt, sql_text, source) in enumerate(acts, start=1):
            if number > 1:
                console.rule(f"act {number}: {prompt}")
            request = SessionRequest(
                prompt=prompt,
                sql=sql_text,
                sql_source=source,
                queries=DEMO_QUERIES,
                target=redact(url),
                staging="embedded",
            )
            result = _session(console, renderer, request, url, state_url, out, yes)
            if result.status != "done" or number == len(acts):
                break
            render_summary(console, result.values, out / result.session_id)
    finish(console, result, out, record_dir(state_url))


def _session(
    console: Console,
    renderer: SessionRenderer,
    request: SessionRequest,
    url: str,
    state_url: str,
    out: Path,
    yes: bool,
) -> Outcome:
    """One session of the demo, approved at each gate (its contract too: the demo has no old release)."""
    session_id = new_session_id()
    brain = OfflineBrain()
    # no old release runs in the demo: a short look at pg_stat_statements is enough to show the check
    settings = SessionSettings(rollout=RolloutSettings(observe_s=0.5))
    hint = ResumeHint(url, None, state_url, out)
    recorder = session_recorder(hint, session_id)
    context = SessionContext(target_url=url, brain=brain, out_dir=out, settings=settings, recorder=recorder)
    recorder.session("demo", brain=brain.name, request=request.model_dump(mode="json"))
    point_latest(out, session_id)
    console.print(
        f"session [bold]{session_id}[/] — brain: [bold]{brain.name}[/] — scratchpads {out / session_id} "
        "(follow them with `zdt watch` in another terminal)",
        highlight=False,
        soft_wrap=True,
    )
    with session_graph(state_url) as graph:
        state = initial_state(session_id, brain.name, BrainMode.OFFLINE, request)
        return follow(
            graph,
            state,
            session_id,
            context,
            console,
            yes=yes,
            hint=hint,
            renderer=renderer,
            approve_contract=True,
        )
