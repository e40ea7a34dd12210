"""What the analyser reports for each statement.

Field names are a public contract: `zdt lint --format json` prints them and other tools read them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from zdt.analysis.locks import LockMode


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Finding(BaseModel):
    """One problem found in a statement, with the safe alternative."""

    rule: str = Field(description="Stable kebab-case rule id.")
    severity: Severity
    message: str = Field(description="What is wrong, naming the table and column.")
    fix: str = Field(description="The safe way to get the same result.")


class RelationLock(BaseModel):
    """A lock taken on one relation, as pg_locks would show it."""

    relation: str = Field(description="Schema-qualified relation name.")
    mode: LockMode


class TableSize(BaseModel):
    """Catalog estimate of a table's size: what holding a lock on it will cost."""

    table: str
    rows: int
    bytes: int


class StatementReport(BaseModel):
    """Everything the analyser says about one statement."""

    index: int = Field(description="0-based position of the statement in its file.")
    line: int = Field(description="1-based line where the statement starts.")
    sql: str
    kind: str = Field(description="The parser's node name, e.g. AlterTableStmt.")
    target: str | None = Field(default=None, description="The relation the statement is about.")
    tables: list[str] = Field(default_factory=list)
    lock: LockMode | None = Field(default=None, description="Strongest lock on the target table.")
    locks: list[RelationLock] = Field(default_factory=list)
    rewrites_table: bool = False
    scans_table: bool = False
    blocks_reads: bool = False
    blocks_writes: bool = False
    transactional: bool = True
    findings: list[Finding] = Field(default_factory=list)
    size: TableSize | None = Field(default=None, description="Target table size, when connected.")
