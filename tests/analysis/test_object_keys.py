"""Which statements depend on each other: the same object defined twice, or defined and then used."""

from __future__ import annotations

import pytest
from pglast import parser

from zdt.analysis.object_keys import ObjectKeys, ViewColumns, object_keys
from zdt.schema.snapshot import ColumnInfo, SchemaSnapshot, TableInfo


def _keys(sql: str, views: ViewColumns | None = None) -> ObjectKeys:
    statement = parser.parse_sql(sql)[0].stmt
    assert statement is not None
    return object_keys(statement, views)


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


# What the snapshot of a table with two views says: pg_depend's columns of each view.
VIEWS = SchemaSnapshot(
    server_version=18,
    tables={
        "public.p": TableInfo(
            name="public.p",
            kind="r",
            columns={
                name: ColumnInfo(name=name, type=kind, base_type=kind, not_null=False)
                for name, kind in [("id", "bigint"), ("name", "character varying(20)"), ("bio", "text")]
            },
            dependent_views=["public.p_all", "public.p_bio"],
            view_columns={"public.p_all": ["bio", "id", "name"], "public.p_bio": ["bio", "id"]},
        )
    },
)


@pytest.mark.parametrize(
    ("earlier", "later", "shared"),
    [
        # lemmy 2021-07-20-102033_actor_name_length: a type change of a column the dropped view read.
        ("DROP VIEW p_all", "ALTER TABLE p ALTER COLUMN name TYPE varchar(255)", ("column", "public.p.name")),
        ("DROP VIEW IF EXISTS p_bio, p_all", "ALTER TABLE p DROP COLUMN name", ("column", "public.p.name")),
        ("DROP VIEW p_bio", "ALTER TABLE p ALTER COLUMN name TYPE varchar(255)", None),
        # A view created after the change reads the column's new type (with * every column).
        (
            "ALTER TABLE p ALTER COLUMN name TYPE text",
            "CREATE VIEW v AS SELECT * FROM p",
            ("column", "public.p.name"),
        ),
        (
            "ALTER TABLE p DROP COLUMN bio",
            "CREATE VIEW v AS SELECT q.bio FROM p q",
            ("column", "public.p.bio"),
        ),
        (
            "ALTER TABLE p DROP COLUMN bio",
            "CREATE MATERIALIZED VIEW v AS SELECT p.* FROM p",
            ("column", "public.p.bio"),
        ),
        ("ALTER TABLE p DROP COLUMN bio", "CREATE VIEW v AS SELECT id, name FROM p", None),
    ],
)
def test_view_dependency(earlier: str, later: str, shared: tuple[str, str] | None) -> None:
    views = ViewColumns(VIEWS)
    assert _keys(later, views).shared_with(_keys(earlier, views)) == shared


def test_a_view_the_file_creates_is_remembered_for_its_drop() -> None:
    views = ViewColumns(VIEWS)
    _keys("CREATE VIEW p_all AS SELECT id FROM p", views)  # replaces the snapshot's p_all
    drop = _keys("DROP VIEW p_all", views)
    assert _keys("ALTER TABLE p ALTER COLUMN id TYPE int", views).shared_with(drop) == (
        "column",
        "public.p.id",
    )
    assert _keys("ALTER TABLE p ALTER COLUMN name TYPE text", views).shared_with(drop) is None
