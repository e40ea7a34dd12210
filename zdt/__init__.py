"""zdt: zero-downtime PostgreSQL schema migrations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zdt")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
