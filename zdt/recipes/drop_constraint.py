"""ALTER TABLE ... DROP CONSTRAINT -> run as written, phased by what the constraint does for the running
release, with a rollback rebuilt from the definition PostgreSQL printed before the drop.

Dropping a constraint is a catalog change under a brief AccessExclusiveLock (a foreign key's triggers go
from the referenced table too, so that table is locked as well). Which phase depends on who needs it:

* CHECK, FOREIGN KEY, NOT NULL (PostgreSQL 18 names it ``<t>_<c>_not_null``): dropping only loosens.
  Whatever the running release writes still passes, while the next release may write what the
  constraint forbids from its first request -> **expand**, before it deploys.
* UNIQUE, PRIMARY KEY: the running release may rely on the unique index (``ON CONFLICT`` needs it, and
  duplicates become possible the moment it is gone) -> **contract**, once no release needs it.

start:    DROP CONSTRAINT, as written
verify:   no constraint of that name is left on the table (NOT NULL: the column is nullable)
rollback: outside a transaction, each statement committing on its own, starting by clearing a leftover
          of an earlier attempt:
          CHECK / FOREIGN KEY: ADD CONSTRAINT from the snapshot's pg_get_constraintdef, NOT VALID (brief
          lock), then VALIDATE (ShareUpdateExclusiveLock: reads and writes go on; a constraint that was
          NOT VALID stays so). The validation fails if violating rows arrived meanwhile.
          UNIQUE / PRIMARY KEY: CREATE UNIQUE INDEX CONCURRENTLY from the snapshot's pg_get_indexdef,
          then ADD CONSTRAINT ... USING INDEX (the key columns are still NOT NULL: dropping a primary key
          keeps them so). The build fails if duplicates arrived meanwhile.
          NOT NULL: the not-null route (``_not_null_route``), scan-free.

Without a snapshot the definition is unknown: a key (named ``*_pkey`` / ``*_key``) is dropped in contract
with an irreversible rollback saying why; anything else would be an irreversible expand step and is
refused, asking for --database-url. ``DROP CONSTRAINT IF EXISTS`` of a constraint the snapshot does not
have is a no-op: no step, a note in the plan. CASCADE is refused (it drops other tables' foreign keys
unseen), and so is a key other tables' foreign keys reference. A constraint added earlier in the same
file is refused too (its definition is the file's, not the snapshot's); one dropped earlier in the file
is known to be gone. Deferrable keys come back not deferrable (the snapshot does not record it).
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast, parser
from pglast.enums import AlterTableType as AT
from pglast.enums import DropBehavior

from zdt.analysis import names
from zdt.analysis.fields import node_of, required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes._constraint_rebuild import (
    foreign_keys_to,
    re_add_constraint,
    re_add_note,
    referenced_columns,
)
from zdt.recipes._not_null_route import drop_not_null_step
from zdt.recipes._reprint import faithful_sql
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    ident,
    relation_name,
    render,
    single_alter_command,
    split_name,
    with_changes,
)
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import CheckInfo, ForeignKeyInfo, IndexInfo, TableInfo

CHECK, FOREIGN_KEY, NOT_NULL, UNIQUE, PRIMARY_KEY = (
    "CHECK",
    "FOREIGN KEY",
    "NOT NULL",
    "UNIQUE",
    "PRIMARY KEY",
)
_LOOSENING = (CHECK, FOREIGN_KEY, NOT_NULL)
# PostgreSQL's default names, by kind: all zdt can go by without a snapshot.
_SUFFIXES = (("_pkey", PRIMARY_KEY), ("_fkey", FOREIGN_KEY), ("_key", UNIQUE), ("_check", CHECK))


@dataclass(frozen=True)
class _Constraint:
    """What the snapshot says about the constraint being dropped."""

    kind: str
    known: CheckInfo | ForeignKeyInfo | IndexInfo | None = None
    column: str | None = None  # NOT NULL: its column


class DropConstraint(Recipe):
    id = "drop-constraint"
    summary = (
        "Drop CHECK / FOREIGN KEY / NOT NULL constraints in expand and keys in contract; rebuild on rollback."
    )
    examples = (
        RecipeExample(
            title="a CHECK the new release must be free of",
            schema="""
                CREATE TABLE posts (
                    id bigint PRIMARY KEY,
                    title text NOT NULL CONSTRAINT posts_title_not_blank CHECK (title <> '')
                );
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts DROP CONSTRAINT posts_title_not_blank;",
            plan="""
                expand   s01-drop-constraint
                    ALTER TABLE posts DROP CONSTRAINT posts_title_not_blank
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
            ),
            new_queries=(
                "INSERT INTO posts (id, title) VALUES (12001, '')",
                "SELECT count(*) FROM posts WHERE title = ''",
            ),
        ),
        RecipeExample(
            title="a foreign key the new release no longer keeps",
            schema="""
                CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL);
                INSERT INTO authors SELECT g, 'author ' || g FROM generate_series(1, 100) g;
                CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint REFERENCES authors (id));
                INSERT INTO posts SELECT g, 1 + g % 100 FROM generate_series(1, 12000) g;
                ANALYZE authors, posts;
            """,
            sql="ALTER TABLE posts DROP CONSTRAINT posts_author_id_fkey;",
            plan="""
                expand   s01-drop-constraint
                    ALTER TABLE posts DROP CONSTRAINT posts_author_id_fkey
            """,
            old_queries=(
                "SELECT p.id, a.name FROM posts p JOIN authors a ON a.id = p.author_id WHERE p.id = 1",
                "INSERT INTO posts (id, author_id) VALUES (12001, 1)",
            ),
            new_queries=(
                "INSERT INTO posts (id, author_id) VALUES (12001, 1000)",
                "DELETE FROM authors WHERE id = 1",
            ),
        ),
        RecipeExample(
            title="a UNIQUE constraint the old release's ON CONFLICT still needs",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, slug text NOT NULL);
                ALTER TABLE posts ADD CONSTRAINT posts_slug_key UNIQUE (slug);
                INSERT INTO posts SELECT g, 'post-' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="ALTER TABLE posts DROP CONSTRAINT posts_slug_key;",
            plan="""
                contract s01-drop-constraint
                    ALTER TABLE posts DROP CONSTRAINT posts_slug_key
            """,
            old_queries=(
                "INSERT INTO posts (id, slug) VALUES (12001, 'post-1') ON CONFLICT (slug) DO NOTHING",
                "SELECT id FROM posts WHERE slug = 'post-1'",
            ),
            new_queries=(
                "INSERT INTO posts (id, slug) VALUES (12001, 'post-12001')",
                "SELECT id FROM posts WHERE slug = 'post-1'",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return single_alter_command(context.node, AT.AT_DropConstraint) is not None

    def steps(self, context: PlanningContext) -> list[Step]:
        command = single_alter_command(context.node, AT.AT_DropConstraint)
        assert command is not None
        table = relation_name(context.node_as(ast.AlterTableStmt))
        name = required(command.name, "DROP CONSTRAINT's AlterTableCmd.name")
        line = context.statement.line
        if command.behavior == DropBehavior.DROP_CASCADE:
            raise PlanningError(
                f"line {line}: DROP CONSTRAINT {name} ... CASCADE also drops, unseen, the foreign keys of "
                "other tables that reference it: drop each of those in its own statement first, then this "
                "constraint without CASCADE"
            )
        if not context.is_existing(table):
            return [self._on_new_table(context, table, name)]
        change = context.constraint_change(table, name)
        if change is True:
            raise PlanningError(
                f"line {line}: {name} is added to {table} earlier in this file and dropped here: zdt rolls a "
                "dropped constraint back from the schema snapshot, which does not have it; leave out both"
            )
        info = context.table(table)
        if change is False or (context.snapshot is not None and info is not None):
            found = None if change is False else _find(context, info, name)
            if found is None:
                return self._missing(context, table, name, bool(command.missing_ok), change is False)
            return [self._step(context, table, name, found)]
        return [self._offline(context, table, name)]

    def _step(self, context: PlanningContext, table: str, name: str, found: _Constraint) -> Step:
        if found.kind == NOT_NULL:
            assert found.column is not None
            return drop_not_null_step(
                context,
                table,
                found.column,
                sql=context.statement.sql,
                recipe=self.id,
                suffix="drop-constraint",
                constraint=name,
            )
        tables = [table]
        if isinstance(found.known, ForeignKeyInfo) and found.known.referenced_table != table:
            tables.append(found.known.referenced_table)
        if found.kind in _LOOSENING:
            phase = Phase.EXPAND
            why = "only a loosening: whatever the running release writes still passes"
            assert isinstance(found.known, CheckInfo | ForeignKeyInfo)
            rollback = re_add_constraint(context.statement.line, table, name, found.known)
        else:
            phase = Phase.CONTRACT
            why = (
                "contract: the running release may need its unique index (ON CONFLICT, and no duplicates) "
                "until it is gone"
            )
            _refuse_referenced_key(context, table, name, found)
            rollback = _rebuild_key(table, name, found)
        return context.step(
            "drop-constraint",
            phase=phase,
            description=(
                f"drop {found.kind} constraint {name} of {table}: a catalog change under a brief "
                f"AccessExclusiveLock on {' and '.join(tables)}; {why}; {_rollback_note(found)}"
            ),
            sql=[context.statement.sql],
            verify=Verification(
                sql=checks.constraint_absent(table, name), description=f"{name} is gone from {table}"
            ),
            rollback=rollback,
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=tables,
            recipe=self.id,
        )

    def _offline(self, context: PlanningContext, table: str, name: str) -> Step:
        """No snapshot: the kind is a guess from PostgreSQL's default names, the definition unknown."""
        kind = next((kind for suffix, kind in _SUFFIXES if name.endswith(suffix)), None)
        line = context.statement.line
        if kind not in (UNIQUE, PRIMARY_KEY):
            what = f"a {kind} constraint" if kind else "a constraint of unknown kind"
            raise PlanningError(
                f"line {line}: dropping {name} from {table} ({what}, by its name) belongs to the expand "
                "phase, whose every step must be reversible, and without a schema snapshot its definition "
                "is unknown, so the drop could not be undone: plan with --database-url"
            )
        return context.step(
            "drop-constraint",
            phase=Phase.CONTRACT,
            description=(
                f"drop {kind} constraint {name} of {table} (its kind judged by its name): a catalog change "
                "under a brief AccessExclusiveLock; contract: the running release may need its unique index"
            ),
            sql=[context.statement.sql],
            verify=Verification(
                sql=checks.constraint_absent(table, name), description=f"{name} is gone from {table}"
            ),
            rollback=Rollback(
                irreversible=(
                    f"the definition of {name} is unknown without a schema snapshot: plan with "
                    "--database-url to get a rebuild as rollback"
                )
            ),
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )

    def _on_new_table(self, context: PlanningContext, table: str, name: str) -> Step:
        return context.step(
            "drop-constraint",
            phase=Phase.EXPAND,
            description=f"drop constraint {name} of {table}, a table this plan creates: no traffic waits",
            sql=[context.statement.sql],
            verify=Verification(
                sql=checks.constraint_absent(table, name), description=f"{name} is gone from {table}"
            ),
            rollback=Rollback(not_needed=f"{table} is new: undoing the plan drops it"),
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )

    def _missing(
        self, context: PlanningContext, table: str, name: str, if_exists: bool, dropped_earlier: bool
    ) -> list[Step]:
        """A constraint that is not there: IF EXISTS makes the statement a no-op, otherwise it fails."""
        line = context.statement.line
        where = "is dropped earlier in this file" if dropped_earlier else "is not in the schema snapshot"
        if if_exists:
            context.notes.append(
                f"line {line}: {context.statement.sql} skipped: constraint {name} of {table} {where}, so "
                "the statement would change nothing (and still wait for AccessExclusiveLock)"
            )
            return []
        hint = (
            ""
            if context.pg_version < 18
            else " (a NOT NULL? ALTER COLUMN ... DROP NOT NULL drops it by column)"
        )
        raise PlanningError(
            f"line {line}: constraint {name} of {table} {where}: the statement would fail{hint}"
        )


