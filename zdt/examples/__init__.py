"""The "United We Rise" example database: the civic/social platform the seed migrations were written for.

Why it exists: a migration tool is only as credible as the database it is shown on. An empty schema
hides everything that makes a migration dangerous (rows to scan, indexes to build, foreign keys to
check), so the example comes with realistic-looking data in realistic proportions, and the seed
migrations in ``examples/migrations/`` are planned and applied against it by the test suite.

The data is generated inside the server (``INSERT ... SELECT`` over ``generate_series``), so loading
the full size takes seconds and no rows cross the network. It is deterministic: every value is a pure
function of the row number (a multiplicative hash picks names, authors and statuses; timestamps
count from a fixed date, never ``now()``), so two loads at the same scale hold identical data, and a
checksum taken before a migration can be compared with one taken after.

``scale`` multiplies the base row counts (:data:`BASE_ROWS`): ``1`` is about 20k users, 100k posts,
50k relationships, 20 elections, 200 candidates and 30k payments; a fraction such as ``0.05`` gives a
small database for tests, a larger number a bigger one. Every table gets at least one row.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import psycopg
from psycopg import sql

SCHEMA_RESOURCE = "civic_platform.sql"

#: Rows per table at ``scale=1``, in load order (a table's foreign keys point to tables loaded before it).
BASE_ROWS: dict[str, int] = {
    "users": 20_000,
    "user_sessions": 10_000,
    "posts": 100_000,
    "user_relationships": 50_000,
    "elections": 20,
    "candidates": 200,
    "payment_records": 30_000,
}

#: Called after each table is filled, with the table's name and its row count.
ProgressCallback = Callable[[str, int], None]

# A multiplicative (Knuth) hash of the row number: deterministic, cheap, and spread enough to pick
# names and statuses that do not repeat in an obvious rhythm. ``{salt}`` decorrelates the columns.
_MIX = "((({n})::bigint * 2654435761 + {salt}) % 4294967296)"


def _mix(expression: str, salt: int) -> str:
    return _MIX.format(n=expression, salt=salt)


_FIRST_NAMES = (
    "'Ava','Ben','Carmen','Dmitri','Elena','Farah','Gabriel','Hana','Isaac','Jamal','Keiko','Liam',"
    "'Maya','Noah','Olivia','Priya','Quinn','Rosa','Samuel','Tariq','Uma','Victor','Wen','Ximena',"
    "'Yusuf','Zoe'"
)
_LAST_NAMES = (
    "'Anderson','Baker','Castillo','Diaz','Evans','Fischer','Garcia','Hughes','Ibrahim','Jensen',"
    "'Kim','Lopez','Martin','Nguyen','Okafor','Patel','Quintero','Rossi','Schmidt','Thompson',"
    "'Ueda','Vasquez','Williams','Xu','Young','Zhang'"
)
_STATES = (
    "'AL','AZ','CA','CO','FL','GA','IL','MA','MI','MN','NC','NJ','NY','OH','OR','PA','TX','VA','WA','WI'"
)
_TOPICS = (
    "'school board funding','the new transit line','property taxes','library hours','park cleanup',"
    "'voter registration drives','the county budget','water quality','affordable housing',"
    "'bike lanes downtown','the town hall meeting','early voting locations'"
)


def _person_name(salt: int) -> tuple[str, str]:
    """SQL picking a first and a last name for row ``i``; a different salt, a different person."""
    return (
        f"(ARRAY[{_FIRST_NAMES}])[1 + {_mix('i', salt)} % 26]",
        f"(ARRAY[{_LAST_NAMES}])[1 + {_mix('i', salt + 1)} % 26]",
    )


_USER_FIRST, _USER_LAST = _person_name(11)
_CANDIDATE_FIRST, _CANDIDATE_LAST = _person_name(149)

_USERS = f"""
INSERT INTO users (id, email, username, display_name, bio, reputation, is_verified, home_state,
                   created_at, last_login_at)
SELECT i,
       format('%s.%s%s@example.org', lower(first), lower(last), i),
       format('%s_%s%s', lower(first), lower(left(last, 3)), i),
       first || ' ' || last,
       CASE WHEN i % 3 <> 0
            THEN format('Neighbour in %s. I care about %s.', state,
                        (ARRAY[{_TOPICS}])[1 + {_mix("i", 37)} % 12])
       END,
       ({_mix("i", 41)} % 5000)::integer,
       {_mix("i", 43)} % 20 = 0,
       state,
       TIMESTAMPTZ '2021-01-01 00:00:00+00' + make_interval(secs => i * 94608000.0 / {{n}}),
       CASE WHEN i % 7 <> 0
            THEN TIMESTAMPTZ '2024-01-01 00:00:00+00'
                 + make_interval(secs => ({_mix("i", 47)} % 31536000)::double precision)
       END
