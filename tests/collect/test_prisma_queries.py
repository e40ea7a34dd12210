"""The SQL the Prisma client sends, per model: quoted qualified mapped names, $n, RETURNING; each one
prepared on a real server whose tables the schema describes.
"""

from __future__ import annotations

import psycopg
import pytest

from zdt.collect.prisma_queries import prisma_queries
from zdt.collect.prisma_schema import PrismaSchemaError, parse_prisma_schema
from zdt.compat import check_queries, read_queries
from zdt.compat.corpus import QueryCorpus

SCHEMA = """\
enum Role {
  USER
  ADMIN
  @@map("user_role")
}

model User {
  id    Int     @id @default(autoincrement())
  email String  @unique
  name  String? @map("display_name")
  role  Role    @default(USER)
  @@map("users")
}

model Membership {
  userId  Int @map("user_id")
  groupId Int @map("group_id")
  @@id([userId, groupId])
}
"""
DDL = """
CREATE TYPE user_role AS ENUM ('USER', 'ADMIN');
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, display_name text,
                    role user_role NOT NULL DEFAULT 'USER');
CREATE TABLE "Membership" (user_id int, group_id int, PRIMARY KEY (user_id, group_id));
"""
U = '"public"."users"'
COLUMNS = f'{U}."id", {U}."email", {U}."display_name", {U}."role"'
ROLE = 'CAST($3::text AS "public"."user_role")'


def test_each_operation_as_prisma_writes_it() -> None:
    queries = {q.name: q.sql for q in prisma_queries(parse_prisma_schema(SCHEMA))}
    assert queries["User.findUnique"] == (
        f'SELECT {COLUMNS} FROM {U} WHERE ({U}."id" = $1 AND 1=1) LIMIT $2 OFFSET $3'
    )
    assert queries["User.findMany"] == f"SELECT {COLUMNS} FROM {U} WHERE 1=1 OFFSET $1"
    assert queries["User.create"] == (
        f'INSERT INTO {U} ("email","display_name","role") VALUES ($1,$2,{ROLE}) RETURNING {COLUMNS}'
    )
    assert queries["User.update"] == (
        f'UPDATE {U} SET "email" = $1, "display_name" = $2, "role" = {ROLE} '
        f'WHERE ({U}."id" = $4 AND 1=1) RETURNING {COLUMNS}'
    )
    assert queries["User.delete"] == f'DELETE FROM {U} WHERE ({U}."id" = $1 AND 1=1)'
    m = '"public"."Membership"'
    assert queries["Membership.delete"] == (
        f'DELETE FROM {m} WHERE ({m}."user_id" = $1 AND {m}."group_id" = $2 AND 1=1)'
    )
    assert "Membership.update" not in queries  # only its id columns: nothing to set


def test_every_generated_query_prepares_on_the_schema_it_describes(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(DDL)
    corpus = QueryCorpus(queries=prisma_queries(parse_prisma_schema(SCHEMA)))
    checks = check_queries(database_url, read_queries(corpus.to_json()))
    assert [(c.query, c.error) for c in checks if not c.new_schema_ok] == []
    assert len(checks) == 9


def test_a_model_without_a_way_to_find_a_row_is_refused() -> None:
    with pytest.raises(PrismaSchemaError, match=r"Log \(line 1\): no @id, @@id or @unique"):
        prisma_queries(parse_prisma_schema("model Log {\n  message String\n}\n"))
