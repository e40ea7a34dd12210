"""Why the executor refused to start. A step that fails is not an exception: it is a result."""

from __future__ import annotations


class ExecutorError(Exception):
    """The executor did not start (or stopped before touching the schema); the message says why."""


class ExecutorBusy(ExecutorError):
    """Another executor holds the migration lock on this database."""


class PlanMismatch(ExecutorError):
    """The database recorded a different plan under this migration id."""


class PhaseOrderError(ExecutorError):
    """A later phase was asked for while an earlier one is not done."""


class SchemaDrift(ExecutorError):
    """The database schema is not the one the plan was made for."""


class MigrationNotFound(ExecutorError):
    """No migration with this id was ever applied to this database."""
