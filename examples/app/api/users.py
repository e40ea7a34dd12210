"""User accounts: the queries the API sends through asyncpg (PostgreSQL's own $n parameters)."""

from typing import Any

USER_BY_ID = "SELECT id, email, username, display_name, reputation FROM users WHERE id = $1"

WELCOME = "Please select an option from the menu"  # prose, not SQL: the parser says so


async def rename(conn: Any, user_id: int, name: str) -> None:
    await conn.execute(
        "UPDATE users SET display_name = $2 WHERE id = $1",
        user_id,
        name,
    )


async def sign_up(conn: Any, email: str, username: str) -> int:
    row = await conn.fetchrow(
        """
        INSERT INTO users (email, username, display_name)
        VALUES ($1, $2, $2)
        RETURNING id
        """,
        email,
        username,
    )
    return int(row["id"])


def posts_by(author_id: int) -> str:
    # Interpolated (do not do this with user input): the collector reads {author_id} as a parameter.
    return f"SELECT id, body, created_at FROM posts WHERE author_id = {author_id} ORDER BY created_at DESC"


def labels() -> list[str]:
    # Strings that mention SQL words but are not queries, and DDL that is a statement but no query.
    return ["select", "DELETE this post?", "users", "CREATE INDEX users_email ON users (email)"]
