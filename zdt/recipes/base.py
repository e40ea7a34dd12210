"""The recipe interface: one risky statement in, safe phased steps out.

Like pgroll's operations, each recipe lives in its own module and knows three things about its change:
how to start it (expand / migrate steps), how to complete it (contract steps) and how to roll each step
back. Recipes never run SQL; they return plan steps that the gate checks and the executor runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from pglast import ast
from pglast.enums import AlterTableType, ObjectType
from pglast.stream import RawStream
from psycopg import sql

from zdt.analysis import names
from zdt.analysis.fields import node_of, required
from zdt.analysis.model import StatementReport
from zdt.analysis.source import ParsedStatement
from zdt.analysis.state import MigrationState
from zdt.plan.model import Step, Timeouts
from zdt.schema.snapshot import SchemaSnapshot, TableInfo

NodeT = TypeVar("NodeT", bound=ast.Node)


@dataclass(frozen=True)
class PlannerSettings:
    """Knobs a planner run shares with every recipe."""

    lock_timeout_ms: int = 200
    max_lock_retries: int = 10
    batch_size: int = 2_000
    batch_pause_ms: int = 5
    # Version schemas for the two releases (zdt/recipes/_versions.py): True, False, or None for the
    # default, on when the plan changes a column's type.
    versioned_schemas: bool | None = False
    version_name: str | None = None  # the version schemas' suffix; derived from the plan id by default

    def timeouts(self, statement_timeout_ms: int = 0) -> Timeouts:
        return Timeouts(
            lock_timeout_ms=self.lock_timeout_ms,
            statement_timeout_ms=statement_timeout_ms,
            max_lock_retries=self.max_lock_retries,
        )


@dataclass
class PlanningContext:
    """One statement as a recipe sees it: the parsed node, the analyser's report and the schema."""

    statement: ParsedStatement
    report: StatementReport
    state: MigrationState
    settings: PlannerSettings = field(default_factory=PlannerSettings)
    prefix: str = "s1"
    # How many constraint changes the script made before this statement (the state has moved past it).
    constraint_changes_before: int | None = None
    # The relations the script dropped before this statement (None: as the state has them now); a DROP
    # COLUMN drops the indexes on the column, so the state alone would count them as dropped earlier.
    dropped_before: frozenset[str] | None = None
    # What the planner should tell about this statement (a statement with nothing to do says why here).
    notes: list[str] = field(default_factory=list)

    @property
    def node(self) -> ast.Node:
        return self.statement.node

    def node_as(self, kind: type[NodeT]) -> NodeT:
        """The statement's node as the class the recipe's ``applies()`` accepted."""
        return node_of(self.node, kind, "the planned statement")

    @property
    def snapshot(self) -> SchemaSnapshot | None:
        return self.state.snapshot

    @property
    def pg_version(self) -> int:
        return self.state.pg_version

    def table(self, name: str) -> TableInfo | None:
        return self.state.table(name)

    def constraint_change(self, table: str, name: str) -> bool | None:
        """Whether the statements before this one left constraint ``name`` of ``table`` added (True) or
        dropped (False); None when none of them touched it, and the snapshot tells."""
        return self.state.constraint_change(table, name, within=self.constraint_changes_before)

    def dropped_earlier(self, relation: str) -> bool:
        """Whether a statement before this one dropped ``relation`` (a table, view or index)."""
        dropped = self.state.dropped if self.dropped_before is None else self.dropped_before
        return relation in dropped

    def is_existing(self, relation: str | None) -> bool:
        return relation is not None and not self.state.is_new(relation)

    def step_id(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    def step(self, suffix: str, *, recipe: str, **fields: Any) -> Step:
        """A step of this statement, stamped the same way by every recipe: its id from ``suffix``, the
        recipe and the statement it came from (the plan's provenance), the planner's timeouts unless the
        recipe gives its own."""
        fields.setdefault("timeouts", self.settings.timeouts())
        return Step(
            id=self.step_id(suffix),
            recipe=recipe,
            source_statement=self.statement.index,
            source_line=self.statement.line,
            **fields,
        )


class _HasRelation(Protocol):
    @property
    def relation(self) -> ast.RangeVar | None: ...


def relation_name(node: _HasRelation) -> str:
    """'public.posts' for a statement on a relation (ALTER TABLE, UPDATE, ...): the parser always sets it."""
    return names.of_range_var(required(node.relation, f"{type(node).__name__}.relation"))


def single_alter_command(node: ast.Node, *subtypes: AlterTableType) -> ast.AlterTableCmd | None:
    """The one command of ``ALTER TABLE t <command>`` when it is of one of ``subtypes`` (any, if none given).

    Recipes rewrite one change at a time: the planner splits a multi-command ALTER TABLE into
    single-command statements before any recipe sees it, so a recipe only needs to recognise its own.
    ALTER on other relation kinds (views, indexes, sequences) never matches.
    """
    if not isinstance(node, ast.AlterTableStmt) or node.objtype != ObjectType.OBJECT_TABLE:
        return None
    commands = node.cmds or ()
    if len(commands) != 1:
        return None
    command = commands[0]
    if not isinstance(command, ast.AlterTableCmd) or (subtypes and command.subtype not in subtypes):
        return None
    return command


def deparse(node: ast.Node) -> str:
    """SQL text of a pglast node: recipes rebuild statements from the parsed tree, never from strings."""
    return str(RawStream()(node))


def with_changes(node: NodeT, **changes: object) -> NodeT:
    """A copy of a parsed node with some fields replaced; the original stays as parsed."""
    clone = copy.deepcopy(node)
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


def render(template: str, **parts: sql.Composable | str) -> str:
    """Compose SQL whose identifiers and literals psycopg.sql quotes: render("DROP INDEX {i}", i=ident)."""
    values = {key: sql.SQL(value) if isinstance(value, str) else value for key, value in parts.items()}
    return sql.SQL(template).format(**values).as_string()


def ident(qualified_name: str) -> sql.Identifier:
    """'public.posts' -> "public"."posts" (the analyser's names are already format('%I.%I') spelled)."""
    schema, _, name = _split(qualified_name)
    return sql.Identifier(schema, name)


def column(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def literal(value: object) -> sql.Literal:
    return sql.Literal(value)


def _split(qualified_name: str) -> tuple[str, str, str]:
    """Split a format('%I.%I') name, honouring double quotes."""
    parts: list[str] = []
    current, quoted, index = "", False, 0
    while index < len(qualified_name):
        char = qualified_name[index]
        if char == '"':
            if quoted and index + 1 < len(qualified_name) and qualified_name[index + 1] == '"':
                current += '"'
                index += 1
            else:
                quoted = not quoted
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
        index += 1
    parts.append(current)
    if len(parts) == 1:
        return "public", ".", parts[0]
    return parts[-2], ".", parts[-1]


def split_name(qualified_name: str) -> tuple[str, str]:
    schema, _, name = _split(qualified_name)
    return schema, name


@dataclass(frozen=True)
class RecipeExample:
    """A recipe proving itself, as rules do with their bad/good examples: the test suite runs every
    example on a real server through the real executor (tests/recipes/test_recipe_examples.py), and
    docs/recipes.md shows them.

    ``schema`` creates the tables the example needs, above the analyser's small-table threshold (10,000
    rows) so that the recipe really has to apply; ``sql`` is the risky input; ``plan`` is the summary of
    the plan it yields (``zdt.recipes.catalogue.plan_summary``: one line per step), compared exactly.
    ``old_queries`` are what the release before the change runs: they must work before the plan, after
    expand, after migrate and after a rollback. ``new_queries`` are what the release after it runs: they
    must work after migrate and after contract. Each query set runs in one transaction that is rolled
    back, so the queries may write without changing what the next phase finds.

    After contract the schema must be the one the plain ``sql`` gives; where the recipe's end state
    legitimately differs, ``end_state_sql`` turns the plain statement's schema into the recipe's (run
    after it on a scratch database) and ``end_state_why`` says why.
    """

    title: str
    schema: str
    sql: str
    plan: str
    old_queries: tuple[str, ...]
    new_queries: tuple[str, ...]
    plan_before_pg18: str = ""  # the plan on PostgreSQL 12-17, when the route differs there
    end_state_sql: str = ""
    end_state_why: str = ""

    def __post_init__(self) -> None:
        if bool(self.end_state_sql) != bool(self.end_state_why):
            raise ValueError(f"{self.title}: end_state_sql and end_state_why go together")

    def plan_on(self, pg_version: int) -> str:
        """The plan summary expected on a server of this major version."""
        if pg_version < 18 and self.plan_before_pg18:
            return self.plan_before_pg18
        return self.plan


class Recipe:
    """Base class: subclasses set ``id``/``summary``/``examples`` and implement ``applies`` and ``steps``."""

    id: ClassVar[str]
    summary: ClassVar[str]
    examples: ClassVar[tuple[RecipeExample, ...]] = ()
    priority: ClassVar[int] = 100  # lower is tried first; the pass-through recipe uses 1000

    def applies(self, context: PlanningContext) -> bool:
        raise NotImplementedError

    def steps(self, context: PlanningContext) -> list[Step]:
        raise NotImplementedError


RecipeFactory = Callable[[], Recipe]
