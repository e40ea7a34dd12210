"""The schema every rule's bad/good example runs against: a small social app with rows in it."""

EXAMPLE_SCHEMA = """
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text,
    name varchar(50) NOT NULL,
    created_at timestamp NOT NULL DEFAULT now()
);
CREATE TABLE posts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id integer NOT NULL,
    title varchar(100) NOT NULL,
    body text,
    status text,
    created_at timestamp NOT NULL DEFAULT now()
);
CREATE INDEX posts_created_idx ON posts (created_at);
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE VIEW recent_posts AS SELECT id, title FROM posts WHERE created_at > now() - interval '1 day';
INSERT INTO users (email, name)
    SELECT 'u' || g || '@example.org', 'user ' || g FROM generate_series(1, 200) g;
INSERT INTO posts (author_id, title, body, status)
    SELECT 1 + g % 200, 'title ' || g, 'body ' || g, 'draft' FROM generate_series(1, 500) g;
ANALYZE users;
ANALYZE posts;
"""
