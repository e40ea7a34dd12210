"""Sub-commands that are imported only when they run.

Every ``zdt`` command used to pay, before doing anything, for importing every other command and what
they use: anthropic, langgraph, psycopg, the monitor (3 to 5 s on the development machine). ``zdt lint``
in a pre-commit hook, or over a folder one file at a time, spent most of its time there. So the root
group knows each sub-command only by name, the module and attribute that define it, and the one line
``zdt --help`` shows; the module is imported when click asks for the command (it is about to run it,
or show its own ``--help``).

``zdt --help`` lists the commands from those lines and imports nothing: a group's help is the only
place that asks for every command at once, and it needs only their names and summaries. The summaries
repeat the first paragraph of each command's docstring (``tests/cli/test_startup_imports.py`` checks
that they still agree).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter  # typer vendors click there (0.29)


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command by reference: ``target`` is ``"module:attribute"``, a command function or a Typer."""

    name: str
    target: str
    summary: str  # the line `zdt --help` shows, the first paragraph of the command's own help

    def load(self) -> Command:
        module_name, _, attribute = self.target.partition(":")
        defined = getattr(importlib.import_module(module_name), attribute)
        if isinstance(defined, typer.Typer):  # a group of its own (zdt queries ...), even of one command
            command: Command = typer.main.get_group(defined)
        else:  # a function, declared the way app.command() takes it
            single = typer.Typer(add_completion=False)
            single.command(self.name)(defined)
            command = typer.main.get_command(single)
        command.name = self.name
        return command

    def placeholder(self) -> Command:
        """What the group's help lists: the name and summary only, never run."""
        return TyperCommand(self.name, short_help=self.summary, help=self.summary)


class LazyCommands(MutableMapping[str, "Command"]):
    """A group's ``commands``: every name is known up front, a command is built on first access.

    Keeping the names here (rather than only in ``list_commands``) keeps what typer and click do with
    ``commands`` working: the "Did you mean 'lint'?" of a mistyped command, ``add_command``.
    """

    def __init__(self, lazy: tuple[LazyCommand, ...], loaded: MutableMapping[str, Command]) -> None:
        self.lazy = {entry.name: entry for entry in lazy}
        self.loaded = dict(loaded)

    def __getitem__(self, name: str) -> Command:
        if name not in self.loaded:
            self.loaded[name] = self.lazy[name].load()  # KeyError for an unknown name, as a dict would
        return self.loaded[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self.lazy.pop(name, None)
        self.loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self.lazy
        yield from (name for name in self.loaded if name not in self.lazy)

    def __len__(self) -> int:
        return len(self.lazy.keys() | self.loaded.keys())

    def __contains__(self, name: object) -> bool:
        return name in self.lazy or name in self.loaded


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands are the class's ``lazy`` entries, imported when they run.

    Use a subclass naming them, as ``typer.Typer(cls=...)`` takes a class::

        class Commands(LazyGroup):
            lazy = (LazyCommand("lint", "zdt.cli.lint:lint_command", "Analyse migration SQL..."),)
    """

    lazy: ClassVar[tuple[LazyCommand, ...]] = ()

    def __init__(self, *, commands: MutableMapping[str, Command] | None = None, **attrs: Any) -> None:
        super().__init__(**attrs)  # typer's own keywords (name, callback, params, help, ...)
        self.commands = LazyCommands(self.lazy, commands or {})
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)  # names only: iterating items() would import every command

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        commands = self.commands
        if not isinstance(commands, LazyCommands) or cmd_name not in commands:
            return super().get_command(ctx, cmd_name)
        if self._listing and cmd_name not in commands.loaded:
            return commands.lazy[cmd_name].placeholder()
        return commands[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True  # the commands' list needs their summaries, not the commands
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
