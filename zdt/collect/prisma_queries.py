"""The SQL the Prisma client sends for each model's findUnique, findMany, create, update and delete.

A Prisma application's queries live in no file: the query engine writes them at run time from the
schema. These are written the way Prisma's PostgreSQL connector writes them (Prisma 4-6): every
identifier quoted and qualified (``"public"."User"."id"``), the mapped names (``@map``/``@@map``), ``$n``
parameters, ``1=1`` where Prisma closes a filter, ``RETURNING`` all scalar columns after a write, enum
values cast through ``text``. What each operation covers, honestly:

- findUnique: every scalar column, by the id (``@id`` or ``@@id``; else the first ``@unique``);
- findMany: every scalar column, no filter;
- create: an INSERT of every scalar column except database-generated ones (``autoincrement()``,
  ``dbgenerated(...)``, ``sequence()``): the client fills ``cuid()``, ``uuid()``, ``now()`` itself;
- update: every scalar column that is not part of the id set, by the id;
- delete: by the id.

Real calls select fewer columns or filter on others; these are the shapes every model has, so a
migration that breaks one breaks the client.
"""

from __future__ import annotations

from psycopg import sql

from zdt.collect.prisma_schema import PrismaField, PrismaModel, PrismaSchema, PrismaSchemaError
from zdt.compat.corpus import CorpusQuery
from zdt.compat.queries import QueryOrigin

OPERATIONS = ("findUnique", "findMany", "create", "update", "delete")
GENERATED_DEFAULTS = frozenset({"autoincrement", "dbgenerated", "sequence"})


def _text(composed: sql.Composable) -> str:
    return composed.as_string(None)


def _columns(schema: PrismaSchema, model: PrismaModel) -> list[PrismaField]:
    return [item for item in model.fields if schema.is_scalar(item.type)]


def _id_fields(schema: PrismaSchema, model: PrismaModel) -> list[PrismaField]:
    by_name = {item.name: item for item in _columns(schema, model)}
    marked = [item for item in by_name.values() if item.attribute("id") is not None]
    if marked:
        return marked
    composite = model.block_attribute("id")
    if composite is not None:
        return [by_name[name] for name in composite.names_in_list() if name in by_name]
    unique = [item for item in by_name.values() if item.attribute("unique") is not None]
    if unique:
        return unique[:1]
    raise PrismaSchemaError(f"{model.name} (line {model.line}): no @id, @@id or @unique to find a row by")


class _Writer:
    """Builds one model's statements: qualified names and numbered parameters."""

    def __init__(self, schema: PrismaSchema, model: PrismaModel) -> None:
        self.schema = schema
        self.model = model
        self.table = sql.Identifier(model.schema, model.table)
        self.columns = _columns(schema, model)
        self.ids = _id_fields(schema, model)

    def qualified(self, column: PrismaField) -> sql.Composable:
        return sql.Identifier(self.model.schema, self.model.table, column.column)

    def selection(self) -> sql.Composable:
        return sql.SQL(", ").join(self.qualified(column) for column in self.columns)

    def value(self, column: PrismaField, number: int) -> sql.Composable:
        placeholder = sql.SQL(f"${number}")
        enum = self.schema.enums.get(column.type)
        if enum is None:
            return placeholder
        enum_type = sql.Identifier(enum.schema, enum.table)
        suffix = sql.SQL("[]") if column.is_list else sql.SQL("")
        cast = sql.SQL("::text[]") if column.is_list else sql.SQL("::text")
        return sql.SQL("CAST({}{} AS {}{})").format(placeholder, cast, enum_type, suffix)

    def by_id(self, first: int) -> sql.Composable:
        tests = [
            sql.SQL("{} = {}").format(self.qualified(column), self.value(column, first + n))
            for n, column in enumerate(self.ids)
        ]
        return sql.SQL("({} AND 1=1)").format(sql.SQL(" AND ").join(tests))

    def find_unique(self) -> sql.Composable:
        after = len(self.ids) + 1
        return sql.SQL("SELECT {} FROM {} WHERE {} LIMIT {} OFFSET {}").format(
            self.selection(), self.table, self.by_id(1), sql.SQL(f"${after}"), sql.SQL(f"${after + 1}")
        )

    def find_many(self) -> sql.Composable:
        return sql.SQL("SELECT {} FROM {} WHERE 1=1 OFFSET $1").format(self.selection(), self.table)

    def create(self) -> sql.Composable:
        written = [column for column in self.columns if column.default_function not in GENERATED_DEFAULTS]
        return sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
            self.table,
            sql.SQL(",").join(sql.Identifier(column.column) for column in written),
            sql.SQL(",").join(self.value(column, n + 1) for n, column in enumerate(written)),
            self.selection(),
        )

    def update(self) -> sql.Composable:
        changed = [column for column in self.columns if column not in self.ids]
        assignments = [
            sql.SQL("{} = {}").format(sql.Identifier(column.column), self.value(column, n + 1))
            for n, column in enumerate(changed)
        ]
        return sql.SQL("UPDATE {} SET {} WHERE {} RETURNING {}").format(
            self.table, sql.SQL(", ").join(assignments), self.by_id(len(changed) + 1), self.selection()
        )

    def delete(self) -> sql.Composable:
        return sql.SQL("DELETE FROM {} WHERE {}").format(self.table, self.by_id(1))


def model_queries(schema: PrismaSchema, model: PrismaModel) -> list[CorpusQuery]:
    """The five operations of one model, named ``Model.operation``."""
    writer = _Writer(schema, model)
    statements = {
        "findUnique": writer.find_unique(),
        "findMany": writer.find_many(),
        "create": writer.create(),
        "delete": writer.delete(),
    }
    if len(writer.ids) < len(writer.columns):  # a table of only its id has nothing to update
        statements["update"] = writer.update()
    return [
        CorpusQuery(
            name=f"{model.name}.{operation}",
            sql=_text(statements[operation]),
            origin=QueryOrigin(kind="prisma", place=f"{model.name}.{operation}"),
        )
        for operation in OPERATIONS
        if operation in statements
    ]


def prisma_queries(schema: PrismaSchema) -> list[CorpusQuery]:
    """Every model's operations, in the schema's order."""
    return [query for model in schema.models for query in model_queries(schema, model)]
