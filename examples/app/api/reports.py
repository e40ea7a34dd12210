"""Admin reports, through psycopg (its %s and %(name)s placeholders, which the collector numbers)."""

from typing import Any


def donations(cur: Any, candidate_id: int) -> list[Any]:
    cur.execute(
        "SELECT user_id, sum(amount_cents) AS cents FROM payment_records "
        "WHERE candidate_id = %s AND status = 'succeeded' GROUP BY user_id",
        (candidate_id,),
    )
    return list(cur.fetchall())


def verify(cur: Any, user_id: int) -> None:
    cur.execute(
        "UPDATE users SET is_verified = true WHERE id = %(user)s AND NOT is_verified",
        {"user": user_id},
    )
    log("%s verified", user_id)  # a format string, not a query


def log(message: str, *args: Any) -> None:
    print(message % args)
