"""Connection strings: derive one for another database, and redact passwords before anything is logged."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict, make_conninfo


def with_database(url: str, dbname: str) -> str:
    """Return a conninfo string for the same server as ``url`` but database ``dbname``."""
    return make_conninfo(url, dbname=dbname)


def redact(url: str) -> str:
    """Describe a connection without its password: safe for logs, scratchpads and recordings."""
    try:
        params = conninfo_to_dict(url)
    except Exception:  # an unparseable string is shown as nothing rather than leaked
        return "<unparseable connection string>"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    user = params.get("user") or ""
    dbname = params.get("dbname") or ""
    who = f"{user}@" if user else ""
    return f"postgresql://{who}{host}:{port}/{dbname}"
