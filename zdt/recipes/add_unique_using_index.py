"""ADD CONSTRAINT UNIQUE / PRIMARY KEY on a live table -> build the index CONCURRENTLY, then attach it.

The plain statement builds the unique index while holding AccessExclusiveLock (a primary key also scans
its columns for NULLs under it): nothing reads or writes the table for the whole build.

expand:   CREATE UNIQUE INDEX CONCURRENTLY <name> ON t (cols) — ShareUpdateExclusiveLock, outside a
          transaction. verify: the index is valid. on failure: drop the INVALID leftover. rollback: drop it.
migrate:  PRIMARY KEY only: each nullable key column is made NOT NULL by the shared not-null route
          (``_not_null_route``), because ADD PRIMARY KEY would otherwise do it with a scan under its lock.
expand (UNIQUE) / migrate (PRIMARY KEY, after the route):
          ADD CONSTRAINT <name> UNIQUE|PRIMARY KEY USING INDEX <name> — a catalog change, brief lock.
          verify: the constraint exists. rollback: DROP CONSTRAINT (which drops its index too).

The index takes the constraint's name, so that the constraint ends exactly as the plain statement would
have made it. Unnamed constraints get PostgreSQL's own default name (<table>_pkey, <table>_<cols>_key)
when it fits in 63 bytes.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, SortByDir, SortByNulls

from zdt.analysis import names
from zdt.analysis.fields import required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes._index_build import concurrent_index_step
from zdt.recipes._not_null_route import not_null_steps
from zdt.recipes._reprint import faithful_sql, required_sql
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    ident,
    literal,
    relation_name,
    render,
    single_alter_command,
    split_name,
    with_changes,
)
from zdt.recipes.errors import PlanningError

_KINDS = {ConstrType.CONSTR_UNIQUE: "UNIQUE", ConstrType.CONSTR_PRIMARY: "PRIMARY KEY"}


class AddUniqueUsingIndex(Recipe):
    id = "add-unique-using-index"
    summary = "Build a UNIQUE / PRIMARY KEY index CONCURRENTLY, then attach it as the constraint."
    examples = (
        RecipeExample(
            title="a UNIQUE constraint on a live table",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE (title);",
            plan="""
                expand   s01-build-unique-index
                    CREATE UNIQUE INDEX CONCURRENTLY posts_title_key ON posts (title)
                expand   s01-attach-constraint
                    ALTER TABLE posts ADD CONSTRAINT posts_title_key UNIQUE USING INDEX posts_title_key
            """,
            old_queries=(
                "SELECT id FROM posts WHERE title = 'post 1'",
                "INSERT INTO posts (id, title) VALUES (12001, 'post 12001')",
            ),
            new_queries=(
                "INSERT INTO posts (id, title) VALUES (12001, 'post 1') ON CONFLICT (title) DO NOTHING",
                "SELECT id FROM posts WHERE title = 'post 1'",
            ),
        ),
        RecipeExample(
            title="a PRIMARY KEY on a nullable column",
            schema="""
                CREATE TABLE events (id bigint, name text NOT NULL);
                INSERT INTO events SELECT g, 'event ' || g FROM generate_series(1, 12000) g;
                ANALYZE events;
            """,
            sql="ALTER TABLE events ADD PRIMARY KEY (id);",
            plan="""
                expand   s01-build-unique-index
                    CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id)
                migrate  s01-id-not-null-not-valid
                    ALTER TABLE "public"."events" ADD CONSTRAINT "events_id_not_null" NOT NULL "id" NOT
                        VALID
                migrate  s01-id-validate-not-null
                    ALTER TABLE "public"."events" VALIDATE CONSTRAINT "events_id_not_null"
                migrate  s01-attach-constraint
                    ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey
            """,
            plan_before_pg18="""
                expand   s01-build-unique-index
                    CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id)
                migrate  s01-id-check-not-valid
                    ALTER TABLE "public"."events" ADD CONSTRAINT "events_id_not_null" CHECK ("id" IS NOT
                        NULL) NOT VALID
                migrate  s01-id-validate-check
                    ALTER TABLE "public"."events" VALIDATE CONSTRAINT "events_id_not_null"
                migrate  s01-id-set-not-null
                    -- zdt-ignore: setting-not-null -- the CHECK validated by the previous step proves
                        it: no scan
                    ALTER TABLE "public"."events" ALTER COLUMN "id" SET NOT NULL
                migrate  s01-id-drop-check
                    ALTER TABLE "public"."events" DROP CONSTRAINT IF EXISTS "events_id_not_null"
                migrate  s01-attach-constraint
                    ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey
            """,
            old_queries=(
                "SELECT id, name FROM events WHERE id = 1",
                "INSERT INTO events (id, name) VALUES (12001, 'written by the old release')",
            ),
            new_queries=(
                "INSERT INTO events (id, name) VALUES (1, 'again') ON CONFLICT (id) DO NOTHING",
                "SELECT id, name FROM events WHERE id = 1",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        constraint = _index_building_constraint(context.node)
        return constraint is not None and context.is_existing(
            relation_name(context.node_as(ast.AlterTableStmt))
        )

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.AlterTableStmt)
        constraint = _index_building_constraint(node)
        assert constraint is not None
        table = relation_name(node)
        contype = required(constraint.contype, "Constraint.contype")
        kind = _KINDS[contype]
        keys = [key.sval for key in constraint.keys or ()]
        name = constraint.conname or _default_name(context, table, contype, keys)
        index = names.qualified(required(node.relation, "AlterTableStmt.relation").schemaname, name)
        if _index_exists(context, table, index):
            raise PlanningError(
                f"line {context.statement.line}: an index named {index} already exists on {table}: name the "
                f"{kind} constraint (ADD CONSTRAINT <name> {kind} ...) so that its index gets a free name"
            )
        steps = [self._build_index(context, node, constraint, table, name, index, keys)]
        attach_phase = Phase.EXPAND
        if constraint.contype == ConstrType.CONSTR_PRIMARY:
            for key in _nullable(context, table, keys):
                steps += not_null_steps(context, table, key, phase=Phase.MIGRATE, recipe=self.id)
                attach_phase = Phase.MIGRATE
        steps.append(self._attach(context, node, constraint, table, name, kind, attach_phase))
        return steps

    def _build_index(
        self,
        context: PlanningContext,
        node: ast.AlterTableStmt,
        constraint: ast.Constraint,
        table: str,
        name: str,
        index: str,
        keys: list[str],
    ) -> Step:
        build = ast.IndexStmt(
            idxname=name,
            relation=node.relation,
            accessMethod="btree",
            tableSpace=constraint.indexspace,
            indexParams=tuple(
                ast.IndexElem(
                    name=key,
                    ordering=SortByDir.SORTBY_DEFAULT,
                    nulls_ordering=SortByNulls.SORTBY_NULLS_DEFAULT,
                )
                for key in keys
            ),
            indexIncludingParams=tuple(
                ast.IndexElem(
                    name=key.sval,
                    ordering=SortByDir.SORTBY_DEFAULT,
                    nulls_ordering=SortByNulls.SORTBY_NULLS_DEFAULT,
                )
                for key in constraint.including or ()
            )
            or None,
            options=constraint.options,
            unique=True,
            nulls_not_distinct=bool(constraint.nulls_not_distinct),
            concurrent=True,
        )
        text = faithful_sql(build)
        if text is None:
            raise PlanningError(
                f"line {context.statement.line}: zdt cannot print CREATE UNIQUE INDEX CONCURRENTLY for "
                f"{name} on {table} faithfully (NULLS NOT DISTINCT together with WITH or USING INDEX "
                "TABLESPACE); build the index by hand and add the constraint USING INDEX"
            )
        return concurrent_index_step(
            context,
            suffix="build-unique-index",
            phase=Phase.EXPAND,
            index=index,
            table=table,
            create_sql=text,
            description=(
                f"build unique index {index} on {table} ({', '.join(keys)}) concurrently: "
                "ShareUpdateExclusiveLock, reads and writes go on"
            ),
            recipe=self.id,
        )

    def _attach(
        self,
        context: PlanningContext,
        node: ast.AlterTableStmt,
        constraint: ast.Constraint,
        table: str,
        name: str,
        kind: str,
        phase: Phase,
    ) -> Step:
        using = with_changes(
            constraint,
            conname=name,
            indexname=name,
            keys=None,
            including=None,
            options=None,
            indexspace=None,
            nulls_not_distinct=False,
        )
        attach = with_changes(
            node, cmds=(with_changes(required(node.cmds, "AlterTableStmt.cmds")[0], def_=using),)
        )
        return context.step(
            "attach-constraint",
            phase=phase,
            description=(
                f"make {name} the {kind} constraint of {table} USING INDEX {name}: a catalog change, the "
                "index is already built and its columns proven"
            ),
            sql=[required_sql(attach, context.statement.line, f"ADD CONSTRAINT {name} USING INDEX")],
            verify=Verification(
                sql=constraint_of_kind(table, name, "p" if kind == "PRIMARY KEY" else "u"),
                description=f"{name} is the {kind} constraint of {table}",
            ),
            rollback=Rollback(
                sql=[render("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}", t=ident(table), n=column(name))]
            ),
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )


def _index_building_constraint(node: ast.Node) -> ast.Constraint | None:
    """UNIQUE / PRIMARY KEY of a single-command ADD CONSTRAINT that builds its own index, else None."""
    command = single_alter_command(node, AT.AT_AddConstraint)
    constraint = command.def_ if command is not None else None
    if not isinstance(constraint, ast.Constraint) or constraint.contype not in _KINDS:
        return None
    return None if constraint.indexname else constraint


def _default_name(context: PlanningContext, table: str, kind: ConstrType, keys: list[str]) -> str:
    """PostgreSQL's own name for an unnamed constraint, when it needs no truncation."""
    _, relname = split_name(table)
    name = f"{relname}_pkey" if kind == ConstrType.CONSTR_PRIMARY else f"{relname}_{'_'.join(keys)}_key"
    if len(name.encode()) > names.NAME_MAX_BYTES:
        raise PlanningError(
            f"line {context.statement.line}: name the {_KINDS[kind]} constraint on {table}: PostgreSQL would "
            "shorten its default name, and zdt verifies the index and constraint by name"
        )
    return name


def _index_exists(context: PlanningContext, table: str, index: str) -> bool:
    """An index of that name in the snapshot that no earlier statement of the file removed: a DROP INDEX,
    or a DROP CONSTRAINT of the key it backs (Prisma drops and re-adds a key under the same name)."""
    info = context.snapshot.table(table) if context.snapshot else None
    if info is None or not any(known.name == index for known in info.indexes):
        return False
    return (
        index not in context.state.dropped
        and context.constraint_change(table, split_name(index)[1]) is not False
    )


def _nullable(context: PlanningContext, table: str, keys: list[str]) -> list[str]:
    """Key columns not known to be NOT NULL (columns the snapshot does not know are assumed nullable)."""
    info = context.snapshot.table(table) if context.snapshot else None
    known = info.columns if info else {}
    return [key for key in keys if key not in known or not known[key].not_null]


def constraint_of_kind(table: str, name: str, contype: str) -> str:
    """True when ``name`` is a constraint of ``table`` of pg_constraint.contype ``contype`` (p, u)."""
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({t}) AND conname = {n} "
        "AND contype = {k})",
        t=literal(table),
        n=literal(name),
        k=literal(contype),
    )
