"""Statements whose real behaviour (locks, rewrites, scans, blocking) is measured by zdt.analysis.trace.

Each case runs in a fresh database: the shared ``BASE_SETUP`` (realistic tables with a few hundred rows)
plus its own extra setup, then the one traced statement. The analyser's claims for the same statement
can then be compared with the measured truth. A case whose ``expect_error`` is set fails on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import pglast
import psycopg

from zdt.analysis.trace import PROBE_LOCK_TIMEOUT_MS, TraceResult, trace_script
from zdt.db.scratch import scratch_database

BASE_SETUP = """
CREATE TYPE mood AS ENUM ('happy', 'sad');

CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    name varchar(50),
    nickname varchar(100),
    bio text,
    age int,
    balance numeric(10, 2),
    created_at timestamp NOT NULL DEFAULT now(),
    mood mood,
    status text DEFAULT 'active'
);
INSERT INTO users
SELECT g, 'user' || g || '@example.com', 'User ' || g, 'nick' || g, repeat('bio ', 20), 20 + g % 50,
       g * 1.5, timestamp '2024-01-01' + g * interval '1 hour', 'happy', 'active'
FROM generate_series(1, 400) g;

CREATE TABLE posts (
    id bigint PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES users (id),
    editor_id bigint,
    title varchar(100) NOT NULL,
    body text,
    created_at timestamp NOT NULL DEFAULT now(),
    published boolean NOT NULL DEFAULT false
);
INSERT INTO posts
SELECT g, 1 + g % 400, 1 + (g * 7) % 400, 'Post ' || g, repeat('lorem ipsum ', 10),
       timestamp '2024-01-01' + g * interval '1 minute', g % 2 = 0
FROM generate_series(1, 600) g;
CREATE INDEX posts_author_id_idx ON posts (author_id);

CREATE TABLE comments (
    id bigint PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES posts (id),
    body text
);
INSERT INTO comments SELECT g, 1 + g % 600, 'comment ' || g FROM generate_series(1, 300) g;

CREATE TABLE user_settings (
    user_id bigint PRIMARY KEY REFERENCES users (id),
    theme text NOT NULL DEFAULT 'light'
);
INSERT INTO user_settings SELECT g, 'dark' FROM generate_series(1, 200) g;

CREATE TABLE audit_log (
    id bigint NOT NULL,
    happened_at timestamptz NOT NULL DEFAULT now(),
    payload text
);
INSERT INTO audit_log SELECT g, now(), 'event ' || g FROM generate_series(1, 300) g;
"""

EVENTS_SETUP = """
CREATE TABLE events (id bigint NOT NULL, happened_on date NOT NULL, payload text)
    PARTITION BY RANGE (happened_on);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO events SELECT g, date '2024-01-01' + g % 360, 'e' || g FROM generate_series(1, 300) g;
CREATE TABLE events_2025 (id bigint NOT NULL, happened_on date NOT NULL, payload text);
INSERT INTO events_2025 SELECT g, date '2025-01-01' + g % 360, 'e' || g FROM generate_series(1, 300) g;
"""

RESET_PUBLIC = "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"

POST_COUNTS = "CREATE MATERIALIZED VIEW post_counts AS SELECT author_id, count(*) AS n FROM posts GROUP BY 1"

TOUCH_FUNCTION = """
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.status := coalesce(NEW.status, 'active');
    RETURN NEW;
