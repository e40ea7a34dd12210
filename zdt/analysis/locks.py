"""PostgreSQL's table-level lock modes and their conflict table.

The names are those ``pg_locks.mode`` shows, so a static claim can be compared with what a server reports.
The conflict table is the one in the PostgreSQL manual ("Table-Level Lock Modes"), unchanged since 8.x.
"""

from __future__ import annotations

from enum import StrEnum


class LockMode(StrEnum):
    """A table-level lock mode, weakest first."""

    ACCESS_SHARE = "AccessShareLock"
    ROW_SHARE = "RowShareLock"
    ROW_EXCLUSIVE = "RowExclusiveLock"
    SHARE_UPDATE_EXCLUSIVE = "ShareUpdateExclusiveLock"
    SHARE = "ShareLock"
    SHARE_ROW_EXCLUSIVE = "ShareRowExclusiveLock"
    EXCLUSIVE = "ExclusiveLock"
    ACCESS_EXCLUSIVE = "AccessExclusiveLock"

    @property
    def strength(self) -> int:
        """1 for AccessShareLock up to 8 for AccessExclusiveLock."""
        return _ORDER.index(self) + 1

    def conflicts_with(self, other: LockMode) -> bool:
        """Would a transaction asking for ``other`` wait while this lock is held?"""
        return other in _CONFLICTS[self]

    @property
    def blocks_reads(self) -> bool:
        """A plain SELECT (AccessShareLock) waits behind this lock."""
        return self.conflicts_with(LockMode.ACCESS_SHARE)

    @property
    def blocks_writes(self) -> bool:
        """INSERT, UPDATE and DELETE (RowExclusiveLock) wait behind this lock."""
        return self.conflicts_with(LockMode.ROW_EXCLUSIVE)

    @classmethod
    def strongest(cls, modes: list[LockMode]) -> LockMode | None:
        return max(modes, key=lambda mode: mode.strength) if modes else None


_ORDER = list(LockMode)

_A, _RS, _RE, _SUE, _S, _SRE, _E, _AE = _ORDER
_CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    _A: frozenset({_AE}),
    _RS: frozenset({_E, _AE}),
    _RE: frozenset({_S, _SRE, _E, _AE}),
    _SUE: frozenset({_SUE, _S, _SRE, _E, _AE}),
    _S: frozenset({_RE, _SUE, _SRE, _E, _AE}),
    _SRE: frozenset({_RE, _SUE, _S, _SRE, _E, _AE}),
    _E: frozenset({_RS, _RE, _SUE, _S, _SRE, _E, _AE}),
    _AE: frozenset(_ORDER),
}
