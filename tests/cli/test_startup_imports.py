"""``zdt`` imports a command's module, and the heavy libraries behind it, only when that command runs.

Each probe is a fresh interpreter (this one has imported everything already), told to import or run
something and to print which of the heavy modules it then holds. A control probe shows the check can
see them: importing ``zdt.cli.run`` does bring in langgraph. No timing here: benchmarks/startup.py
measures the seconds.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from zdt.cli.app import Commands, app

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("anthropic", "langgraph", "psycopg")
COMMANDS = [
    "lint",
    "plan",
    "apply",
    "rollback",
    "status",
    "run",
    "resume",
    "sessions",
    "watch",
    "demo",
    "audit",
    "queries",
]
COMMAND_MODULES = tuple(entry.target.partition(":")[0] for entry in Commands.lazy)

PROBE = """
import json, sys
{code}
watched = {watched!r}
print("PROBE " + json.dumps(sorted(m for m in watched if m in sys.modules)))
"""


def _probe(code: str, cwd: Path, watched: tuple[str, ...] = HEAVY) -> tuple[list[str], str]:
    """Run ``code`` in a fresh interpreter; the watched modules it imported, and what it printed."""
    env = {k: v for k, v in os.environ.items() if k != "ZDT_DATABASE_URL"}  # offline: no live schema
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, watched=watched)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *output, last = done.stdout.rstrip("\n").split("\n")
    assert last.startswith("PROBE "), done.stdout
    return json.loads(last.removeprefix("PROBE ")), "\n".join(output)


RUN_CLI = """
from zdt.cli.app import app
try:
    app({argv!r}, prog_name="zdt")
except SystemExit as exit:
    print("EXIT", exit.code)
"""


def test_importing_the_app_imports_no_heavy_library_and_no_command(tmp_path: Path) -> None:
    imported, _ = _probe("import zdt.cli.app", tmp_path, HEAVY + COMMAND_MODULES)
    assert imported == []


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    imported, _ = _probe("import zdt.cli.run", tmp_path)
    assert "langgraph" in imported


def test_lint_of_one_file_offline_imports_no_heavy_library(tmp_path: Path) -> None:
    migration = tmp_path / "V1__add_bio.sql"
    migration.write_text("ALTER TABLE users ADD COLUMN bio text;\n", encoding="utf-8")
    imported, output = _probe(RUN_CLI.format(argv=["lint", str(migration)]), tmp_path)
    assert "ADD COLUMN bio" in output  # it did lint the file
    assert "EXIT 0" in output
    assert imported == []


def test_watch_follows_the_documents_without_the_session_machinery(tmp_path: Path) -> None:
    imported, _ = _probe("import zdt.cli.watch", tmp_path, (*HEAVY, "zdt.graph"))
    assert imported == []


SESSION_COMMANDS = "import zdt.cli.run, zdt.cli.resume, zdt.cli.sessions, zdt.cli.watch, zdt.cli.demo"


def test_a_session_with_the_offline_brain_never_imports_the_claude_sdk(tmp_path: Path) -> None:
    code = f"{SESSION_COMMANDS}\nfrom zdt.agents.brains import select_brain\nselect_brain('offline')"
    imported, _ = _probe(code, tmp_path)
    assert "langgraph" in imported  # sessions are LangGraph state machines: that one they need
    assert "anthropic" not in imported


def test_choosing_the_claude_brain_imports_the_sdk(tmp_path: Path) -> None:
    code = "from zdt.agents.brains import select_brain\n"
    code += "select_brain('claude', environ={'ANTHROPIC_API_KEY': 'k'})  # a key set: no network yet"
    imported, _ = _probe(code, tmp_path)
    assert "anthropic" in imported


def test_help_lists_every_command_and_imports_none(tmp_path: Path) -> None:
    imported, output = _probe(RUN_CLI.format(argv=["--help"]), tmp_path, HEAVY + COMMAND_MODULES)
    assert imported == []
    listed = [line.split()[1] for line in output.splitlines() if line.startswith("│ ") and line[2] != " "]
    listed = [name for name in listed if not name.startswith("--")]
    assert listed == COMMANDS


def test_the_command_table_names_every_command_with_its_own_summary() -> None:
    """The summaries ``zdt --help`` shows are the first paragraph of each command's own help."""
    assert [entry.name for entry in Commands.lazy] == COMMANDS
    for entry in Commands.lazy:
        command = entry.load()
        assert command.name == entry.name
        first_paragraph = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert " ".join(first_paragraph.split()) == entry.summary, entry.name


def _eager_app() -> typer.Typer:
    """The application as app.py wired it before: every command imported and registered up front."""
    eager = typer.Typer(name="zdt", no_args_is_help=True, add_completion=False)
    for entry in Commands.lazy:
        module, _, attribute = entry.target.partition(":")
        defined = getattr(importlib.import_module(module), attribute)
        if isinstance(defined, typer.Typer):
            eager.add_typer(defined, name=entry.name)
        else:
            eager.command(entry.name)(defined)
    return eager


@pytest.mark.parametrize("argv", [[name, "--help"] for name in COMMANDS] + [["queries", "collect", "--help"]])
def test_each_command_help_is_what_the_eager_wiring_gave(argv: list[str]) -> None:
    runner = CliRunner()
    lazy = runner.invoke(app, argv, prog_name="zdt")
    eager = runner.invoke(_eager_app(), argv, prog_name="zdt")
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output


def test_a_mistyped_command_is_still_suggested() -> None:
    result = CliRunner().invoke(app, ["lnt"], prog_name="zdt")
    assert result.exit_code == 2
    assert "Did you mean 'lint'?" in result.output
