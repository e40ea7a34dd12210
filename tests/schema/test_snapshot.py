"""The snapshot's functions and views: the definitions recipes re-create them from, read from a real
server, with extension-owned objects left out and the fingerprint untouched."""

from __future__ import annotations

import psycopg

from zdt.schema import introspect
from zdt.schema.snapshot import SchemaSnapshot, fingerprint_of


def test_functions_are_read_with_their_signature_kind_language_and_definition(
    conn: psycopg.Connection,
) -> None:
    conn.execute(
        "CREATE FUNCTION label(a integer, OUT b text, VARIADIC c varchar[]) LANGUAGE sql "
        "AS $$ SELECT a::text $$"
    )
    conn.execute("CREATE PROCEDURE tidy(days int) LANGUAGE plpgsql AS $$ BEGIN PERFORM days; END $$")
    conn.execute("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
    functions = introspect(conn).functions
    assert set(functions) == {
        "public.label(integer, character varying[])",
        "public.tidy(integer)",
        "public.touch()",
    }
    label = functions["public.label(integer, character varying[])"]
    assert (label.name, label.kind, label.language) == ("public.label", "f", "sql")
    assert label.argument_types == ["integer", "character varying[]"]  # OUT b is a result
    assert label.definition.startswith("CREATE OR REPLACE FUNCTION public.label(")
    assert functions["public.tidy(integer)"].kind == "p"
    assert functions["public.touch()"].returns == "trigger"


def test_views_are_read_with_their_query_options_and_grants(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)")
    conn.execute("CREATE VIEW titles WITH (security_barrier) AS SELECT id, title FROM posts")
    conn.execute("GRANT SELECT ON titles TO PUBLIC")
    conn.execute("CREATE MATERIALIZED VIEW counts AS SELECT count(*) AS n FROM posts WITH NO DATA")
    snapshot = introspect(conn)
    titles = snapshot.views["public.titles"]
    assert titles.kind == "v" and "FROM posts" in titles.definition
    assert titles.options == ["security_barrier=true"]
    assert titles.grants == ["GRANT SELECT ON public.titles TO PUBLIC"]
    counts = snapshot.views["public.counts"]
    assert (counts.kind, counts.populated) == ("m", False)
    assert snapshot.tables["public.titles"].kind == "v"  # still listed with its columns


def test_extension_objects_are_left_out_and_the_fingerprint_ignores_definitions(
    conn: psycopg.Connection,
) -> None:
    conn.execute("CREATE TABLE posts (id bigint PRIMARY KEY, title text)")
    conn.execute("CREATE FUNCTION owned() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$")
    conn.execute("ALTER EXTENSION plpgsql ADD FUNCTION owned()")  # now the extension's
    conn.execute("CREATE VIEW titles AS SELECT id, title FROM posts")
    before = fingerprint_of(conn)
    assert "public.owned()" not in introspect(conn).functions
    conn.execute("CREATE FUNCTION mine() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$")
    conn.execute("CREATE OR REPLACE VIEW titles AS SELECT id, title FROM posts WHERE id > 0")
    assert fingerprint_of(conn) == before == introspect(conn).fingerprint()
    assert introspect(conn, definitions=False).views == {}
    conn.execute("ALTER EXTENSION plpgsql DROP FUNCTION owned()")


def test_what_uses_each_column_is_read_for_indexes_views_and_triggers(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, a int, c int, UNIQUE (a, c))")
    conn.execute("CREATE INDEX t_c_idx ON t (c)")
    conn.execute("CREATE VIEW v AS SELECT id, c FROM t")
    conn.execute("CREATE VIEW w AS SELECT count(*) FROM t")
    conn.execute("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
    conn.execute("CREATE TRIGGER t_c BEFORE UPDATE OF c ON t FOR EACH ROW EXECUTE FUNCTION touch()")
    conn.execute(
        "CREATE TRIGGER t_a BEFORE UPDATE ON t FOR EACH ROW WHEN (NEW.a > 0) EXECUTE FUNCTION touch()"
    )
    conn.execute("CREATE TRIGGER t_any BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()")
    table = introspect(conn).tables["public.t"]
    assert {index.name: index.constraint for index in table.indexes} == {
        "public.t_pkey": "p",
        "public.t_a_c_key": "u",
        "public.t_c_idx": "",
    }
    assert table.view_columns == {"public.v": ["c", "id"], "public.w": []}
    assert table.trigger_columns == {"t_c": ["c"], "t_a": ["a"]}  # UPDATE OF and WHEN; t_any uses none


def test_trigger_definitions_and_states_are_read_with_the_definitions(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
    conn.execute("CREATE TABLE r (id int PRIMARY KEY, t_id int REFERENCES t)")  # FK triggers are internal
    conn.execute("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
    conn.execute(
        'CREATE TRIGGER "T a" BEFORE UPDATE ON t FOR EACH ROW WHEN (NEW.a > 0) EXECUTE FUNCTION touch()'
    )
    conn.execute("CREATE TRIGGER t_off AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch()")
    conn.execute("ALTER TABLE t DISABLE TRIGGER t_off")
    before = fingerprint_of(conn)
    snapshot = introspect(conn)
    assert set(snapshot.trigger_definitions) == {"public.t"}
    when = snapshot.trigger("public.t", "T a")
    assert when is not None and when.enabled == "O"
    assert when.definition == (
        'CREATE TRIGGER "T a" BEFORE UPDATE ON public.t FOR EACH ROW WHEN ((new.a > 0)) '
        "EXECUTE FUNCTION touch()"
    )
    off = snapshot.trigger("public.t", "t_off")
    assert off is not None and off.enabled == "D"
    assert introspect(conn, definitions=False).trigger_definitions == {}
    assert snapshot.fingerprint() == before  # the definitions are not part of the fingerprint


def test_is_enum_reads_format_type_spellings() -> None:
    snapshot = SchemaSnapshot(server_version=15, enums={'public."Role"': ["A"], "billing.plan": ["free"]})
    assert snapshot.is_enum('"Role"') and snapshot.is_enum('public."Role"') and snapshot.is_enum('"Role"[]')
    assert snapshot.is_enum("billing.plan") and not snapshot.is_enum("plan")
    assert not snapshot.is_enum("Role") and not snapshot.is_enum("text")
