"""The plan: what will run, in which phase, how each step is verified and undone.

A plan is data (pydantic, JSON on disk as ``plan.json``) so that it can be reviewed, approved by hash,
executed by deterministic code and replayed for audit. Phases follow expand/contract:

* ``expand``   — additive changes; old and new application code both work afterwards;
* ``migrate``  — backfills and validations; still compatible with both;
* ``contract`` — removes what only old code needed; run only after the application has moved.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from zdt.analysis.locks import LockMode


class Phase(StrEnum):
    EXPAND = "expand"
    MIGRATE = "migrate"
    CONTRACT = "contract"


PHASE_ORDER = [Phase.EXPAND, Phase.MIGRATE, Phase.CONTRACT]


class LockDuration(StrEnum):
    """How long the step's lock is held: what it costs the application while it runs."""

    NONE = "none"  # no lock that conflicts with application traffic
    BRIEF = "brief"  # catalog change only: milliseconds once the lock is granted
    SCAN = "scan"  # held while the table is read in full
    REWRITE = "rewrite"  # held while the table is rewritten
    BATCHED = "batched"  # row locks of one batch at a time


class Verification(BaseModel):
    """A read-only query whose first column of its first row must equal ``expect``."""

    sql: str
    expect: Any = True
    description: str = ""


class Rollback(BaseModel):
    """How to undo a step: SQL statements, or an explicit reason why it cannot be undone."""

    sql: list[str] = Field(default_factory=list)
    transactional: bool = True
    irreversible: str | None = Field(default=None, description="Why this step cannot be undone.")
    not_needed: str | None = Field(
        default=None, description="Why undoing is unnecessary (e.g. an unused enum label is harmless)."
    )

    @model_validator(mode="after")
    def _one_of(self) -> Rollback:
        given = [bool(self.sql), self.irreversible is not None, self.not_needed is not None]
        if sum(given) != 1:
            raise ValueError(
                "a rollback has exactly one of: SQL, an irreversible reason, a not-needed reason"
            )
        return self

    @property
    def is_reversible(self) -> bool:
        return self.irreversible is None


class Timeouts(BaseModel):
    """Timeouts a step runs under. lock_timeout bounds how long traffic can queue behind us."""

    lock_timeout_ms: int = 200
    statement_timeout_ms: int = 0  # 0: none (index builds and validations may take long)
    max_lock_retries: int = 10


class KeptValues(BaseModel):
    """Where a batched UPDATE keeps the old values of the rows it changes, so that it can be undone.

    Each batch first copies the key and the assigned columns of the rows it is about to change into
    ``table`` (``ON CONFLICT DO NOTHING``: a retried batch keeps the first, original value), in the same
    transaction as the UPDATE; the rollback writes them back by key."""

    table: str = Field(
        description="Qualified name of the table that keeps them, e.g. zdt.old_posts_1a2b3c4d."
    )
    columns: list[str] = Field(description="The assigned columns whose old values are kept.")


class Backfill(BaseModel):
    """A batched UPDATE (or DELETE) by primary-key ranges, run instead of ``Step.sql``.

    ``set_sql`` is the SET list (``new_col = old_col``); ``where_sql`` selects rows still to do
    (``new_col IS NULL``), so a re-run never touches a row twice. ``from_sql`` is the FROM list of an
    ``UPDATE ... FROM`` (the USING list of a ``DELETE ... USING``), which ``where_sql`` joins to the table.
    With ``delete`` each batch deletes the rows ``where_sql`` selects instead (``set_sql`` stays empty).
    """

    table: str
    key_column: str
    set_sql: str = ""
    where_sql: str | None = None
    from_sql: str | None = None
    delete: bool = False
    batch_size: int = 2_000
    pause_ms: int = 5
    target_batch_ms: int | None = 50
    keep_old: KeptValues | None = None

    @model_validator(mode="after")
    def _update_or_delete(self) -> Backfill:
        if bool(self.set_sql) == self.delete:
            raise ValueError("a backfill either sets columns (set_sql) or deletes rows (delete), not both")
        if self.keep_old is not None and self.delete:
            raise ValueError("old values are kept for an UPDATE backfill only")
        return self

    def keep_sql(self, bounds: str | None = None) -> str | None:
        """What each batch runs before its UPDATE when old values are kept (None when they are not):
        ``INSERT INTO <kept> (key, cols) SELECT key, cols FROM t WHERE <bounds> AND <the rows the UPDATE
        changes> ON CONFLICT DO NOTHING``, as text for the gate, the log and the docs."""
        kept = self.keep_old
        if kept is None:
            return None
        names = [self.key_column, *kept.columns]
        targets = ", ".join(_quoted(name) for name in names)
        read = ", ".join(f"{self.table}.{_quoted(name)}" for name in names)
        conditions = [bounds] if bounds else []
        if self.from_sql:
            matches = f"SELECT 1 FROM {self.from_sql}" + (
                f" WHERE {self.where_sql}" if self.where_sql else ""
            )
            conditions.append(f"EXISTS ({matches})")
        elif self.where_sql:
            conditions.append(f"({self.where_sql})" if bounds else self.where_sql)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        select = f"SELECT {read} FROM {self.table}{where}"
        return f"INSERT INTO {kept.table} ({targets}) {select} ON CONFLICT DO NOTHING"

    def statement_sql(self, bounds: str | None = None) -> str:
        """One batch as text: ``UPDATE t SET ... [FROM ...] WHERE <bounds> AND (<where>)`` (or the
        DELETE), for the gate, the log and the docs; without ``bounds``, the statement every batch runs
        a key range of. The executor builds the same statement with the identifiers the server resolved."""
        conditions = [bounds] if bounds else []
        if self.where_sql:
            conditions.append(f"({self.where_sql})" if bounds else self.where_sql)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        if self.delete:
            using = f" USING {self.from_sql}" if self.from_sql else ""
            return f"DELETE FROM {self.table}{using}{where}"
        from_ = f" FROM {self.from_sql}" if self.from_sql else ""
        return f"UPDATE {self.table} SET {self.set_sql}{from_}{where}"

    def key_sql(self) -> str:
        """The key column qualified by the table (``public.posts."id"``): unambiguous next to a FROM list."""
        return f"{self.table}.{_quoted(self.key_column)}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Step(BaseModel):
    """One unit of work: forward SQL, its verification, its rollback, and what it costs."""

    id: str
    phase: Phase
    description: str
    sql: list[str] = Field(default_factory=list)
    transactional: bool = True
    backfill: Backfill | None = None
    verify: Verification
    rollback: Rollback
    on_failure_sql: list[str] = Field(
        default_factory=list, description="Cleanup after a failed non-transactional step."
    )
    lock: LockMode | None = None
    lock_duration: LockDuration = LockDuration.BRIEF
    tables: list[str] = Field(default_factory=list)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    recipe: str = ""
    source_statement: int | None = None
    source_line: int | None = Field(
        default=None, description="Line of the statement the step came from, in its file (for messages)."
    )
    end_state_sql: list[str] = Field(
        default_factory=list,
        description="Where a recipe ends elsewhere than the file on purpose (a type change leaves the "
        "column under its new name, which the new release uses): the statements that turn the file's end "
        "state into this step's. The equivalence proof runs them after the file as written.",
    )

    @model_validator(mode="after")
    def _has_work(self) -> Step:
        if not self.sql and self.backfill is None:
            raise ValueError(f"step {self.id} has neither SQL nor a backfill")
        return self


