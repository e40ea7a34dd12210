"""zdt: zero-downtime PostgreSQL schema migrations."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``zdt.__version__``, read from the installed metadata when asked for.

    Importing importlib.metadata costs more than the rest of ``zdt --version`` together, and every
    ``zdt`` command imports this package, so only the code that wants the version pays for it.
    """
    if name != "__version__":
        raise AttributeError(f"module 'zdt' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("zdt")
    except PackageNotFoundError:  # running from a source tree that was never installed
        value = "0.0.0+source"
    globals()["__version__"] = value
    return value