def _find(context: PlanningContext, info: TableInfo | None, name: str) -> _Constraint | None:
    """The constraint as the snapshot has it; None when the table has no constraint of that name."""
    if info is None:
        return None
    for check in info.checks:
        if check.name == name:
            return _Constraint(CHECK, check)
    for foreign_key in info.foreign_keys:
        if foreign_key.name == name:
            return _Constraint(FOREIGN_KEY, foreign_key)
    for index in info.indexes:
        if split_name(index.name)[1] == name:
            if not index.unique:
                raise PlanningError(
                    f"line {context.statement.line}: {name} on {info.name} is an index that backs no "
                    "UNIQUE or PRIMARY KEY constraint (an EXCLUDE constraint, or a plain index): zdt cannot "
                    "rebuild an EXCLUDE constraint on rollback; drop a plain index with DROP INDEX"
                )
            return _Constraint(PRIMARY_KEY if index.primary else UNIQUE, index)
    # PostgreSQL 18 records NOT NULL as a constraint too, which the snapshot does not list: known by the
    # name PostgreSQL gives it.
    if context.pg_version >= 18:
        _, relname = split_name(info.name)
        for column_info in info.columns.values():
            if column_info.not_null and names.stored_name(f"{relname}_{column_info.name}_not_null") == name:
                return _Constraint(NOT_NULL, column=column_info.name)
    return None