FROM generate_series(1, {{n}}) AS i,
     LATERAL (SELECT {_USER_FIRST} AS first, {_USER_LAST} AS last,
                     (ARRAY[{_STATES}])[1 + {_mix("i", 53)} % 20] AS state) AS person
"""

_USER_SESSIONS = f"""
INSERT INTO user_sessions (id, user_id, token_hash, user_agent, ip_address, created_at, expires_at,
                           revoked_at)
SELECT i,
       1 + {_mix("i", 59)} % {{users}},
       sha256(convert_to('session-' || i, 'UTF8')),
       (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)',
              'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)', 'UnitedWeRise-Android/3.2.1'])
           [1 + {_mix("i", 61)} % 4],
       format('10.%s.%s.%s', i / 65536 % 256, i / 256 % 256, i % 256)::inet,
       started,
       started + interval '30 days',
       CASE WHEN i % 9 = 0 THEN started + interval '2 hours' END
FROM generate_series(1, {{n}}) AS i,
     LATERAL (SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00'
                     + make_interval(secs => i * 31536000.0 / {{n}}) AS started) AS s
"""

_POSTS = f"""
INSERT INTO posts (id, author_id, body, visibility, like_count, reply_to_id, created_at, edited_at)
SELECT i,
       1 + {_mix("i", 67)} % {{users}},
       format((ARRAY['Who else is going to the meeting about %s?',
                     'Just read the latest update on %s. Thoughts?',
                     'Reminder: public comment on %s closes Friday.',
                     'Volunteering this weekend for %s. Join us!',
                     'Our representative finally answered about %s.'])[1 + {_mix("i", 71)} % 5],
              (ARRAY[{_TOPICS}])[1 + {_mix("i", 73)} % 12]),
       CASE WHEN {_mix("i", 79)} % 10 < 6 THEN 'public'
            WHEN {_mix("i", 79)} % 10 < 9 THEN 'friends'
            ELSE 'private' END,
       ({_mix("i", 83)} % 250)::integer,
       CASE WHEN i > 1 AND i % 5 = 0 THEN 1 + {_mix("i", 89)} % (i - 1) END,
       posted,
       CASE WHEN i % 17 = 0 THEN posted + interval '10 minutes' END
FROM generate_series(1, {{n}}) AS i,
     LATERAL (SELECT TIMESTAMPTZ '2022-01-01 00:00:00+00'
                     + make_interval(secs => i * 94608000.0 / {{n}}) AS posted) AS p
"""

# Row i belongs to follower f = 1 + (i - 1) % users in lap j = (i - 1) / users; f follows the user
# ``offset`` places further round the circle, offset = 1 + j * stride + (a hash of f) % stride. The
# offsets of one follower lie in disjoint ranges within [1, users - 1] (stride = (users - 1) / laps),
# so no pair repeats and nobody follows themselves, while who follows whom still looks scattered.
_USER_RELATIONSHIPS = f"""
INSERT INTO user_relationships (id, follower_id, followee_id, status, created_at)
SELECT i,
       follower,
       1 + (follower + lap * {{stride}} + {_mix("follower", 151)} % {{stride}}) % {{users}},
       CASE WHEN {_mix("i", 97)} % 25 = 0 THEN 'blocked' ELSE 'active' END,
       TIMESTAMPTZ '2022-01-01 00:00:00+00' + make_interval(secs => i * 94608000.0 / {{n}})
FROM generate_series(1, {{n}}) AS i,
     LATERAL (SELECT 1 + (i - 1) % {{users}} AS follower, (i - 1) / {{users}} AS lap) AS r
"""

_ELECTIONS = f"""
INSERT INTO elections (id, name, election_date, jurisdiction, level, is_primary, created_at)
SELECT i,
       format('%s %s %s', jurisdiction, level_name, CASE WHEN is_primary THEN 'Primary' ELSE 'General' END),
       DATE '2022-03-01' + i * 37,
       jurisdiction,
       level,
       is_primary,
       TIMESTAMPTZ '2021-06-01 00:00:00+00' + make_interval(days => i)
FROM generate_series(1, {{n}}) AS i,
     LATERAL (SELECT (ARRAY[{_STATES}])[1 + {_mix("i", 101)} % 20] AS jurisdiction,
                     (ARRAY['federal', 'state', 'county', 'municipal'])[1 + i % 4] AS level,
                     (ARRAY['Congressional', 'Statewide', 'County', 'City'])[1 + i % 4] AS level_name,
                     i % 3 = 0 AS is_primary) AS e
"""

_CANDIDATES = f"""
INSERT INTO candidates (id, election_id, user_id, name, party, office, is_incumbent, created_at)
SELECT i,
       1 + (i - 1) % {{elections}},
       CASE WHEN i % 3 <> 0 THEN 1 + {_mix("i", 103)} % {{users}} END,
       {_CANDIDATE_FIRST} || ' ' || {_CANDIDATE_LAST},
       (ARRAY['Democratic', 'Republican', 'Independent', 'Green', 'Libertarian', NULL])
           [1 + {_mix("i", 107)} % 6],
       (ARRAY['Mayor', 'City Council', 'School Board', 'County Commissioner', 'State Senate',
              'U.S. House'])[1 + {_mix("i", 109)} % 6],
       i % 8 = 0,
       TIMESTAMPTZ '2021-09-01 00:00:00+00' + make_interval(hours => i)
