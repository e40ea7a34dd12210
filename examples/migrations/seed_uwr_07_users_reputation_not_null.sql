-- Not in the seed, but the change its reputation-system work leads to, written the naive way: every
-- user has a reputation, so the column is declared NOT NULL. As written, SET NOT NULL scans all of
-- users under an ACCESS EXCLUSIVE lock (no reads, no writes, no logins until it finishes); zdt must
-- move the scan into a validated constraint.
ALTER TABLE users ALTER COLUMN reputation SET NOT NULL;
