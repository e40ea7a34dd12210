// Following other users.
const pool = require("./pool");

async function follow(followerId, followeeId) {
  await pool.query(
    'INSERT INTO user_relationships (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [followerId, followeeId],
  );
}

async function unfollow(followerId, followeeId) {
  await pool.query(`DELETE FROM user_relationships WHERE follower_id = $1 AND followee_id = $2`, [
    followerId,
    followeeId,
  ]);
}

module.exports = { follow, unfollow, title: "Who to follow" };
