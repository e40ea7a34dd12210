"""A small civic-platform schema (users, elections, votes) with rows, for tool and agent tests."""

CIVIC_SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, reputation int);
CREATE TABLE elections (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE votes (
    id bigint PRIMARY KEY,
    election_id bigint NOT NULL REFERENCES elections(id),
    user_id bigint NOT NULL REFERENCES users(id)
);
INSERT INTO users SELECT g, 'u' || g || '@example.org', g % 7 FROM generate_series(1, 500) g;
INSERT INTO elections VALUES (1, 'city council');
INSERT INTO votes SELECT g, 1, g FROM generate_series(1, 300) g;
ANALYZE;
"""
