"""Views, triggers, sequences, types, grants, comments and other objects around tables."""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType

from zdt.analysis import names
from zdt.analysis.effects.base import Effect
from zdt.analysis.effects.data import select_effect
from zdt.analysis.fields import nodes_of, required
from zdt.analysis.locks import LockMode
from zdt.analysis.state import MigrationState


def view_effect(node: ast.ViewStmt, state: MigrationState) -> Effect:
    view = names.of_range_var(required(node.view, "ViewStmt.view"))
    effect = select_effect(node.query, state) if isinstance(node.query, ast.SelectStmt) else Effect()
    exists = state.relation_exists(view)
    if node.replace and exists:
        effect.lock(view, LockMode.ACCESS_EXCLUSIVE)
    else:
        effect.touch(view)
        effect.created.add(view)
    effect.target = view
    effect.target_takes_writes = False
    return effect


def refresh_matview_effect(node: ast.RefreshMatViewStmt, state: MigrationState) -> Effect:
    """REFRESH re-runs the view's query (AccessShareLock on its tables). Plain REFRESH swaps in new files
    under AccessExclusiveLock; CONCURRENTLY diffs into the existing ones under ExclusiveLock (reads go on)."""
    view = names.of_range_var(required(node.relation, "RefreshMatViewStmt.relation"))
    effect = Effect(target=view, rewrites_table=not node.concurrent, scans_table=True)
    effect.lock(view, LockMode.EXCLUSIVE if node.concurrent else LockMode.ACCESS_EXCLUSIVE)
    effect.target_takes_writes = False
    if state.snapshot is not None:
        for name, info in state.snapshot.tables.items():
            if view in info.dependent_views and name != view:
                effect.lock(name, LockMode.ACCESS_SHARE)
    return effect


def create_trigger_effect(node: ast.CreateTrigStmt, state: MigrationState) -> Effect:
    table = names.of_range_var(required(node.relation, "CreateTrigStmt.relation"))
    effect = Effect(target=table)
    effect.lock(table, LockMode.SHARE_ROW_EXCLUSIVE)
    return effect


def drop_trigger_effect(node: ast.DropStmt, state: MigrationState) -> Effect:
    effect = Effect()
    for object_names in node.objects or ():
        table = names.of_name_list(object_names[:-1])
        effect.lock(table, LockMode.ACCESS_EXCLUSIVE)
        effect.target = effect.target or table
    return effect


def sequence_effect(node: ast.CreateSeqStmt | ast.AlterSeqStmt, state: MigrationState) -> Effect:
    sequence = names.of_range_var(required(node.sequence, "sequence statement's .sequence"))
    effect = Effect(target=sequence, target_takes_writes=False)
    if isinstance(node, ast.CreateSeqStmt):
        effect.touch(sequence)
        effect.created.add(sequence)
    else:
        effect.lock(sequence, LockMode.SHARE_ROW_EXCLUSIVE)
    for option in node.options or ():
        if option.defname == "owned_by" and len(option.arg or ()) >= 2:
            owner = names.of_name_list(tuple(option.arg)[:-1])
            effect.lock(owner, LockMode.ACCESS_SHARE)
    return effect


def create_enum_effect(node: ast.CreateEnumStmt, state: MigrationState) -> Effect:
    """No table is locked; the state learns the type is an enum (a column's default cannot be cast to
    one, which a type change of a column with a default has to know before the catalog has the type)."""
    return Effect(enums={names.of_name_list(nodes_of(node.typeName, ast.String, "CreateEnumStmt.typeName"))})


def alter_enum_effect(node: ast.AlterEnumStmt, state: MigrationState) -> Effect:
    """ADD VALUE cannot run in a transaction block before PostgreSQL 12; no table is locked."""
    adding = node.newVal is not None and node.oldVal is None
    return Effect(transactional=not (adding and state.pg_version < 12))


