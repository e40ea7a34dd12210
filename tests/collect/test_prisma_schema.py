"""The schema.prisma reader: models, fields, @map/@@map, @id/@@id, relations, enums; errors with lines."""

from __future__ import annotations

import pytest

from zdt.collect.prisma_schema import PrismaSchemaError, parse_prisma_schema

SCHEMA = """\
// comment
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

enum Role {
  USER  // a value
  ADMIN
  @@map("user_role")
}

/// documentation comment
model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique @db.VarChar(255)
  name      String?  @map("display_name")
  role      Role     @default(USER)
  tags      String[]
  posts     Post[]
  legacy    Unsupported("circle")?
  createdAt DateTime @default(now()) @map("created_at")

  @@map("users")
  @@schema("app")
}

model Membership {
  userId  Int  @map("user_id")
  groupId Int  @map("group_id")
  user    User @relation(fields: [userId], references: [id], onDelete: Cascade)

  @@id([userId, groupId])
}
"""


def test_models_fields_and_mapped_names() -> None:
    schema = parse_prisma_schema(SCHEMA)
    user, membership = schema.models
    assert (user.name, user.table, user.schema, user.line) == ("User", "users", "app", 14)
    assert [(f.name, f.type, f.column, f.optional, f.is_list) for f in user.fields] == [
        ("id", "Int", "id", False, False),
        ("email", "String", "email", False, False),
        ("name", "String", "display_name", True, False),
        ("role", "Role", "role", False, False),
        ("tags", "String", "tags", False, True),
        ("posts", "Post", "posts", False, True),
        ("createdAt", "DateTime", "created_at", False, False),
    ]
    assert [f.default_function for f in user.fields] == [
        "autoincrement",
        None,
        None,
        "USER",
        None,
        None,
        "now",
    ]
    assert (membership.table, membership.schema) == ("Membership", "public")
    id_attribute = membership.block_attribute("id")
    assert id_attribute is not None and id_attribute.names_in_list() == ["userId", "groupId"]
    assert schema.enums["Role"].table == "user_role"
    assert schema.is_scalar("Role") and not schema.is_scalar("Post")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model A {\n  id Int @id\n", r"s.prisma:1: block model A is not closed"),
        ("model A {\n  id Int @id(\n}\n", r"s.prisma:2: unclosed '\(' in @id"),
        ('model A {\n  id Int @map("x)\n}\n', r"s.prisma:2: unterminated string"),
        ("model A {\n  id\n}\n", r"s.prisma:2: expected 'name Type'"),
        ("model A {\n  id Int # x\n}\n", r"s.prisma:2: unexpected character '#'"),
        ("widget A {\n}\n", r"s.prisma:1: unknown block 'widget'"),
        ("id Int\n", r"s.prisma:1: expected a block"),
    ],
)
def test_what_it_cannot_read_is_named_with_file_and_line(text: str, message: str) -> None:
    with pytest.raises(PrismaSchemaError, match=message):
        parse_prisma_schema(text, "s.prisma")
