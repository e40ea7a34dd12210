-- The seed's reputation-system migration: a new user_badges table and its indexes.
SET lock_timeout = '500ms';

CREATE TABLE user_badges (
  id SERIAL PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  badge_type VARCHAR(50) NOT NULL,
  awarded_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  awarded_by INTEGER REFERENCES users(id),
  metadata JSONB DEFAULT '{}'
);

CREATE INDEX CONCURRENTLY idx_user_badges_user_id ON user_badges(user_id);
CREATE INDEX CONCURRENTLY idx_user_badges_type ON user_badges(badge_type);
