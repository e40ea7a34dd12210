"""The rollout between migrate and contract: what the old release still needs, and whether it is gone.

Why a package: a plan's contract removes what the old application release reads (the old column of a
rename, the table a drop removes). Expand and migrate keep both releases working; contract must wait
until the old release is gone, and "gone" is a claim zdt checks on the target itself —
``pg_stat_statements`` and ``pg_stat_activity`` — before a person's contract approval counts.
"""

from zdt.rollout.evidence import ReleaseEvidence, observe_old_release
from zdt.rollout.retired import RetiredObject, contract_hash, retired_objects
from zdt.rollout.usage import retired_references

__all__ = [
    "ReleaseEvidence",
    "RetiredObject",
    "contract_hash",
    "observe_old_release",
    "retired_objects",
    "retired_references",
]
