-- The seed's "My Feed" performance indexes, written the way they usually reach review: without
-- CONCURRENTLY, so each build would hold a SHARE lock and stop every write to posts and
-- user_relationships until it finished. zdt must plan them as CONCURRENTLY builds.
CREATE INDEX idx_posts_feed_optimized
ON posts(created_at DESC, visibility, author_id)
WHERE visibility IN ('public', 'friends');

CREATE INDEX idx_user_relationships_feed
ON user_relationships(follower_id, created_at)
WHERE status = 'active';
