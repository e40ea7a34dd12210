"""CLUSTER, VACUUM (FULL) and ANALYZE: maintenance that can rewrite a table under an exclusive lock."""

from __future__ import annotations

from pglast import ast

from zdt.analysis import names
from zdt.analysis.effects.base import Effect
from zdt.analysis.locks import LockMode
from zdt.analysis.state import MigrationState


def cluster_effect(node: ast.ClusterStmt, state: MigrationState) -> Effect:
    effect = Effect(rewrites_table=True, scans_table=True, transactional=node.relation is not None)
    if node.relation is not None:
        table = names.of_range_var(node.relation)
        effect.lock(table, LockMode.ACCESS_EXCLUSIVE)
        effect.target = table
    else:
        effect.notes.append("CLUSTER without a table reclusters every clustered table, one by one")
    return effect


def _enabled(option: ast.DefElem) -> bool:
    """VACUUM (FULL) and (FULL true) enable an option; (FULL false) / (FULL off) do not."""
    value = option.arg
    if value is None:
        return True
    constant = getattr(value, "val", value)
    for attribute in ("boolval", "sval", "ival"):
        if hasattr(constant, attribute):
            return str(getattr(constant, attribute)).lower() not in ("false", "off", "0", "no")
    return True


def vacuum_effect(node: ast.VacuumStmt, state: MigrationState) -> Effect:
    full = any(option.defname == "full" and _enabled(option) for option in node.options or ())
    effect = Effect(transactional=not node.is_vacuumcmd)
    # VACUUM FULL copies the whole table; plain VACUUM skips all-visible pages and ANALYZE samples,
    # both under ShareUpdateExclusiveLock, which no application statement waits for.
    effect.scans_table = effect.rewrites_table = full
    mode = LockMode.ACCESS_EXCLUSIVE if full else LockMode.SHARE_UPDATE_EXCLUSIVE
    for relation in node.rels or ():
        table = names.of_range_var(relation.relation)
        effect.lock(table, mode)
        effect.target = effect.target or table
    return effect
