"""Dispatch from a parsed statement to the function that knows its effect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis.effects import alter_table, data, indexes, maintenance, objects, session, tables
from zdt.analysis.effects.base import Effect
from zdt.analysis.fields import required
from zdt.analysis.state import MigrationState

# Each function takes the node class it is registered under below (or a DropStmt of that removeType).
EffectFunction = Callable[[Any, MigrationState], Effect]

_BY_NODE: dict[type[ast.Node], EffectFunction] = {
    ast.AlterTableStmt: alter_table.alter_table_effect,
    ast.IndexStmt: indexes.create_index_effect,
    ast.ReindexStmt: indexes.reindex_effect,
    ast.CreateStmt: tables.create_table_effect,
    ast.CreateTableAsStmt: tables.create_table_as_effect,
    ast.TruncateStmt: tables.truncate_effect,
    ast.RenameStmt: tables.rename_effect,
    ast.ClusterStmt: maintenance.cluster_effect,
    ast.VacuumStmt: maintenance.vacuum_effect,
    ast.UpdateStmt: data.update_effect,
    ast.DeleteStmt: data.delete_effect,
    ast.InsertStmt: data.insert_effect,
    ast.SelectStmt: data.select_effect,
    ast.LockStmt: data.lock_table_effect,
    ast.ViewStmt: objects.view_effect,
    ast.RefreshMatViewStmt: objects.refresh_matview_effect,
    ast.CreateTrigStmt: objects.create_trigger_effect,
    ast.CreateSeqStmt: objects.sequence_effect,
    ast.AlterSeqStmt: objects.sequence_effect,
    ast.CreateEnumStmt: objects.create_enum_effect,
    ast.AlterEnumStmt: objects.alter_enum_effect,
    ast.CommentStmt: objects.comment_effect,
    ast.GrantStmt: objects.grant_effect,
    ast.RuleStmt: objects.rule_or_policy_effect,
    ast.CreatePolicyStmt: objects.rule_or_policy_effect,
    ast.CreatedbStmt: objects.not_in_transaction_effect,
    ast.DropdbStmt: objects.not_in_transaction_effect,
    ast.AlterSystemStmt: objects.not_in_transaction_effect,
    ast.CreateTableSpaceStmt: objects.not_in_transaction_effect,
    ast.DropTableSpaceStmt: objects.not_in_transaction_effect,
    ast.TransactionStmt: session.transaction_effect,
    ast.AlterObjectSchemaStmt: objects.set_schema_effect,
    ast.AlterDomainStmt: objects.alter_domain_effect,
}

_DROP_BY_TYPE: dict[ObjectType, EffectFunction] = {
    ObjectType.OBJECT_INDEX: indexes.drop_index_effect,
    ObjectType.OBJECT_TRIGGER: objects.drop_trigger_effect,
    **{kind: tables.drop_relation_effect for kind in tables.DROPPABLE_RELATIONS},
}


def effect_of(node: ast.Node, state: MigrationState) -> Effect:
    """The effect of ``node`` given everything known so far; unknown kinds lock no table."""
    if isinstance(node, ast.DropStmt):
        function = _DROP_BY_TYPE.get(
            required(node.removeType, "DropStmt.removeType"), objects.no_table_effect
        )
        return function(node, state)
    function = _BY_NODE.get(type(node), objects.no_table_effect)
    return function(node, state)


def update_session(node: ast.Node, state: MigrationState) -> None:
    """Apply transaction control and settings to the walk state."""
    if isinstance(node, ast.TransactionStmt):
        session.apply_transaction(node, state)
    elif isinstance(node, ast.VariableSetStmt):
        session.apply_setting(node, state)


__all__ = ["Effect", "effect_of", "update_session"]
