"""Login sessions: revoke and list, as the API sends them."""

from typing import Any

REVOKE = "UPDATE user_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL"


async def active_sessions(conn: Any, user_id: int) -> list[Any]:
    return list(
        await conn.fetch(
            "SELECT id, user_agent, created_at, expires_at FROM user_sessions "
            "WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()",
            user_id,
        )
    )
