"""Which statements depend on each other: the same object defined twice, or defined and then used."""

from __future__ import annotations

import pytest
from pglast import parser

from zdt.analysis.object_keys import ObjectKeys, object_keys


def _keys(sql: str) -> ObjectKeys:
    statement = parser.parse_sql(sql)[0].stmt
    assert statement is not None
    return object_keys(statement)


@pytest.mark.parametrize(
    ("earlier", "later", "shared"),
    [
        ("DROP INDEX IF EXISTS t_a_idx", "CREATE INDEX t_a_idx ON t (a, b)", ("relation", "public.t_a_idx")),
        ("ALTER TABLE t DROP COLUMN b", "ALTER TABLE t ADD COLUMN b int", ("column", "public.t.b")),
        ("ALTER TABLE t DROP COLUMN b", "CREATE INDEX t_b ON t (b)", ("column", "public.t.b")),
        (
            "ALTER TABLE t DROP CONSTRAINT t_pkey",
            "ALTER TABLE t ADD PRIMARY KEY (id)",
            ("constraint", "public.t.t_pkey"),
        ),
        (
            "ALTER TABLE t DROP CONSTRAINT t_pkey",
            "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id)",
            ("constraint", "public.t.t_pkey"),
        ),
        (
            'ALTER TYPE "Role" RENAME TO "Role_old"',
            "CREATE TYPE \"Role\" AS ENUM ('a')",
            ("type", 'public."Role"'),
        ),
        (
            "CREATE TYPE \"Role\" AS ENUM ('a')",
            'ALTER TABLE u ALTER COLUMN role TYPE "Role" USING role::text::"Role"',
            ("type", 'public."Role"'),
        ),
        ("DROP VIEW v", "CREATE VIEW v AS SELECT 1", ("relation", "public.v")),
        (
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            "ALTER TABLE t DISABLE TRIGGER tr",
            ("trigger", "public.t.tr"),
        ),
        ("ALTER TABLE t ENABLE ALWAYS TRIGGER tr", "DROP TRIGGER tr ON t", ("trigger", "public.t.tr")),
        ("CREATE TABLE s.t2 (id int)", "CREATE INDEX t2_id ON s.t2 (id)", ("column", "s.t2.id")),
        ("ALTER TABLE t RENAME COLUMN a TO z", "UPDATE t SET c = z", ("column", "public.t.z")),
        (
            "DROP FUNCTION f(int)",
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            ("function", "public.f"),
        ),
        (
            "DROP FUNCTION f(int)",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            ("function", "public.f"),
        ),
        # A DO block has the keys of the statements in its body, EXECUTE of a constant included.
        (
            "DO $$ BEGIN CREATE TABLE tags (id int); END $$",
            "CREATE INDEX tags_id ON tags (id)",
            ("column", "public.tags.id"),
        ),
        (
            "DO $$ BEGIN EXECUTE 'ALTER TABLE t DROP COLUMN b'; END $$",
            "CREATE INDEX t_b ON t (b)",
            ("column", "public.t.b"),
        ),
        ("DO $$ BEGIN UPDATE t SET b = 1; END $$", "ALTER TABLE t ADD COLUMN c int", None),
        # Different objects of one table: grouping them by phase is safe.
        ("ALTER TABLE t DROP COLUMN b", "ALTER TABLE t ADD COLUMN c int", None),
        ("ALTER TABLE t DROP COLUMN b", "CREATE INDEX t_c ON t (c)", None),
        ("DROP INDEX t_x_idx", "CREATE INDEX t_y_idx ON t (y)", None),
    ],
)
def test_dependency(earlier: str, later: str, shared: tuple[str, str] | None) -> None:
    assert _keys(later).shared_with(_keys(earlier)) == shared