def _rebuild_key(table: str, name: str, found: _Constraint) -> Rollback:
    """UNIQUE / PRIMARY KEY back: its index rebuilt CONCURRENTLY from pg_get_indexdef, then attached."""
    known = found.known
    assert isinstance(known, IndexInfo)
    definition = node_of(parser.parse_sql(known.definition)[0].stmt, ast.IndexStmt, "pg_get_indexdef()")
    build = faithful_sql(with_changes(definition, concurrent=True))
    if build is None:
        return Rollback(
            irreversible=(
                f"zdt cannot print a faithful CREATE UNIQUE INDEX CONCURRENTLY for {name} "
                f"({known.definition}); rebuild it by hand from that definition and ADD CONSTRAINT {name} "
                f"{found.kind} USING INDEX"
            )
        )
    t, n = ident(table), column(name)
    return Rollback(
        sql=[
            render("DROP INDEX CONCURRENTLY IF EXISTS {i}", i=ident(known.name)),
            build,
            render("ALTER TABLE {t} ADD CONSTRAINT {n} " + found.kind + " USING INDEX {n}", t=t, n=n),
        ],
        transactional=False,
    )


def _rollback_note(found: _Constraint) -> str:
    if found.kind in (UNIQUE, PRIMARY_KEY):
        return (
            "rollback: the unique index rebuilt CONCURRENTLY from its definition, then attached USING INDEX "
            "(the build fails if duplicates arrived meanwhile)"
        )
    assert isinstance(found.known, CheckInfo | ForeignKeyInfo)
    return re_add_note(found.known)


def _refuse_referenced_key(context: PlanningContext, table: str, name: str, found: _Constraint) -> None:
    """PostgreSQL refuses to drop a key a foreign key depends on (without CASCADE): say so now."""
    snapshot = context.snapshot
    known = found.known
    assert isinstance(known, IndexInfo) and snapshot is not None
    index = node_of(parser.parse_sql(known.definition)[0].stmt, ast.IndexStmt, "pg_get_indexdef()")
    key = [param.name for param in index.indexParams or ()]
    for referencing, foreign_key in foreign_keys_to(snapshot, table):
        if referenced_columns(snapshot, table, foreign_key) == key:
            raise PlanningError(
                f"line {context.statement.line}: {name} is the key foreign key {foreign_key.name} of "
                f"{referencing} references: drop that foreign key first, in its own statement"
            )
