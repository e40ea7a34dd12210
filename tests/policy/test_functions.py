"""Side effects hidden in expressions: the gate refuses every function it does not know safe, by name.

Played on a real server: the schema is read (its pg_proc, its own functions' bodies), the SQL is planned
by the recipes and checked by the gate, exactly as ``zdt plan`` and a session's gate do.
"""

from __future__ import annotations

import psycopg
import pytest
from pglast import ast

from zdt.analysis.source import parse_statements
from zdt.plan.check import check_plan
from zdt.policy import FunctionCatalogue, PolicyViolation, check_script
from zdt.recipes.planner import plan_sql
from zdt.schema.snapshot import SchemaSnapshot, introspect

SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE posts (id bigint PRIMARY KEY, author_id bigint, title text NOT NULL, score integer);
INSERT INTO users SELECT g, 'u' || g || '@example.org' FROM generate_series(1, 50) g;
INSERT INTO posts SELECT g, g % 50 + 1, 'post ' || g, g FROM generate_series(1, 200) g;
-- declared IMMUTABLE, yet deletes every user: what an adversarial model would hide in an index
CREATE FUNCTION purge_users(bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN DELETE FROM users; RETURN $1; END $$;
CREATE FUNCTION title_key(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(btrim(t)) $$;
"""


@pytest.fixture
def snapshot(database_url: str) -> SchemaSnapshot:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        return introspect(conn)


def _problems(sql: str, snapshot: SchemaSnapshot | None) -> list[str]:
    plan = plan_sql(sql, snapshot=snapshot)
    return [str(problem) for problem in check_plan(plan, snapshot)]


HIDDEN = [
    pytest.param(
        "ALTER TABLE posts ADD CONSTRAINT posts_slot CHECK "
        "(pg_create_physical_replication_slot('zdt_evil') IS NOT NULL) NOT VALID;",
        "pg_create_physical_replication_slot",
        id="check",
    ),
    pytest.param(
        "ALTER TABLE posts ADD COLUMN export text "
        "DEFAULT query_to_xml('SELECT lo_export(1, ''/tmp/x'')', true, false, '')::text;",
        "query_to_xml",
        id="default-through-a-query-string",
    ),
    pytest.param(
        "ALTER TABLE posts ADD COLUMN g bigint GENERATED ALWAYS AS (purge_users(id)) STORED;",
        "purge_users",
        id="generated",
    ),
    pytest.param(
        "CREATE INDEX CONCURRENTLY posts_purge ON posts ((purge_users(id)));",
        "purge_users",
        id="index-expression",
    ),
    pytest.param(
        "ALTER TABLE posts ALTER COLUMN score TYPE bigint USING purge_users(score);",
        "purge_users",
        id="using",
    ),
    pytest.param(
        "UPDATE posts SET title = upper(title) WHERE pg_advisory_lock(id) IS NOT NULL;",
        "pg_advisory_lock",
        id="update-where",
    ),
    pytest.param(
        "INSERT INTO users (id, email) SELECT 1000, pg_read_file('/etc/passwd');",
        "pg_read_file",
        id="insert-select",
    ),
    pytest.param(
        "DO $$ BEGIN PERFORM pg_create_logical_replication_slot('zdt_evil', 'pgoutput'); END $$;",
        "pg_create_logical_replication_slot",
        id="do-block",
    ),
    pytest.param(
        "CREATE TABLE post_stats AS SELECT * FROM ts_stat('SELECT to_tsvector(title) FROM posts');",
        "ts_stat",
        id="create-table-as",
    ),
    pytest.param(
        "CREATE VIEW post_titles AS SELECT id, extensions.exfiltrate(title) AS title FROM posts;",
        "extensions.exfiltrate",
        id="view-body",
    ),
    pytest.param(
        "CREATE FUNCTION run_it(q text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$ "
        "BEGIN EXECUTE q; RETURN 1; END $$;\n"
        "ALTER TABLE posts ADD CONSTRAINT posts_run CHECK (run_it('DELETE FROM users') = 1) NOT VALID;",
        "run_it",
        id="a-plan-function-running-sql-built-at-run-time",
    ),
]


@pytest.mark.parametrize(("sql", "function"), HIDDEN)
def test_a_hidden_side_effect_is_refused_by_the_gate_naming_the_function(
    snapshot: SchemaSnapshot, sql: str, function: str
) -> None:
    problems = _problems(sql, snapshot)
    named = [p for p in problems if f"calls {function}" in p or f"calls public.{function}" in p]
    assert named, problems
    assert "refused by policy" in named[0]


def test_the_refusal_says_where_and_why(snapshot: SchemaSnapshot) -> None:
    problems = _problems(HIDDEN[0].values[0], snapshot)  # type: ignore[arg-type]
    assert any("at line 1, column " in p and "replication slot" in p for p in problems), problems
    problems = _problems(HIDDEN[1].values[0], snapshot)  # type: ignore[arg-type]
    assert any("runs a query given as a string" in p and "reaches lo_export" in p for p in problems)
    problems = _problems(HIDDEN[3].values[0], snapshot)  # type: ignore[arg-type]
    assert any("public.purge_users (the schema)" in p and "writes data" in p for p in problems), problems


def test_nothing_ran_when_the_gate_refused(snapshot: SchemaSnapshot, database_url: str) -> None:
    assert _problems("CREATE INDEX CONCURRENTLY posts_purge ON posts ((purge_users(id)));", snapshot)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (50,)
        assert conn.execute("SELECT count(*) FROM pg_replication_slots").fetchone() == (0,)


def test_a_benign_plan_with_now_uuid_and_lower_still_plans(snapshot: SchemaSnapshot) -> None:
    sql = """
        ALTER TABLE posts ADD COLUMN created_at timestamptz DEFAULT now();
        ALTER TABLE posts ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
        ALTER TABLE posts ADD CONSTRAINT posts_title_length CHECK (length(title) < 500) NOT VALID;
        CREATE INDEX CONCURRENTLY posts_lower_title ON posts (lower(title));
        CREATE INDEX CONCURRENTLY posts_title_key ON posts (title_key(title));
        CREATE SEQUENCE post_numbers;
        ALTER TABLE posts ADD COLUMN number bigint DEFAULT nextval('post_numbers');
        UPDATE posts SET title = btrim(title) WHERE coalesce(score, 0) > 10 AND title <> btrim(title);
    """
    assert _problems(sql, snapshot) == []


def test_known_extension_functions_plan_and_unknown_ones_say_what_to_do(snapshot: SchemaSnapshot) -> None:
    """pgcrypto's token generator and ltree's conversion (documenso, crates.io) only compute their value;
    a function zdt does not know is refused with the way out. The gate judges by name: the extensions
    need not be installed on the test server."""
    known = """
        ALTER TABLE posts ADD COLUMN token text DEFAULT encode(gen_random_bytes(8), 'hex');
        UPDATE posts SET title = ltree2text(text2ltree('a.b')) WHERE score > 10;
    """
    assert _problems(known, snapshot) == []
    [problem] = _problems("ALTER TABLE posts ADD COLUMN x text DEFAULT mystery_ext_fn();", snapshot)
    assert "mystery_ext_fn" in problem and "no extension function zdt knows" in problem
    assert "run this statement by hand outside the migration" in problem


def test_a_trigger_function_the_plan_creates_is_read_through(snapshot: SchemaSnapshot) -> None:
    touch = """
        ALTER TABLE posts ADD COLUMN updated_at timestamptz;
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
        CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
    """
    assert _problems(touch, snapshot) == []
    leak = touch.replace("NEW.updated_at := now();", "PERFORM dblink_exec('host=evil', 'DELETE FROM users');")
    assert any("calls dblink_exec" in p for p in _problems(leak, snapshot))


def test_a_procedure_called_may_write_but_not_escape(snapshot: SchemaSnapshot) -> None:
    catalogue = FunctionCatalogue.for_plan(snapshot)
    create = (
        "CREATE PROCEDURE archive_posts() LANGUAGE plpgsql AS $$ BEGIN "
        "DELETE FROM posts WHERE score < 0; {extra} END $$"
    )
    plain = FunctionCatalogue.for_plan(snapshot, [_parsed(create.format(extra=""))])
    check_script("CALL archive_posts()", phase="migrate", functions=plain)
    leaking = create.format(extra="PERFORM pg_create_logical_replication_slot('s', 'pgoutput');")
    with pytest.raises(PolicyViolation, match="pg_create_logical_replication_slot"):
        check_script(
            "CALL archive_posts()",
            phase="migrate",
            functions=catalogue.for_plan(snapshot, [_parsed(leaking)]),
        )


def _parsed(sql: str) -> ast.CreateFunctionStmt:
    node = parse_statements(sql)[0].node
    assert isinstance(node, ast.CreateFunctionStmt)
    return node


def test_the_servers_catalogue_decides_when_there_is_one(snapshot: SchemaSnapshot) -> None:
    assert snapshot.builtin_volatility["lower"] == "i"
    assert snapshot.builtin_volatility["pg_sleep"] == "v"
    catalogue = FunctionCatalogue.for_plan(snapshot)
    assert catalogue.source == "pg_proc"
    check_script("SELECT lower('A'), now(), gen_random_uuid()", functions=catalogue)
    with pytest.raises(PolicyViolation, match="calls pg_sleep at line 1, column 8: it is VOLATILE"):
        check_script("SELECT pg_sleep(10)", functions=catalogue)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT dblink_exec('host=evil', 'DROP TABLE users')",
        "SELECT lo_export(1, '/tmp/x')",
        "SELECT loread(0, 10)",
        "SELECT pg_catalog.pg_ls_dir('.')",
        "SELECT pg_logical_emit_message(true, 'x', 'y')",
        "SELECT pg_drop_replication_slot('s')",
        "SELECT table_to_xml('pg_authid', true, false, '')",
        "COPY users TO '/tmp/users.csv'",
    ],
)
def test_escape_hatches_are_refused_whoever_asks(sql: str) -> None:
    with pytest.raises(PolicyViolation):
        check_script(sql, phase="migrate")


def test_every_function_in_nested_query_strings_is_reached() -> None:
    inner = "SELECT dblink_exec('x', 'y')".replace("'", "''")
    outer = f"SELECT query_to_xml('{inner}', true, false, '')".replace("'", "''")
    nested = f"SELECT query_to_xml('{outer}', true, false, '')"
    with pytest.raises(PolicyViolation, match="reaches query_to_xml, dblink_exec"):
        check_script(nested, phase="expand")


def test_without_a_server_the_list_of_built_ins_decides() -> None:
    catalogue = FunctionCatalogue.for_plan(None)
    check_script("SELECT lower(title), date_trunc('day', now()) FROM posts", functions=catalogue)
    with pytest.raises(PolicyViolation, match="plan with --database-url"):
        check_script("SELECT my_function(1)", functions=catalogue)
    with pytest.raises(PolicyViolation, match=r"calls public\.f"):
        check_script("CREATE INDEX i ON t ((public.f(a)))", functions=catalogue)
    with pytest.raises(PolicyViolation, match="DO block line 1"):
        check_script("DO $$ BEGIN PERFORM pg_sleep(1); END $$", functions=catalogue)


DIESEL_SETUP = """
CREATE OR REPLACE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s
                    FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl);
END;
$$ LANGUAGE plpgsql;
"""


def test_a_function_only_defined_is_judged_where_it_is_used(snapshot: SchemaSnapshot) -> None:
    """diesel's setup migration defines a function that builds SQL at run time: defining it runs nothing
    (it plans, as it did before); calling it from the plan is refused, naming why."""
    assert _problems(DIESEL_SETUP, snapshot) == []
    called = DIESEL_SETUP + "DO $$ BEGIN PERFORM diesel_manage_updated_at('posts'); END $$;"
    assert any("runs SQL built at run time" in p for p in _problems(called, snapshot))
    hatch = DIESEL_SETUP.replace("EXECUTE format(", "PERFORM lo_import('/etc/passwd'); EXECUTE format(")
    assert any("its body calls lo_import" in p for p in _problems(hatch, snapshot))


def test_a_trigger_function_may_call_a_function_that_writes(snapshot: SchemaSnapshot) -> None:
    sql = """
        CREATE TABLE post_counts (author_id bigint PRIMARY KEY, posts bigint NOT NULL);
        CREATE FUNCTION count_post(author bigint) RETURNS void LANGUAGE sql AS $$
            INSERT INTO post_counts VALUES (author, 1)
            ON CONFLICT (author_id) DO UPDATE SET posts = post_counts.posts + 1 $$;
        CREATE FUNCTION posts_counted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM count_post(NEW.author_id); RETURN NEW; END $$;
        CREATE TRIGGER posts_counted AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION posts_counted();
    """
    assert _problems(sql, snapshot) == []
    in_a_check = sql + "ALTER TABLE posts ADD CONSTRAINT c CHECK (count_post(author_id) IS NULL) NOT VALID;"
    assert any("count_post" in p and "writes data" in p for p in _problems(in_a_check, snapshot))
