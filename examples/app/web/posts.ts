// The web frontend's post queries (node-postgres: $n parameters, or template literals with ${}).
import { Pool } from "pg";

const pool = new Pool();

export const FEED = `
  SELECT p.id, p.body, p.like_count, u.username
  FROM posts p JOIN users u ON u.id = p.author_id
  WHERE p.visibility = 'public'
  ORDER BY p.created_at DESC
  LIMIT $1`;

export async function like(postId: number): Promise<void> {
  await pool.query("UPDATE posts SET like_count = like_count + 1 WHERE id = $1", [postId]);
}

export async function replies(postId: number, limit: number) {
  const sql = `SELECT id, body FROM posts WHERE reply_to_id = ${postId} ORDER BY id LIMIT ${limit}`;
  return pool.query(sql);
}

export function heading(name: string): string {
  return `Select a post by ${name}`; // a template literal that is not SQL
}

const label = 'delete';
console.log(label, "from the feed");