FROM generate_series(1, {{n}}) AS i
"""

_PAYMENT_RECORDS = f"""
INSERT INTO payment_records (id, user_id, candidate_id, amount_cents, currency, status,
                             processor_reference, created_at, settled_at)
SELECT i,
       1 + {_mix("i", 113)} % {{users}},
       CASE WHEN i % 4 <> 0 THEN 1 + {_mix("i", 127)} % {{candidates}} END,
       (ARRAY[500, 1000, 2500, 2700, 5000, 10000, 25000])[1 + {_mix("i", 131)} % 7]
           + {_mix("i", 137)} % 100,
       CASE WHEN i % 50 = 0 THEN 'CAD' ELSE 'USD' END,
       status,
       CASE WHEN status <> 'pending' THEN 'ch_' || left(md5('payment-' || i), 24) END,
       paid,
       CASE WHEN status IN ('succeeded', 'refunded') THEN paid + interval '2 days' END
FROM generate_series(1, {{n}}) AS i,
     LATERAL (SELECT CASE WHEN {_mix("i", 139)} % 100 < 85 THEN 'succeeded'
                          WHEN {_mix("i", 139)} % 100 < 92 THEN 'pending'
                          WHEN {_mix("i", 139)} % 100 < 97 THEN 'failed'
                          ELSE 'refunded' END AS status,
                     TIMESTAMPTZ '2022-01-01 00:00:00+00'
                     + make_interval(secs => i * 94608000.0 / {{n}}) AS paid) AS p
"""

_INSERTS: dict[str, str] = {
    "users": _USERS,
    "user_sessions": _USER_SESSIONS,
    "posts": _POSTS,
    "user_relationships": _USER_RELATIONSHIPS,
    "elections": _ELECTIONS,
    "candidates": _CANDIDATES,
    "payment_records": _PAYMENT_RECORDS,
}


def schema_sql() -> str:
    """The example schema's DDL, read from the package so it works from an editable or a wheel install."""
    return resources.files(__name__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


def row_targets(scale: float = 1) -> dict[str, int]:
    """Rows each table gets at ``scale``: the base counts scaled and rounded, at least one per table.

    Relationships are also capped at what distinct (follower, followee) pairs allow, which only bites
    at absurdly small scales.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    targets = {table: max(1, round(rows * scale)) for table, rows in BASE_ROWS.items()}
    users = max(2, targets["users"])
    targets["users"] = users
    targets["user_relationships"] = min(targets["user_relationships"], users * (users - 1))
    return targets


def load_example(url: str, *, scale: float = 1, progress: ProgressCallback | None = None) -> dict[str, int]:
    """Create the example schema in the database at ``url``, fill it, ANALYZE it; return rows per table.

    The database must not hold these tables yet. Everything is loaded in one transaction, so a failed
    load leaves nothing behind; ANALYZE runs afterwards so that PostgreSQL's planner and zdt's
    size-aware analyser (which reads ``reltuples`` and ``n_live_tup``) see the real sizes at once
    rather than after autovacuum gets round to it.
    Identity sequences are moved past the generated ids so the application's inserts do not collide.
    """
    targets = row_targets(scale)
    users = targets["users"]
    laps = -(-targets["user_relationships"] // users)
    parameters: dict[str, dict[str, int]] = {
        "users": {"n": users},
        "user_sessions": {"n": targets["user_sessions"], "users": users},
        "posts": {"n": targets["posts"], "users": users},
        "user_relationships": {
            "n": targets["user_relationships"],
            "users": users,
            "stride": max(1, (users - 1) // laps),
        },
        "elections": {"n": targets["elections"]},
        "candidates": {"n": targets["candidates"], "users": users, "elections": targets["elections"]},
        "payment_records": {
            "n": targets["payment_records"],
            "users": users,
            "candidates": targets["candidates"],
        },
    }
    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(schema_sql().encode())
            for table, insert in _INSERTS.items():
                values = {name: sql.Literal(value) for name, value in parameters[table].items()}
                conn.execute(sql.SQL(insert).format(**values))
                conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({name}, 'id'), (SELECT max(id) FROM {table}))"
                    ).format(name=sql.Literal(table), table=sql.Identifier(table))
                )
                counts[table] = _count(conn, table)
                if progress is not None:
                    progress(table, counts[table])
        if conn.info.server_version >= 150000:
            # The inserts' statistics are flushed lazily; flushed after ANALYZE they would be added to
            # its row count, doubling n_live_tup. Force the flush at the idle point before ANALYZE.
            conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("ANALYZE")
    return counts


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    assert row is not None
    return int(row[0])