class FolderMigration(BaseModel):
    """One migration of a team's folder that the plan carries out, to record in its tool's history.

    The tool keeps using its own table: once every step of the plan is done, each of these is written
    there the way the tool writes it (``zdt.executor.history``). ``checksum`` is the one the file had when
    planned; a file edited since is not recorded, and the run says so.
    """

    folder: str
    tool: str
    key: str
    name: str
    path: str
    checksum: int | str | None = None
    steps: list[str] = Field(default_factory=list, description="Ids of the plan's steps made from it.")


class VersionedTable(BaseModel):
    """One table as each release sees it through its version schema's view of the same name."""

    table: str = Field(description="The physical table, qualified: public.posts.")
    new_columns: list[tuple[str, str]] = Field(
        description="(name the new release sees, physical column it reads) in table order."
    )
    old_columns: list[str] = Field(description="The columns the old release sees: the table before the plan.")


class ReleaseVersions(BaseModel):
    """Versioned schemas (the pgroll approach): each release reads and writes through views of its own.

    The new release's schema presents the tables as the file leaves them (new names, new types) from the
    deploy gate on, while the physical columns are still being moved; the old release's presents them as
    they were. Contract drops the old release's schema; a rollback before it drops both.
    """

    version: str
    new_schemas: list[str]
    old_schemas: list[str]
    base_schemas: list[str]
    tables: list[VersionedTable]
    why: str

    @property
    def new_search_path(self) -> str:
        return ", ".join(self.new_schemas + self.base_schemas)

    @property
    def old_search_path(self) -> str:
        return ", ".join(self.old_schemas + self.base_schemas)


_NOT_HASHED = ("checked_hash", "created_at")


class MigrationPlan(BaseModel):
    """An ordered, phased list of steps planned against one schema."""

    id: str
    source: str = Field(description="The SQL or intent the plan was made from.")
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    pg_version: int
    schema_fingerprint: str | None = None
    steps: list[Step] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    versions: ReleaseVersions | None = Field(
        default=None, description="The releases' version schemas, when the plan uses them."
    )
    migrations: list[FolderMigration] = Field(
        default_factory=list, description="The folder migrations this plan applies, in order."
    )
    checked_hash: str | None = Field(
        default=None, description="content_hash() when the plan passed its checks; edits invalidate it."
    )

    def steps_in(self, phase: Phase) -> list[Step]:
        return [step for step in self.steps if step.phase is phase]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    @classmethod
    def hash_covers(cls) -> str:
        """What content_hash() covers, in words an approver reads (from the model itself, so it cannot
        drift from the hash): the fields of the plan and of every step, all but the stamp and the time."""
        plan_fields = [name for name in cls.model_fields if name not in _NOT_HASHED]
        step_fields = list(Step.model_fields)
        return (
            f"the plan's {', '.join(plan_fields)}; every step's {', '.join(step_fields)} (the SQL that runs, "
            "its verification, rollback and timeouts included). Not the created_at time nor the stamp "
            "itself, and not the Markdown documents: they are renderings; what runs is this plan."
        )

    def content_hash(self) -> str:
        """SHA-256 of everything that decides what runs (not the stamp itself, not the creation time).

        Fields at their default are left out, so that a zdt release adding an optional field (with a
        default that changes nothing) does not turn every stamped or half-applied plan into an "edited"
        one. A changed default cannot slip through: the plan's JSON holds the old value explicitly, which
        then differs from the new default and is hashed.
        """
        data = self.model_dump(mode="json", exclude=set(_NOT_HASHED), exclude_defaults=True)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    @model_validator(mode="after")
    def _unique_ids_and_phase_order(self) -> MigrationPlan:
        seen: set[str] = set()
        last_phase = 0
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"two steps share the id {step.id!r}")
            seen.add(step.id)
            position = PHASE_ORDER.index(step.phase)
            if position < last_phase:
                raise ValueError(f"step {step.id} ({step.phase}) comes after a later phase")
            last_phase = position
        return self