END $$;
"""


@dataclass(frozen=True)
class ClaimCase:
    """One statement to measure, with the schema it needs and the server versions it applies to."""

    id: str
    setup: str
    statement: str
    min_pg_version: int | None = None
    max_pg_version: int | None = None
    session: tuple[str, ...] = ()
    expect_error: str | None = None
    """SQLSTATE the statement must fail with, when failing is the point of the case."""
    note: str = ""

    def applies_to(self, version: int) -> bool:
        """Is the case meant to run on a server of this major version?"""
        too_old = self.min_pg_version is not None and version < self.min_pg_version
        too_new = self.max_pg_version is not None and version > self.max_pg_version
        return not (too_old or too_new)


def case(
    id: str,
    statement: str,
    extra_setup: str = "",
    *,
    min_pg_version: int | None = None,
    max_pg_version: int | None = None,
    session: tuple[str, ...] = (),
    expect_error: str | None = None,
    note: str = "",
) -> ClaimCase:
    """A case on the base schema plus ``extra_setup``."""
    return ClaimCase(
        id=id,
        setup=BASE_SETUP + extra_setup,
        statement=statement,
        min_pg_version=min_pg_version,
        max_pg_version=max_pg_version,
        session=session,
        expect_error=expect_error,
        note=note,
    )


CASES: list[ClaimCase] = [
    # --- ALTER TABLE ... ADD COLUMN -----------------------------------------------------------------
    case("add_column_nullable", "ALTER TABLE users ADD COLUMN phone text"),
    case(
        "add_column_not_null_default_const",
        "ALTER TABLE users ADD COLUMN verified boolean NOT NULL DEFAULT false",
    ),
    case("add_column_default_now", "ALTER TABLE users ADD COLUMN added_at timestamptz DEFAULT now()"),
    case("add_column_default_random", "ALTER TABLE users ADD COLUMN r double precision DEFAULT random()"),
    case(
        "add_column_default_clock_timestamp",
        "ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp()",
    ),
    case(
        "add_column_default_gen_random_uuid",
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",
    ),
    case("add_column_serial", "ALTER TABLE users ADD COLUMN seq serial"),
    case("add_column_identity", "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY"),
    case(
        "add_column_stored_generated",
        "ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED",
    ),
    case(
        "add_column_virtual_generated",
        "ALTER TABLE users ADD COLUMN email_upper text GENERATED ALWAYS AS (upper(email)) VIRTUAL",
        min_pg_version=18,
    ),
    case("add_column_references", "ALTER TABLE posts ADD COLUMN reviewer_id bigint REFERENCES users (id)"),
    case("add_column_unique", "ALTER TABLE users ADD COLUMN code text UNIQUE"),
    # --- DROP COLUMN ---------------------------------------------------------------------------------
    case("drop_column", "ALTER TABLE users DROP COLUMN bio"),
    case("drop_column_indexed", "ALTER TABLE posts DROP COLUMN author_id"),
    # --- ALTER COLUMN TYPE ---------------------------------------------------------------------------
    case("type_int_to_bigint", "ALTER TABLE users ALTER COLUMN age TYPE bigint"),
    case("type_varchar50_to_varchar100", "ALTER TABLE users ALTER COLUMN name TYPE varchar(100)"),
    case("type_varchar100_to_varchar50", "ALTER TABLE users ALTER COLUMN nickname TYPE varchar(50)"),
    case("type_varchar_to_text", "ALTER TABLE users ALTER COLUMN name TYPE text"),
    case("type_text_to_varchar", "ALTER TABLE users ALTER COLUMN bio TYPE varchar"),
    case("type_text_to_varchar200", "ALTER TABLE users ALTER COLUMN bio TYPE varchar(200)"),
    case("type_numeric_10_2_to_12_2", "ALTER TABLE users ALTER COLUMN balance TYPE numeric(12, 2)"),
    case("type_numeric_10_2_to_10_4", "ALTER TABLE users ALTER COLUMN balance TYPE numeric(10, 4)"),
    case("type_int_to_text", "ALTER TABLE users ALTER COLUMN age TYPE text"),
    case(
        "type_timestamp_to_timestamptz_utc",
        "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz",
        session=("SET TimeZone = 'UTC'",),
    ),
    case(
        "type_timestamp_to_timestamptz_new_york",
        "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz",
        session=("SET TimeZone = 'America/New_York'",),
    ),
    case(
        "type_indexed_varchar_widen",
        "ALTER TABLE posts ALTER COLUMN title TYPE varchar(200)",
        "CREATE INDEX posts_title_idx ON posts (title);",
    ),
    case("type_fk_column_bigint_to_int", "ALTER TABLE posts ALTER COLUMN author_id TYPE int"),
    case(
        "set_expression",
        "ALTER TABLE users ALTER COLUMN email_lower SET EXPRESSION AS (upper(email))",
        "ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;",
        min_pg_version=17,
    ),
    # --- defaults and NOT NULL -----------------------------------------------------------------------
    case("set_default", "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'new'"),
    case("drop_default", "ALTER TABLE users ALTER COLUMN status DROP DEFAULT"),
    case("set_not_null", "ALTER TABLE users ALTER COLUMN name SET NOT NULL"),
    case(
        "set_not_null_with_valid_check",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
        "ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL);",
    ),
    case(
        "set_not_null_with_validated_not_valid_check",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
        "ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;"
        "ALTER TABLE users VALIDATE CONSTRAINT users_name_not_null;",
    ),
    case(
        "set_not_null_with_unvalidated_check",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
        "ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;",
    ),
    case("drop_not_null", "ALTER TABLE users ALTER COLUMN email DROP NOT NULL"),
    case(
        "add_not_null_constraint_not_valid",
        "ALTER TABLE users ADD CONSTRAINT users_name_nn NOT NULL name NOT VALID",
        min_pg_version=18,
    ),
    case(
        "validate_not_null_constraint",
        "ALTER TABLE users VALIDATE CONSTRAINT users_name_nn",
        "ALTER TABLE users ADD CONSTRAINT users_name_nn NOT NULL name NOT VALID;",
        min_pg_version=18,
    ),
    # --- constraints ---------------------------------------------------------------------------------
    case("add_check", "ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age > 0)"),
    case(
        "add_check_not_valid", "ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age > 0) NOT VALID"
    ),
    case(
        "validate_check",
        "ALTER TABLE users VALIDATE CONSTRAINT users_age_positive",
        "ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age > 0) NOT VALID;",
    ),
    case(
        "add_foreign_key",
        "ALTER TABLE posts ADD CONSTRAINT posts_editor_id_fkey FOREIGN KEY (editor_id) REFERENCES users (id)",
    ),
    case(
        "add_foreign_key_not_valid",
        "ALTER TABLE posts ADD CONSTRAINT posts_editor_id_fkey FOREIGN KEY (editor_id) REFERENCES users (id)"
        " NOT VALID",
    ),
    case(
        "validate_foreign_key",
        "ALTER TABLE posts VALIDATE CONSTRAINT posts_editor_id_fkey",
        "ALTER TABLE posts ADD CONSTRAINT posts_editor_id_fkey FOREIGN KEY (editor_id) REFERENCES users (id)"
        " NOT VALID;",
    ),
    case("add_unique", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)"),
    case("add_primary_key", "ALTER TABLE audit_log ADD PRIMARY KEY (id)"),
    case(
        "add_primary_key_nullable_column",
        "ALTER TABLE audit_log ADD PRIMARY KEY (payload)",
        note="payload is nullable: the primary key has to set and verify NOT NULL too",
    ),
    case(
        "add_unique_using_index",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_uidx",
        "CREATE UNIQUE INDEX users_email_uidx ON users (email);",
    ),
    case(
        "add_primary_key_using_index",
        "ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY USING INDEX audit_log_id_uidx",
        "CREATE UNIQUE INDEX audit_log_id_uidx ON audit_log (id);",
    ),
    case(
        "drop_check_constraint",
        "ALTER TABLE users DROP CONSTRAINT users_age_positive",
        "ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age > 0);",
    ),
    case("drop_foreign_key", "ALTER TABLE posts DROP CONSTRAINT posts_author_id_fkey"),
    case("drop_primary_key_referenced", "ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE"),
    # --- renames -------------------------------------------------------------------------------------
    case("rename_column", "ALTER TABLE users RENAME COLUMN nickname TO handle"),
    case("rename_table", "ALTER TABLE users RENAME TO members"),
    case(
        "rename_constraint",
        "ALTER TABLE users RENAME CONSTRAINT users_age_positive TO users_age_gt_zero",
        "ALTER TABLE users ADD CONSTRAINT users_age_positive CHECK (age > 0);",
    ),
    case("rename_index", "ALTER INDEX posts_author_id_idx RENAME TO posts_by_author_idx"),
    # --- storage, settings, triggers, ownership ------------------------------------------------------
    case("set_statistics", "ALTER TABLE users ALTER COLUMN email SET STATISTICS 500"),
    case("set_storage", "ALTER TABLE users ALTER COLUMN bio SET STORAGE EXTERNAL"),
    case("set_fillfactor", "ALTER TABLE users SET (fillfactor = 70)"),
    case("set_autovacuum_enabled", "ALTER TABLE users SET (autovacuum_enabled = false)"),
    case(
        "disable_trigger",
        "ALTER TABLE users DISABLE TRIGGER users_touch",
        TOUCH_FUNCTION
        + "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();",
    ),
    case(
        "enable_trigger",
        "ALTER TABLE users ENABLE TRIGGER users_touch",
        TOUCH_FUNCTION
        + "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();"
        + "ALTER TABLE users DISABLE TRIGGER users_touch;",
    ),
    case("set_unlogged", "ALTER TABLE audit_log SET UNLOGGED"),
    case("set_logged", "ALTER TABLE audit_log SET LOGGED", "ALTER TABLE audit_log SET UNLOGGED;"),
    case(
        "set_unlogged_referenced",
        "ALTER TABLE users SET UNLOGGED",
        expect_error="42P16",
        note="fails on purpose: logged tables reference users",
    ),
    case("set_tablespace_pg_default", "ALTER TABLE users SET TABLESPACE pg_default"),
    case("replica_identity_full", "ALTER TABLE users REPLICA IDENTITY FULL"),
    case(
        "owner_to_current_user",
        "ALTER TABLE users OWNER TO CURRENT_USER",
        note="the owner does not change (roles are server-wide, so none is created); the lock is still taken",
    ),
    case("cluster_on", "ALTER TABLE users CLUSTER ON users_pkey"),
    # --- partitions ----------------------------------------------------------------------------------
    case(
        "attach_partition",
        "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        EVENTS_SETUP,
    ),
    case(
        "attach_partition_with_matching_check",
        "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        EVENTS_SETUP
        + "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_bounds"
        + " CHECK (happened_on >= '2025-01-01' AND happened_on < '2026-01-01');",
    ),
    case("detach_partition", "ALTER TABLE events DETACH PARTITION events_2024", EVENTS_SETUP),
    case(
        "detach_partition_concurrently",
        "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
        EVENTS_SETUP,
        min_pg_version=14,
    ),
    case("create_index_on_partitioned", "CREATE INDEX events_payload_idx ON events (payload)", EVENTS_SETUP),
    # --- indexes -------------------------------------------------------------------------------------
    case("create_index", "CREATE INDEX users_name_idx ON users (name)"),
    case("create_index_concurrently", "CREATE INDEX CONCURRENTLY users_name_idx ON users (name)"),
    case("create_unique_index", "CREATE UNIQUE INDEX users_email_uidx ON users (email)"),
    case(
        "create_unique_index_concurrently",
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_uidx ON users (email)",
    ),
    case("create_partial_index", "CREATE INDEX posts_published_idx ON posts (created_at) WHERE published"),
    case("create_expression_index", "CREATE INDEX users_lower_email_idx ON users (lower(email))"),
    case("drop_index", "DROP INDEX posts_author_id_idx"),
    case("drop_index_concurrently", "DROP INDEX CONCURRENTLY posts_author_id_idx"),
    case("reindex_table", "REINDEX TABLE posts"),
    case("reindex_index", "REINDEX INDEX posts_author_id_idx"),
    case("reindex_table_concurrently", "REINDEX TABLE CONCURRENTLY posts"),
    case("reindex_index_concurrently", "REINDEX INDEX CONCURRENTLY posts_author_id_idx"),
    # --- maintenance ---------------------------------------------------------------------------------
    case("cluster", "CLUSTER users USING users_pkey"),
    case("vacuum_full", "VACUUM FULL users"),
    case("vacuum", "VACUUM users"),
    case("analyze", "ANALYZE users"),
    # --- TRUNCATE and DROP ---------------------------------------------------------------------------
    case("truncate_leaf", "TRUNCATE comments"),
    case("truncate_cascade", "TRUNCATE users CASCADE"),
    case(
        "truncate_referenced_without_cascade",
        "TRUNCATE users",
        expect_error="0A000",
        note="fails on purpose: posts and user_settings reference users",
    ),
    case("drop_table", "DROP TABLE audit_log"),
    case("drop_table_with_fk_to_users", "DROP TABLE user_settings"),
    case("drop_table_cascade", "DROP TABLE posts CASCADE"),
    case(
        "create_table_with_references",
        "CREATE TABLE follows (follower_id bigint NOT NULL REFERENCES users (id),"
        " followed_id bigint NOT NULL REFERENCES users (id), PRIMARY KEY (follower_id, followed_id))",
    ),
    case("create_table_plain", "CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL)"),
    # --- views and materialized views ----------------------------------------------------------------
    case("create_view", "CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active'"),
    case(
        "create_or_replace_view",
        "CREATE OR REPLACE VIEW active_users AS SELECT id, email, name FROM users WHERE status = 'active'",
        "CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';",
    ),
    case(
        "drop_view",
        "DROP VIEW active_users",
        "CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';",
    ),
    case(
        "create_materialized_view",
        POST_COUNTS,
    ),
    case(
        "refresh_materialized_view",
        "REFRESH MATERIALIZED VIEW post_counts",
        POST_COUNTS + ";",
    ),
    case(
        "refresh_materialized_view_concurrently",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY post_counts",
        POST_COUNTS + ";CREATE UNIQUE INDEX post_counts_author_idx ON post_counts (author_id);",
    ),
    # --- triggers, sequences, types ------------------------------------------------------------------
    case(
        "create_trigger",
        "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch()",
        TOUCH_FUNCTION,
    ),
    case(
        "drop_trigger",
        "DROP TRIGGER users_touch ON users",
        TOUCH_FUNCTION
        + "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();",
    ),
    case("create_sequence", "CREATE SEQUENCE invoice_number_seq START 1000"),
    case(
        "alter_sequence",
        "ALTER SEQUENCE invoice_number_seq RESTART WITH 5000",
        "CREATE SEQUENCE invoice_number_seq START 1000;",
    ),
    case(
        "alter_sequence_owned_by",
        "ALTER SEQUENCE invoice_number_seq OWNED BY users.id",
        "CREATE SEQUENCE invoice_number_seq START 1000;",
    ),
    case("alter_type_add_value", "ALTER TYPE mood ADD VALUE 'meh'"),
    case("alter_type_rename_value", "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'"),
    # --- privileges and comments ---------------------------------------------------------------------
    case("grant_select", "GRANT SELECT ON users TO PUBLIC"),
    case("revoke_select", "REVOKE SELECT ON users FROM PUBLIC", "GRANT SELECT ON users TO PUBLIC;"),
    case("comment_on_table", "COMMENT ON TABLE users IS 'people who can log in'"),
    case("comment_on_column", "COMMENT ON COLUMN users.email IS 'login address'"),
    # --- DML -----------------------------------------------------------------------------------------
    case("update_without_where", "UPDATE users SET status = 'migrated'"),
    case("update_with_where", "UPDATE users SET status = 'migrated' WHERE id = 7"),
    case("update_fk_column", "UPDATE posts SET author_id = 2 WHERE id = 10"),
    case("delete_without_where", "DELETE FROM comments"),
    case("delete_with_where", "DELETE FROM comments WHERE id = 3"),
    case(
        "delete_referenced_row",
        "DELETE FROM users WHERE id = 1",
        expect_error="23503",
        note="fails on purpose: posts of user 1 still reference it",
    ),
    case("insert_select", "INSERT INTO audit_log (id, payload) SELECT id + 1000, email FROM users"),
    case(
        "insert_with_fk",
        "INSERT INTO posts (id, author_id, title) VALUES (10001, 5, 'hello')",
    ),
    # --- explicit locks ------------------------------------------------------------------------------
    case("lock_table", "LOCK TABLE users"),
    case("lock_table_share", "LOCK TABLE users IN SHARE MODE"),
    case("lock_table_access_share", "LOCK TABLE users IN ACCESS SHARE MODE"),
]


def setup_statements(setup: str) -> list[str]:
    """The setup script split into statements by the real parser, so each can run on its own."""
    return list(pglast.split(setup))


def run_setup(url: str, setup: str) -> None:
    """Create the case's schema and rows (autocommit, one statement at a time)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in setup_statements(setup):
            conn.execute(statement)


def trace_case(admin_url: str, claim: ClaimCase) -> TraceResult:
    """Run one case in a fresh database on the server behind ``admin_url`` and measure its statement."""
    with scratch_database(admin_url, prefix="zdt_claims") as url:
        return trace_case_in(url, claim)


def trace_case_in(url: str, claim: ClaimCase, probe_timeout_ms: int = PROBE_LOCK_TIMEOUT_MS) -> TraceResult:
    """Run one case in an existing database, after emptying its public schema (faster than a new database)."""
    run_setup(url, RESET_PUBLIC + claim.setup)
    results = trace_script(url, [*claim.session, claim.statement], probe_timeout_ms=probe_timeout_ms)
    return results[-1]


def cases_for(version: int) -> list[ClaimCase]:
    """The cases meant to run on a server of this major version."""
    return [claim for claim in CASES if claim.applies_to(version)]
