"""CREATE EXTENSION [IF NOT EXISTS] of an allow-listed extension -> one expand step, run as written.

An extension runs its install script with the installing role's rights, and some add ways out of the
database: foreign-data wrappers and dblink reach other servers, file_fdw and adminpack read and write
the server's files, pageinspect and friends read raw pages. zdt installs only extensions that add types,
functions, operators and index support inside the database (``ALLOWED``), and refuses the others naming
why (``REFUSED``) or that they are not on the list.

start:    the statement itself, in the expand phase (nothing of the old release uses it yet).
verify:   the extension is in pg_extension.
rollback: ``DROP EXTENSION IF EXISTS`` (RESTRICT: it fails rather than drop what came to depend on the
          extension) after a plain CREATE EXTENSION, which fails when the extension is already there, so
          when it runs it is the one that installed it. After ``IF NOT EXISTS`` not needed: zdt's schema
          snapshot does not list installed extensions, so the plan cannot tell a fresh install from the
          no-op on an extension the database already had and uses — dropping it could break the old
          release; leaving an allow-listed extension changes nothing the old release runs.

Refused, with the statement's line: extensions off the allow-list, and CASCADE (it installs the
extensions this one requires as well, which neither the check nor the undo would know of: create each
with its own statement, dependencies first).
"""

from __future__ import annotations

from pglast import ast

from zdt.analysis.fields import nodes_of, required
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, column, literal, render
from zdt.recipes.errors import PlanningError

ALLOWED = frozenset(
    {
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "earthdistance",
        "fuzzystrmatch",
        "hstore",
        "intarray",
        "isn",
        "ltree",
        "pg_stat_statements",
        "pg_trgm",
        "pgcrypto",
        "seg",
        "tablefunc",
        "unaccent",
        "uuid-ossp",
    }
)
REFUSED = {
    "dblink": "it connects to other servers from inside the database",
    "postgres_fdw": "a foreign-data wrapper reaches other servers from inside the database",
    "file_fdw": "it reads the server's files",
    "adminpack": "it reads and writes the server's files",
    "lo": "it manages large objects, which live outside the tables a migration changes",
    "pageinspect": "it reads raw pages, bypassing row visibility and privileges",
    "pg_buffercache": "it exposes the server's shared buffers to SQL",
    "pg_surgery": "it rewrites tuples by hand, bypassing every check",
    "pg_visibility": "it reads the visibility map of any table",
    "pgrowlocks": "it reads the row locks of any table",
    "pgstattuple": "it reads every page of any table",
    "pg_walinspect": "it reads the server's write-ahead log",
    "plpython3u": "an untrusted language runs code as the server's operating-system user",
    "plperlu": "an untrusted language runs code as the server's operating-system user",
    "amcheck": "it is a maintenance tool, not schema",
    "pg_prewarm": "it is a maintenance tool, not schema",
    "xml2": "it is deprecated and reads files through XSLT",
}
NOT_NEEDED_IF_NOT_EXISTS = (
    "IF NOT EXISTS: zdt's schema snapshot does not list installed extensions, so the plan cannot tell a "
    "fresh install from one the database already had and may use; an allow-listed extension only adds "
    "types, functions and operators, which the old release does not run"
)


class Extensions(Recipe):
    id = "extensions"
    summary = "Install an allow-listed extension (types, functions, operators; no way out of the database)."
    examples = (
        RecipeExample(
            title="case-insensitive e-mail addresses",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
            """,
            sql="""
                CREATE EXTENSION citext;
                ALTER TABLE posts ADD COLUMN author_email citext;
            """,
            plan="""
                expand   s01-extensions
                    CREATE EXTENSION citext
                expand   s02-alter-table
                    ALTER TABLE posts ADD COLUMN author_email citext
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
            ),
            new_queries=("SELECT id FROM posts WHERE author_email = 'Ann@Example.org'",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return isinstance(context.node, ast.CreateExtensionStmt)

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.CreateExtensionStmt)
        line = context.statement.line
        name = required(node.extname, "CreateExtensionStmt.extname")
        if name in REFUSED:
            raise PlanningError(f"line {line}: zdt does not install extension {name}: {REFUSED[name]}")
        if name not in ALLOWED:
            raise PlanningError(
                f"line {line}: extension {name} is not on zdt's allow-list of extensions that only add "
                f"types, functions and operators ({', '.join(sorted(ALLOWED))}): install it by hand"
            )
        options = {
            required(option.defname, "DefElem.defname")
            for option in nodes_of(node.options, ast.DefElem, "CreateExtensionStmt.options")
        }
        if "cascade" in options:
            raise PlanningError(
                f"line {line}: CREATE EXTENSION {name} CASCADE installs the extensions it requires too, "
                "which neither the check nor the undo would know of: create each with its own statement"
            )
        if node.if_not_exists:
            rollback = Rollback(not_needed=NOT_NEEDED_IF_NOT_EXISTS)
        else:
            rollback = Rollback(sql=[render("DROP EXTENSION IF EXISTS {e}", e=column(name))])
        return [
            context.step(
                "extensions",
                phase=Phase.EXPAND,
                description=f"install extension {name}"
                + (" unless the database has it" if node.if_not_exists else ""),
                sql=[context.statement.sql],
                verify=Verification(
                    sql=render(
                        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = {e})", e=literal(name)
                    ),
                    description=f"extension {name} is installed",
                ),
                rollback=rollback,
                lock=None,
                lock_duration=LockDuration.NONE,
                recipe=self.id,
            )
        ]
