"""Transaction control and session settings: they change the context the next statements run in."""

from __future__ import annotations

from pglast import ast
from pglast.enums import TransactionStmtKind, VariableSetKind

from zdt.analysis.effects.base import Effect
from zdt.analysis.state import MigrationState

_BEGIN = {TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START}
_END = {
    TransactionStmtKind.TRANS_STMT_COMMIT,
    TransactionStmtKind.TRANS_STMT_ROLLBACK,
    TransactionStmtKind.TRANS_STMT_PREPARE,
}


def transaction_effect(node: ast.TransactionStmt, state: MigrationState) -> Effect:
    return Effect()


def apply_transaction(node: ast.TransactionStmt, state: MigrationState) -> None:
    """Track BEGIN/COMMIT so rules know which locks are held together until commit."""
    if node.kind in _BEGIN:
        if not state.in_transaction:  # a nested BEGIN is ignored by PostgreSQL: locks stay held
            state.held_locks.clear()
        state.in_transaction = True
    elif node.kind in _END:
        state.held_locks.clear()  # COMMIT releases every lock, even AND CHAIN
        state.in_transaction = bool(getattr(node, "chain", False)) and state.in_transaction


def apply_setting(node: ast.VariableSetStmt, state: MigrationState) -> None:
    """Remember lock_timeout / statement_timeout / TimeZone settings made by the script."""
    name = (node.name or "").lower()
    value = _setting_value(node)
    if name == "lock_timeout":
        state.lock_timeout_set = value not in (None, "0", "default")
    elif name == "statement_timeout":
        state.statement_timeout_set = value not in (None, "0", "default")
    elif name == "timezone" and value is not None:
        state.timezone = value


def _setting_value(node: ast.VariableSetStmt) -> str | None:
    if node.kind in (VariableSetKind.VAR_SET_DEFAULT, VariableSetKind.VAR_RESET):
        return "default"
    if not node.args:
        return None
    constant = node.args[0]
    value = getattr(constant, "val", None)
    for attribute in ("sval", "ival", "fval"):
        if value is not None and hasattr(value, attribute):
            return str(getattr(value, attribute)).strip().lower()
    return None