def comment_effect(node: ast.CommentStmt, state: MigrationState) -> Effect:
    effect = Effect()
    if node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
        table = names.of_name_list(nodes_of(node.object, ast.String, "COMMENT ON TABLE's CommentStmt.object"))
    elif node.objtype == ObjectType.OBJECT_COLUMN:
        column_path = nodes_of(node.object, ast.String, "COMMENT ON COLUMN's CommentStmt.object")
        table = names.of_name_list(column_path[:-1])
    else:
        return effect
    effect.lock(table, LockMode.SHARE_UPDATE_EXCLUSIVE)
    effect.target = table
    return effect


# PostgreSQL 18 locks the table (AccessShareLock) while GRANT/REVOKE updates its catalog row; 15 does
# not (both measured here). 16 and 17 were not measured: they are assumed to behave like 15.
GRANT_LOCKS_TABLE_SINCE = 18


def grant_effect(node: ast.GrantStmt, state: MigrationState) -> Effect:
    """GRANT and REVOKE change the table's catalog row; readers and writers are not blocked."""
    effect = Effect()
    if node.objtype == ObjectType.OBJECT_TABLE:
        for relation in node.objects or ():
            if isinstance(relation, ast.RangeVar):
                table = names.of_range_var(relation)
                if state.pg_version >= GRANT_LOCKS_TABLE_SINCE:
                    effect.lock(table, LockMode.ACCESS_SHARE)
                else:
                    effect.touch(table)
        effect.target = effect.tables[0] if effect.tables else None
    return effect


def no_table_effect(node: ast.Node, state: MigrationState) -> Effect:
    """Statements that lock no user table (CREATE TYPE, CREATE FUNCTION, session settings, ...)."""
    return Effect()


def not_in_transaction_effect(node: ast.Node, state: MigrationState) -> Effect:
    """CREATE/DROP DATABASE, ALTER SYSTEM and the like refuse to run inside a transaction block."""
    return Effect(transactional=False)


def rule_or_policy_effect(node: ast.RuleStmt | ast.CreatePolicyStmt, state: MigrationState) -> Effect:
    relation = node.relation if isinstance(node, ast.RuleStmt) else node.table
    table = names.of_range_var(required(relation, "the rule's or policy's table"))
    effect = Effect(target=table)
    effect.lock(table, LockMode.ACCESS_EXCLUSIVE)
    return effect


def set_schema_effect(node: ast.AlterObjectSchemaStmt, state: MigrationState) -> Effect:
    """ALTER TABLE/VIEW ... SET SCHEMA moves the relation: AccessExclusiveLock, like a rename."""
    effect = Effect()
    if node.relation is not None:
        relation = names.of_range_var(node.relation)
        effect.lock(relation, LockMode.ACCESS_EXCLUSIVE)
        effect.target = relation
        name = required(node.relation.relname, "RangeVar.relname")
        effect.renamed = (relation, names.qualified(node.newschema, name))
    return effect


# ALTER DOMAIN sub-commands that check existing values: add constraint, validate, set not null.
_DOMAIN_CHECKING_SUBTYPES = {"C", "V", "O"}


def alter_domain_effect(node: ast.AlterDomainStmt, state: MigrationState) -> Effect:
    """Checking a domain's values takes ShareLock on, and scans, every table with a column of it."""
    effect = Effect()
    if node.subtype not in _DOMAIN_CHECKING_SUBTYPES or (node.subtype == "C" and _skips_validation(node)):
        return effect
    domain = required(node.typeName, "AlterDomainStmt.typeName")[-1].sval
    for table in _tables_using_type(domain, state):
        effect.lock(table, LockMode.SHARE)
        effect.target = effect.target or table
    effect.scans_table = bool(effect.locks)
    return effect


def _skips_validation(node: ast.AlterDomainStmt) -> bool:
    return bool(getattr(node.def_, "skip_validation", False))


def _tables_using_type(type_name: str, state: MigrationState) -> list[str]:
    if state.snapshot is None:
        return []
    return [
        name
        for name, info in state.snapshot.tables.items()
        if info.kind in ("r", "p")
        and any(col.base_type.split(".")[-1] == type_name for col in info.columns.values())
    ]
