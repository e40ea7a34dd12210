"""A deterministic, realistic corpus of PostgreSQL migration files for linter benchmarks.

``generate_corpus(files, statements_per_file, seed)`` returns the same files, byte for byte, for the same
arguments: every choice comes from one seeded :class:`random.Random`, and nothing iterates a ``set``.

The generator keeps a small model of the schema it has built so far (tables, their columns, constraints,
indexes, enum types, views), so later migrations alter, index, rename and drop things that earlier ones
created, as a real migration history does. Each statement is tagged with its *family*
(see :data:`FAMILIES`) so tests can check that the mix covers every kind of statement a linter cares about.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Statement families, in the order they are documented in benchmarks/README.md.
CREATE_TABLE = "create_table"
DROP_TABLE = "drop_table"
ADD_COLUMN = "add_column"
DROP_COLUMN = "drop_column"
ALTER_COLUMN_TYPE = "alter_column_type"
SET_NOT_NULL = "set_not_null"
DROP_NOT_NULL = "drop_not_null"
SET_DEFAULT = "set_default"
ADD_CHECK = "add_check"
ADD_FOREIGN_KEY = "add_foreign_key"
ADD_UNIQUE = "add_unique"
ADD_PRIMARY_KEY = "add_primary_key"
DROP_CONSTRAINT = "drop_constraint"
VALIDATE_CONSTRAINT = "validate_constraint"
RENAME = "rename"
CREATE_INDEX = "create_index"
DROP_INDEX = "drop_index"
SET_TIMEOUT = "set_timeout"
TRANSACTION = "transaction"
UPDATE = "update"
DELETE = "delete"
INSERT = "insert"
CREATE_VIEW = "create_view"
COMMENT = "comment"
GRANT = "grant"
CREATE_ENUM = "create_enum"
ENUM_ADD_VALUE = "enum_add_value"
TRUNCATE = "truncate"
VACUUM_FULL = "vacuum_full"
CLUSTER = "cluster"
REINDEX = "reindex"

FAMILIES: tuple[str, ...] = (
    CREATE_TABLE,
    DROP_TABLE,
    ADD_COLUMN,
    DROP_COLUMN,
    ALTER_COLUMN_TYPE,
    SET_NOT_NULL,
    DROP_NOT_NULL,
    SET_DEFAULT,
    ADD_CHECK,
    ADD_FOREIGN_KEY,
    ADD_UNIQUE,
    ADD_PRIMARY_KEY,
    DROP_CONSTRAINT,
    VALIDATE_CONSTRAINT,
    RENAME,
    CREATE_INDEX,
    DROP_INDEX,
    SET_TIMEOUT,
    TRANSACTION,
    UPDATE,
    DELETE,
    INSERT,
    CREATE_VIEW,
    COMMENT,
    GRANT,
    CREATE_ENUM,
    ENUM_ADD_VALUE,
    TRUNCATE,
    VACUUM_FULL,
    CLUSTER,
    REINDEX,
)

DEFAULT_FILES = 2000
DEFAULT_STATEMENTS_PER_FILE = (10, 30)
DEFAULT_SEED = 20240501
EXISTING_TABLES = 60


@dataclass(frozen=True)
class Statement:
    """One generated statement: its family and its SQL text, ending with ``;``."""

    family: str
    sql: str


@dataclass(frozen=True)
class MigrationFile:
    """One migration file: a name such as ``00042_orders_add_status.sql``, its statements and its text."""

    name: str
    statements: tuple[Statement, ...]
    text: str


# ----------------------------------------------------------------------------------------------------------
# The schema model the generator evolves.

_TABLE_WORDS = (
    "accounts", "orders", "invoices", "payments", "customers", "products", "shipments", "users",
    "sessions", "events", "audit_log", "subscriptions", "coupons", "carts", "reviews", "tickets",
    "messages", "projects", "tasks", "teams", "devices", "addresses", "refunds", "webhooks",
)  # fmt: skip
_COLUMN_WORDS = (
    "status", "amount", "total", "title", "name", "email", "note", "kind", "score", "priority",
    "region", "currency", "quantity", "label", "source", "payload", "tags", "version", "country",
    "phone", "rating", "weight", "code", "reference", "ip_address", "checksum", "locale", "flags",
)  # fmt: skip
_ROLES = ("app_rw", "app_ro", "reporting", "analytics", "support", "migrator")
_ENUM_LABELS = (
    "pending", "active", "paused", "archived", "failed", "done", "cancelled", "review", "draft", "closed",
)  # fmt: skip


@dataclass(frozen=True)
class _Type:
    """A column type: its SQL, a constant default, a volatile default and a sample literal."""

    sql: str
    constant: str
    volatile: str | None
    literal: str
    widen_to: tuple[str, ...] = ()


_TYPES: tuple[_Type, ...] = (
    _Type("integer", "0", "(random() * 100)::integer", "42", ("bigint", "numeric")),
    _Type("bigint", "0", "(random() * 1000000)::bigint", "7", ("numeric",)),
    _Type("smallint", "1", None, "3", ("integer", "bigint")),
    _Type("text", "''", "md5(random()::text)", "'n/a'", ("varchar(512)",)),
    _Type("varchar(64)", "'unknown'", None, "'x'", ("varchar(255)", "text")),
    _Type("varchar(255)", "''", "gen_random_uuid()::text", "'y'", ("text",)),
    _Type("boolean", "false", "random() > 0.5", "true"),
    _Type("timestamp", "'2000-01-01 00:00:00'", "clock_timestamp()", "now()", ("timestamptz",)),
    _Type("timestamptz", "now()", "clock_timestamp()", "now()"),
    _Type("date", "CURRENT_DATE", None, "CURRENT_DATE"),
    _Type("numeric(12,2)", "0.00", "round((random() * 100)::numeric, 2)", "9.99", ("numeric(18,4)",)),
    _Type("jsonb", "'{}'::jsonb", None, "'{\"k\": 1}'::jsonb"),
    _Type("uuid", "'00000000-0000-0000-0000-000000000000'", "gen_random_uuid()", "gen_random_uuid()"),
    _Type("inet", "'0.0.0.0'", None, "'10.0.0.1'"),
    _Type("text[]", "'{}'", None, "ARRAY['a', 'b']"),
    _Type("bytea", "''::bytea", None, "'\\x00'::bytea"),
)


@dataclass
class _Column:
    name: str
    type: _Type
    not_null: bool = False


@dataclass
class _Table:
    name: str
    columns: list[_Column]
    constraints: list[str] = field(default_factory=list)
    not_valid: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    has_primary_key: bool = True

    def column(self, rng: random.Random, *, exclude_id: bool = True) -> _Column | None:
        choices = [c for c in self.columns if not (exclude_id and c.name == "id")]
        return rng.choice(choices) if choices else None


class _Generator:
    """Stateful statement factory; one per corpus, so the schema evolves across files."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: list[_Table] = []
        self.enums: dict[str, list[str]] = {}
        self.views: list[str] = []
        self.serial = 0
        self.in_transaction = False
        # The few tables the current migration is about: real migrations touch one feature at a time.
        self.focus: list[_Table] = []
        self._families: list[tuple[str, int, Callable[[], list[Statement]]]] = [
            (CREATE_TABLE, 6, self.create_table),
            (DROP_TABLE, 1, self.drop_table),
            (ADD_COLUMN, 14, self.add_column),
            (DROP_COLUMN, 3, self.drop_column),
            (ALTER_COLUMN_TYPE, 4, self.alter_column_type),
            (SET_NOT_NULL, 3, self.set_not_null),
            (DROP_NOT_NULL, 2, self.drop_not_null),
            (SET_DEFAULT, 3, self.set_default),
            (ADD_CHECK, 3, self.add_check),
            (ADD_FOREIGN_KEY, 3, self.add_foreign_key),
            (ADD_UNIQUE, 2, self.add_unique),
            (ADD_PRIMARY_KEY, 1, self.add_primary_key),
            (DROP_CONSTRAINT, 1, self.drop_constraint),
            (VALIDATE_CONSTRAINT, 2, self.validate_constraint),
            (RENAME, 3, self.rename),
            (CREATE_INDEX, 10, self.create_index),
            (DROP_INDEX, 3, self.drop_index),
            (UPDATE, 6, self.update),
            (DELETE, 3, self.delete),
            (INSERT, 3, self.insert),
            (CREATE_VIEW, 2, self.create_view),
            (COMMENT, 3, self.comment),
            (GRANT, 3, self.grant),
            (CREATE_ENUM, 1, self.create_enum),
            (ENUM_ADD_VALUE, 2, self.enum_add_value),
            (TRUNCATE, 1, self.truncate),
            (VACUUM_FULL, 1, self.vacuum_full),
            (CLUSTER, 1, self.cluster),
            (REINDEX, 1, self.reindex),
        ]
        self._weights = [weight for _, weight, _ in self._families]
        # Families not generated yet: picked now and then until each has appeared, so even a small
        # corpus covers every kind of statement, while a large one keeps the weighted mix.
        self._unseen = list(self._families)
        # Tables already in the database before the first migration (their CREATE is not in the corpus):
        # most migrations change existing production tables, which is where a linter has the most to say.
        for _ in range(EXISTING_TABLES):
            self.create_table()
        self.existing = list(self.tables)
        self.focus = []

    # -- helpers -----------------------------------------------------------------------------------------

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _table(self) -> _Table:
        if not self.tables:
            self.create_table()
        if self.focus and self.rng.random() < 0.8:
            return self.rng.choice(self.focus)
        return self._any_table()

    def _any_table(self) -> _Table:
        """Half the time a table that predates the corpus, else any table."""
        if self.existing and self.rng.random() < 0.5:
            return self.rng.choice(self.existing)
        return self.rng.choice(self.tables)

    def _qualified(self, name: str) -> str:
        return f"public.{name}" if self.rng.random() < 0.2 else name

    def _new_column_name(self, table: _Table) -> str:
        existing = {c.name for c in table.columns}
        name = self.rng.choice(_COLUMN_WORDS)
        while name in existing:
            name = f"{self.rng.choice(_COLUMN_WORDS)}_{self._next()}"
        return name

    def _predicate(self, table: _Table) -> str:
        column = table.column(self.rng, exclude_id=False)
        assert column is not None
        roll = self.rng.random()
        if column.name == "id" or roll < 0.3:
            return f"id BETWEEN {self.rng.randint(1, 10_000)} AND {self.rng.randint(10_001, 500_000)}"
        if roll < 0.6:
            return f"{column.name} IS NULL"
        if roll < 0.8:
            return f"{column.name} = {column.type.literal}"
        return f"id IN (SELECT id FROM {table.name} WHERE {column.name} IS NOT NULL LIMIT 1000)"

    # -- families ----------------------------------------------------------------------------------------

    def create_table(self) -> list[Statement]:
        rng = self.rng
        name = f"{rng.choice(_TABLE_WORDS)}_{self._next()}"
        table = _Table(name=name, columns=[])
        lines: list[str] = []
        id_style = rng.random()
        if id_style < 0.4:
            lines.append("id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
        elif id_style < 0.7:
            lines.append("id bigserial PRIMARY KEY")
        elif id_style < 0.85:
            lines.append("id integer NOT NULL")
            table.has_primary_key = False
        else:
            lines.append("id bigint PRIMARY KEY")
        table.columns.append(_Column("id", _TYPES[1], not_null=True))
        if self.tables and rng.random() < 0.5:
            parent = rng.choice(self.tables)
            on_delete = rng.choice(("", " ON DELETE CASCADE", " ON DELETE SET NULL", " ON DELETE RESTRICT"))
            column = f"{parent.name.rsplit('_', 1)[0]}_id"
            lines.append(f"{column} bigint REFERENCES {parent.name} (id){on_delete}")
            table.columns.append(_Column(column, _TYPES[1]))
        for _ in range(rng.randint(2, 8)):
            column_name = self._new_column_name(table)
            column_type = rng.choice(_TYPES)
            parts = [column_name, column_type.sql]
            not_null = rng.random() < 0.4
            if not_null:
                parts.append("NOT NULL")
            if rng.random() < 0.3:
                parts.append(f"DEFAULT {column_type.constant}")
            if rng.random() < 0.08:
                parts.append("UNIQUE")
            if column_type.sql in ("integer", "bigint", "smallint") and rng.random() < 0.2:
                parts.append(f"CHECK ({column_name} >= 0)")
            lines.append(" ".join(parts))
            table.columns.append(_Column(column_name, column_type, not_null))
        if rng.random() < 0.5:
            lines.append("created_at timestamptz NOT NULL DEFAULT now()")
            table.columns.append(_Column("created_at", _TYPES[8], not_null=True))
        if rng.random() < 0.15:
            first = table.columns[-1].name
            constraint = f"{name}_{first}_key"
            lines.append(f"CONSTRAINT {constraint} UNIQUE ({first})")
            table.constraints.append(constraint)
        if_not_exists = "IF NOT EXISTS " if rng.random() < 0.3 else ""
        body = ",\n    ".join(lines)
        self.tables.append(table)
        self.focus.append(table)
        return [Statement(CREATE_TABLE, f"CREATE TABLE {if_not_exists}{name} (\n    {body}\n);")]

    def drop_table(self) -> list[Statement]:
        if len(self.tables) < 6:
            return self.create_table()
        table = self.rng.choice(self.tables)
        self.tables.remove(table)
        if table in self.focus:
            self.focus.remove(table)
        if table in self.existing:
            self.existing.remove(table)
        if_exists = "IF EXISTS " if self.rng.random() < 0.6 else ""
        cascade = " CASCADE" if self.rng.random() < 0.3 else ""
        return [Statement(DROP_TABLE, f"DROP TABLE {if_exists}{table.name}{cascade};")]

    def add_column(self) -> list[Statement]:
        rng = self.rng
        table = self._table()
        column_type = rng.choice(_TYPES)
        name = self._new_column_name(table)
        parts = [f"ALTER TABLE {self._qualified(table.name)} ADD COLUMN"]
        if rng.random() < 0.2:
            parts.append("IF NOT EXISTS")
        parts += [name, column_type.sql]
        roll = rng.random()
        not_null = False
        if roll < 0.35:
            pass  # nullable, no default: the safe one
        elif roll < 0.6:
            parts.append(f"DEFAULT {column_type.constant}")
        elif roll < 0.72 and column_type.volatile:
            parts.append(f"DEFAULT {column_type.volatile}")
        elif roll < 0.85:
            parts += ["NOT NULL", "DEFAULT", column_type.constant]
            not_null = True
        elif roll < 0.92:
            parts.append("NOT NULL")  # fails on a non-empty table
            not_null = True
        elif column_type.sql in ("integer", "bigint"):
            parts.append("GENERATED BY DEFAULT AS IDENTITY")
        else:
            other = table.column(rng, exclude_id=False)
            assert other is not None
            column_type = _TYPES[3]
            parts[-1] = column_type.sql
            parts.append(f"GENERATED ALWAYS AS ({other.name}::text) STORED")
        table.columns.append(_Column(name, column_type, not_null))
        return [Statement(ADD_COLUMN, " ".join(parts) + ";")]

    def drop_column(self) -> list[Statement]:
        table = self._table()
        if len(table.columns) <= 3:
            return self.add_column()
        column = table.column(self.rng)
        assert column is not None
        table.columns.remove(column)
        if_exists = "IF EXISTS " if self.rng.random() < 0.4 else ""
        cascade = " CASCADE" if self.rng.random() < 0.1 else ""
        return [
            Statement(DROP_COLUMN, f"ALTER TABLE {table.name} DROP COLUMN {if_exists}{column.name}{cascade};")
        ]

    def alter_column_type(self) -> list[Statement]:
        table = self._table()
        candidates = [c for c in table.columns if c.type.widen_to and c.name != "id"]
        if not candidates:
            return self.add_column()
        column = self.rng.choice(candidates)
        target = self.rng.choice(column.type.widen_to)
        using = f" USING {column.name}::{target}" if self.rng.random() < 0.35 else ""
        sql = f"ALTER TABLE {table.name} ALTER COLUMN {column.name} TYPE {target}{using};"
        column.type = next((t for t in _TYPES if t.sql == target), _Type(target, "0", None, "NULL"))
        return [Statement(ALTER_COLUMN_TYPE, sql)]

    def set_not_null(self) -> list[Statement]:
        table = self._table()
        column = table.column(self.rng)
        if column is None:
            return self.add_column()
        column.not_null = True
        return [Statement(SET_NOT_NULL, f"ALTER TABLE {table.name} ALTER COLUMN {column.name} SET NOT NULL;")]

    def drop_not_null(self) -> list[Statement]:
        table = self._table()
        column = table.column(self.rng)
        if column is None:
            return self.add_column()
        column.not_null = False
        return [Statement(DROP_NOT_NULL, f"ALTER TABLE {table.name} ALTER {column.name} DROP NOT NULL;")]

    def set_default(self) -> list[Statement]:
        table = self._table()
        column = table.column(self.rng)
        if column is None:
            return self.add_column()
        if self.rng.random() < 0.3:
            action = "DROP DEFAULT"
        else:
            action = f"SET DEFAULT {column.type.volatile or column.type.constant}"
        return [Statement(SET_DEFAULT, f"ALTER TABLE {table.name} ALTER COLUMN {column.name} {action};")]

    def add_check(self) -> list[Statement]:
        table = self._table()
        column = table.column(self.rng)
        if column is None:
            return self.add_column()
        name = f"{table.name}_{column.name}_check_{self._next()}"
        not_valid = self.rng.random() < 0.5
        sql = (
            f"ALTER TABLE {table.name} ADD CONSTRAINT {name} CHECK ({column.name} IS NOT NULL)"
            f"{' NOT VALID' if not_valid else ''};"
        )
        table.constraints.append(name)
        if not_valid:
            table.not_valid.append(name)
        return [Statement(ADD_CHECK, sql)]

    def add_foreign_key(self) -> list[Statement]:
        if len(self.tables) < 2:
            return self.create_table()
        child, parent = self.rng.sample(self.tables, 2)
        column = f"{parent.name}_id"
        statements: list[Statement] = []
        if all(c.name != column for c in child.columns):
            statements.append(Statement(ADD_COLUMN, f"ALTER TABLE {child.name} ADD COLUMN {column} bigint;"))
            child.columns.append(_Column(column, _TYPES[1]))
        name = f"{child.name}_{column}_fkey_{self._next()}"
        not_valid = self.rng.random() < 0.55
        on_delete = self.rng.choice(("", "", " ON DELETE CASCADE", " ON DELETE SET NULL"))
        sql = (
            f"ALTER TABLE {child.name} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
            f"REFERENCES {parent.name} (id){on_delete}{' NOT VALID' if not_valid else ''};"
        )
        child.constraints.append(name)
        if not_valid:
            child.not_valid.append(name)
        statements.append(Statement(ADD_FOREIGN_KEY, sql))
        return statements

    def _unique_index(self, table: _Table, columns: str, purpose: str) -> tuple[str, Statement]:
        name = f"{table.name}_{purpose}_{self._next()}_idx"
        concurrently = "" if self.in_transaction else "CONCURRENTLY "
        table.indexes.append(name)
        sql = f"CREATE UNIQUE INDEX {concurrently}{name} ON {table.name} ({columns});"
        return name, Statement(CREATE_INDEX, sql)

    def add_unique(self) -> list[Statement]:
        table = self._table()
        column = table.column(self.rng)
        if column is None:
            return self.add_column()
        constraint = f"{table.name}_{column.name}_uniq_{self._next()}"
        table.constraints.append(constraint)
        if self.rng.random() < 0.5:
            index, create = self._unique_index(table, column.name, column.name)
            table.indexes.remove(index)  # the constraint takes the index over
            sql = f"ALTER TABLE {table.name} ADD CONSTRAINT {constraint} UNIQUE USING INDEX {index};"
            return [create, Statement(ADD_UNIQUE, sql)]
        sql = f"ALTER TABLE {table.name} ADD CONSTRAINT {constraint} UNIQUE ({column.name});"
        return [Statement(ADD_UNIQUE, sql)]

    def add_primary_key(self) -> list[Statement]:
        candidates = [t for t in self.tables if not t.has_primary_key]
        if not candidates:
            table = self._table()
            # Swap the key: a common "move to a new key" migration step.
            constraint = f"{table.name}_pkey"
            sql = f"ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS {constraint};"
            table.has_primary_key = False
            return [Statement(DROP_CONSTRAINT, sql), *self._add_primary_key(table)]
        return self._add_primary_key(self.rng.choice(candidates))

    def _add_primary_key(self, table: _Table) -> list[Statement]:
        table.has_primary_key = True
        constraint = f"{table.name}_pkey"
        if self.rng.random() < 0.6:
            index, create = self._unique_index(table, "id", "pkey")
            table.indexes.remove(index)
            sql = f"ALTER TABLE {table.name} ADD CONSTRAINT {constraint} PRIMARY KEY USING INDEX {index};"
            return [create, Statement(ADD_PRIMARY_KEY, sql)]
        return [Statement(ADD_PRIMARY_KEY, f"ALTER TABLE {table.name} ADD PRIMARY KEY (id);")]

    def drop_constraint(self) -> list[Statement]:
        candidates = [t for t in self.tables if t.constraints]
        if not candidates:
            return self.add_check()
        table = self.rng.choice(candidates)
        name = self.rng.choice(table.constraints)
        table.constraints.remove(name)
        if name in table.not_valid:
            table.not_valid.remove(name)
        if_exists = "IF EXISTS " if self.rng.random() < 0.5 else ""
        return [Statement(DROP_CONSTRAINT, f"ALTER TABLE {table.name} DROP CONSTRAINT {if_exists}{name};")]

    def validate_constraint(self) -> list[Statement]:
        candidates = [t for t in self.tables if t.not_valid]
        if not candidates:
            return self.add_check()
        table = self.rng.choice(candidates)
        name = table.not_valid.pop(0)
        return [Statement(VALIDATE_CONSTRAINT, f"ALTER TABLE {table.name} VALIDATE CONSTRAINT {name};")]

    def rename(self) -> list[Statement]:
        rng = self.rng
        table = self._table()
        roll = rng.random()
        if roll < 0.5:
            column = table.column(rng)
            if column is not None:
                new = self._new_column_name(table)
                sql = f"ALTER TABLE {table.name} RENAME COLUMN {column.name} TO {new};"
                column.name = new
                return [Statement(RENAME, sql)]
        if roll < 0.75 and table.constraints:
            old = rng.choice(table.constraints)
            new = f"{old}_r{self._next()}"
            table.constraints[table.constraints.index(old)] = new
            if old in table.not_valid:
                table.not_valid[table.not_valid.index(old)] = new
            return [Statement(RENAME, f"ALTER TABLE {table.name} RENAME CONSTRAINT {old} TO {new};")]
        if roll < 0.85 and table.indexes:
            old = rng.choice(table.indexes)
            new = f"{old}_r{self._next()}"
            table.indexes[table.indexes.index(old)] = new
            return [Statement(RENAME, f"ALTER INDEX {old} RENAME TO {new};")]
        new = f"{table.name.rsplit('_', 1)[0]}_{self._next()}"
        sql = f"ALTER TABLE {table.name} RENAME TO {new};"
        table.name = new
        return [Statement(RENAME, sql)]

    def create_index(self) -> list[Statement]:
        rng = self.rng
        table = self._table()
        column = table.column(rng, exclude_id=False)
        assert column is not None
        unique = rng.random() < 0.15
        concurrently = not self.in_transaction and rng.random() < 0.6
        name = f"{table.name}_{column.name}_{self._next()}_idx"
        method = ""
        roll = rng.random()
        if roll < 0.55:
            key = column.name
            other = table.column(rng)
            if other is not None and other.name != column.name and rng.random() < 0.3:
                key = f"{column.name}, {other.name}"
        elif roll < 0.7:
            key = f"lower({column.name}::text)"
        elif roll < 0.8:
            key = f"({column.name}::text)"
        elif roll < 0.9 and column.type.sql in ("jsonb", "text[]"):
            method, key, unique = " USING gin", column.name, False
        else:
            key = f"{column.name} DESC NULLS LAST"
        where = ""
        if rng.random() < 0.25:
            where = rng.choice((f" WHERE {column.name} IS NOT NULL", f" WHERE id > {rng.randint(1, 10**6)}"))
        if_not_exists = "IF NOT EXISTS " if rng.random() < 0.25 else ""
        sql = (
            f"CREATE {'UNIQUE ' if unique else ''}INDEX {'CONCURRENTLY ' if concurrently else ''}"
            f"{if_not_exists}{name} ON {self._qualified(table.name)}{method} ({key}){where};"
        )
        table.indexes.append(name)
        return [Statement(CREATE_INDEX, sql)]

    def drop_index(self) -> list[Statement]:
        candidates = [t for t in self.tables if t.indexes]
        if not candidates:
            return self.create_index()
        table = self.rng.choice(candidates)
        index = self.rng.choice(table.indexes)
        table.indexes.remove(index)
        concurrently = "CONCURRENTLY " if not self.in_transaction and self.rng.random() < 0.6 else ""
        if_exists = "IF EXISTS " if self.rng.random() < 0.5 else ""
        return [Statement(DROP_INDEX, f"DROP INDEX {concurrently}{if_exists}{index};")]

    def set_timeout(self) -> Statement:
        rng = self.rng
        scope = "SET LOCAL" if self.in_transaction and rng.random() < 0.5 else "SET"
        if rng.random() < 0.6:
            value = rng.choice(("'500ms'", "'1s'", "'2s'", "'5s'", "'3000'", "0"))
            return Statement(SET_TIMEOUT, f"{scope} lock_timeout = {value};")
        value = rng.choice(("'15s'", "'30s'", "'1min'", "'5min'", "0"))
        return Statement(SET_TIMEOUT, f"{scope} statement_timeout TO {value};")

    def update(self) -> list[Statement]:
        table = self._table()
        column = table.column(self.rng)
        if column is None:
            return self.add_column()
        value = column.type.constant if self.rng.random() < 0.7 else "DEFAULT"
        where = f" WHERE {self._predicate(table)}" if self.rng.random() < 0.7 else ""
        return [
            Statement(UPDATE, f"UPDATE {self._qualified(table.name)} SET {column.name} = {value}{where};")
        ]

    def delete(self) -> list[Statement]:
        table = self._table()
        where = f" WHERE {self._predicate(table)}" if self.rng.random() < 0.75 else ""
        return [Statement(DELETE, f"DELETE FROM {table.name}{where};")]

    def insert(self) -> list[Statement]:
        table = self._table()
        columns = [c for c in table.columns if c.name != "id"][:3]
        if not columns:
            return self.add_column()
        names = ", ".join(c.name for c in columns)
        if self.rng.random() < 0.5:
            values = ", ".join(c.type.literal for c in columns)
            sql = f"INSERT INTO {table.name} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING;"
        else:
            sql = (
                f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {table.name} "
                f"WHERE id < {self.rng.randint(100, 10_000)} ORDER BY id LIMIT 1000;"
            )
        return [Statement(INSERT, sql)]

    def create_view(self) -> list[Statement]:
        table = self._table()
        columns = ", ".join(c.name for c in table.columns[:4])
        name = f"{table.name}_v{self._next()}"
        replace = "OR REPLACE " if self.rng.random() < 0.4 else ""
        self.views.append(name)
        where = self._predicate(table)
        sql = f"CREATE {replace}VIEW {name} AS SELECT {columns} FROM {table.name} WHERE {where};"
        return [Statement(CREATE_VIEW, sql)]

    def comment(self) -> list[Statement]:
        table = self._table()
        column = table.column(self.rng)
        text = self.rng.choice(
            ("'Owned by billing.'", "'Deprecated; see ADR-12.'", "'PII: do not log.'", "NULL")
        )
        if column is not None and self.rng.random() < 0.6:
            return [Statement(COMMENT, f"COMMENT ON COLUMN {table.name}.{column.name} IS {text};")]
        return [Statement(COMMENT, f"COMMENT ON TABLE {table.name} IS {text};")]

    def grant(self) -> list[Statement]:
        rng = self.rng
        table = self._table()
        role = rng.choice(_ROLES)
        privileges = rng.choice(
            ("SELECT", "SELECT, INSERT, UPDATE, DELETE", "ALL PRIVILEGES", "SELECT, UPDATE")
        )
        if rng.random() < 0.2:
            return [Statement(GRANT, f"REVOKE {privileges} ON {table.name} FROM {role};")]
        if rng.random() < 0.1:
            return [Statement(GRANT, f"GRANT USAGE ON SCHEMA public TO {role};")]
        return [Statement(GRANT, f"GRANT {privileges} ON TABLE {table.name} TO {role};")]

    def create_enum(self) -> list[Statement]:
        name = f"{self.rng.choice(('status', 'state', 'kind', 'tier'))}_{self._next()}"
        labels = self.rng.sample(_ENUM_LABELS, self.rng.randint(2, 4))
        self.enums[name] = labels
        quoted = ", ".join(f"'{label}'" for label in labels)
        return [Statement(CREATE_ENUM, f"CREATE TYPE {name} AS ENUM ({quoted});")]

    def enum_add_value(self) -> list[Statement]:
        if not self.enums:
            return self.create_enum()
        name = self.rng.choice(list(self.enums))
        labels = self.enums[name]
        missing = [label for label in _ENUM_LABELS if label not in labels]
        if not missing:
            return self.create_enum()
        label = self.rng.choice(missing)
        position = ""
        if self.rng.random() < 0.4:
            position = f" {self.rng.choice(('BEFORE', 'AFTER'))} '{self.rng.choice(labels)}'"
        if_not_exists = "IF NOT EXISTS " if self.rng.random() < 0.5 else ""
        labels.append(label)
        return [Statement(ENUM_ADD_VALUE, f"ALTER TYPE {name} ADD VALUE {if_not_exists}'{label}'{position};")]

    def truncate(self) -> list[Statement]:
        table = self._table()
        suffix = self.rng.choice(("", "", " RESTART IDENTITY", " CASCADE"))
        keyword = "TABLE " if self.rng.random() < 0.5 else ""
        return [Statement(TRUNCATE, f"TRUNCATE {keyword}{table.name}{suffix};")]

    def vacuum_full(self) -> list[Statement]:
        if self.in_transaction:  # VACUUM cannot run in a transaction block
            return self.update()
        table = self._table()
        options = self.rng.choice(("FULL", "(FULL)", "(FULL, ANALYZE)", "FULL VERBOSE"))
        return [Statement(VACUUM_FULL, f"VACUUM {options} {table.name};")]

    def cluster(self) -> list[Statement]:
        candidates = [t for t in self.tables if t.indexes]
        if not candidates:
            return self.create_index()
        table = self.rng.choice(candidates)
        if self.rng.random() < 0.3:
            return [Statement(CLUSTER, f"CLUSTER {table.name};")]
        return [Statement(CLUSTER, f"CLUSTER {table.name} USING {self.rng.choice(table.indexes)};")]

    def reindex(self) -> list[Statement]:
        table = self._table()
        concurrently = "" if self.in_transaction or self.rng.random() < 0.4 else " CONCURRENTLY"
        if table.indexes and self.rng.random() < 0.5:
            return [Statement(REINDEX, f"REINDEX INDEX{concurrently} {self.rng.choice(table.indexes)};")]
        return [Statement(REINDEX, f"REINDEX TABLE{concurrently} {table.name};")]

    # -- files -------------------------------------------------------------------------------------------

    def body(self, count: int) -> list[Statement]:
        """About ``count`` statements (a step that takes two or three statements may overshoot)."""
        statements: list[Statement] = []
        while len(statements) < count:
            if self._unseen and self.rng.random() < 0.15:
                _, _, make = self.rng.choice(self._unseen)
            else:
                _, _, make = self.rng.choices(self._families, weights=self._weights)[0]
            if not self.tables:
                make = self.create_table
            produced = make()
            seen = {s.family for s in produced}
            self._unseen = [entry for entry in self._unseen if entry[0] not in seen]
            statements += produced
        return statements

    def migration(self, count: int) -> list[Statement]:
        """``count`` statements: timeouts first, then a body, sometimes inside BEGIN ... COMMIT."""
        rng = self.rng
        self.focus = []
        for _ in range(rng.randint(1, 3)):
            table = self._any_table()
            if table not in self.focus:
                self.focus.append(table)
        head: list[Statement] = []
        if rng.random() < 0.6:
            head.append(self.set_timeout())
            if rng.random() < 0.5:
                head.append(self.set_timeout())
        remaining = count - len(head)
        if remaining >= 4 and rng.random() < 0.4:
            before = rng.randint(0, max(0, (remaining - 2) // 3))
            statements = head + self.body(before)
            self.in_transaction = True
            inner_head = [self.set_timeout()] if rng.random() < 0.3 else []
            inner = self.body(count - len(statements) - 2 - len(inner_head))
            self.in_transaction = False
            begin = rng.choice(
                ("BEGIN;", "BEGIN;", "START TRANSACTION;", "BEGIN ISOLATION LEVEL READ COMMITTED;")
            )
            end = rng.choice(("COMMIT;", "COMMIT;", "END;"))
            return [
                *statements,
                Statement(TRANSACTION, begin),
                *inner_head,
                *inner,
                Statement(TRANSACTION, end),
            ]
        return head + self.body(remaining)


_COMMENTS = (
    "backfill in batches from the worker, not here",
    "reviewed by the DBA team",
    "see ticket for the rollout plan",
    "keep this step separate: it must not share a transaction",
    "index first, constraint second",
    "safe: table is small",
)


def _slug(statements: Sequence[Statement]) -> str:
    for statement in statements:
        if statement.family not in (SET_TIMEOUT, TRANSACTION):
            words = statement.sql.replace("(", " ").replace(";", " ").split()[:4]
            return "_".join(w.lower().strip("'\"") for w in words if w.replace("_", "").isalnum())[:48]
    return "settings"


def _render(number: int, name: str, statements: Sequence[Statement], rng: random.Random) -> str:
    lines = [f"-- Migration {number:05d}: {name.replace('_', ' ')}", ""]
    for statement in statements:
        roll = rng.random()
        if roll < 0.08:
            lines.append(f"-- {rng.choice(_COMMENTS)}")
        elif roll < 0.1:
            lines.append(f"/* {rng.choice(_COMMENTS)} */")
        lines.append(statement.sql)
        if statement.family not in (SET_TIMEOUT, TRANSACTION) or rng.random() < 0.3:
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def generate_corpus(
    files: int = DEFAULT_FILES,
    statements_per_file: tuple[int, int] = DEFAULT_STATEMENTS_PER_FILE,
    seed: int = DEFAULT_SEED,
) -> list[MigrationFile]:
    """``files`` migration files of ``statements_per_file`` (min, max) statements each, fixed by ``seed``."""
    low, high = statements_per_file
    if files < 0 or low < 1 or high < low:
        raise ValueError(f"bad corpus shape: files={files}, statements_per_file={statements_per_file}")
    generator = _Generator(seed)
    corpus: list[MigrationFile] = []
    for number in range(1, files + 1):
        statements = generator.migration(generator.rng.randint(low, high))
        slug = _slug(statements)
        name = f"{number:05d}_{slug}.sql"
        text = _render(number, slug, statements, generator.rng)
        corpus.append(MigrationFile(name, tuple(statements), text))
    return corpus


def write_corpus(corpus: Sequence[MigrationFile], directory: Path) -> list[Path]:
    """Write every file of ``corpus`` into ``directory`` (created if needed); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for migration in corpus:
        path = directory / migration.name
        path.write_text(migration.text, encoding="utf-8")
        paths.append(path)
    return paths


def statement_count(corpus: Sequence[MigrationFile]) -> int:
    return sum(len(m.statements) for m in corpus)
