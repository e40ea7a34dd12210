"""GRANT / REVOKE of privileges on tables, sequences, schemas and functions -> one step, run as written.

A privilege change is catalog metadata (the object's ACL): a brief lock, no scan. Granting role
membership (``GRANT role TO role``) is another statement, which the SQL policy refuses outright.

start:    GRANT in the expand phase: the new release may need the privilege, the old one is not hurt by
          it. REVOKE in the contract phase: it takes away what the old release may still use.
verify:   GRANT: ``has_table_privilege`` / ``has_column_privilege`` / ``has_sequence_privilege`` /
          ``has_schema_privilege`` / ``has_function_privilege`` is true for every grantee, object and
          privilege (``WITH GRANT OPTION`` included when given; ALL as the object type's full list).
          REVOKE: no such entry is left in the object's own ACL (``aclexplode``): the has_*_privilege
          functions may stay true through PUBLIC or a role the grantee is a member of, which the REVOKE
          does not touch.
rollback: the inverse statement, built from the parse tree: REVOKE what the GRANT gave, GRANT back what
          the REVOKE took. zdt's schema snapshot records no privileges, so the inverse cannot know which
          of them the grantee held before the plan: undoing a GRANT also revokes a privilege the grantee
          already had, undoing a REVOKE grants one it may not have had. The step's description says so.
          ``REVOKE ... CASCADE`` also revokes what the grantee granted on to others, which zdt cannot
          list: irreversible (its step is in contract, where the gate allows that).

Refused, with the statement's line: ``ON ALL ... IN SCHEMA`` (which objects it reaches is only known when
it runs, so neither check nor inverse can name them), ``GRANTED BY``, and other object types (types,
domains, languages, large objects, foreign servers...).
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import DropBehavior, GrantTargetType, RoleSpecType
from pglast.enums import ObjectType as OT
from pglast.stream import maybe_double_quote_name

from zdt.analysis import names
from zdt.analysis.fields import nodes_of, required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes.base import PlanningContext, Recipe, RecipeExample, deparse, literal, render, with_changes
from zdt.recipes.errors import PlanningError

CASCADE_IRREVERSIBLE = (
    "REVOKE ... CASCADE also revoked what the grantee had granted on to others, which zdt cannot list"
)
# What ALL means per object type (has_*_privilege takes no ALL). MAINTAIN exists from PostgreSQL 17.
_ALL = {
    "table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "sequence": ("USAGE", "SELECT", "UPDATE"),
    "schema": ("USAGE", "CREATE"),
    "function": ("EXECUTE",),
}
_KINDS = {
    OT.OBJECT_TABLE: "table",
    OT.OBJECT_SEQUENCE: "sequence",
    OT.OBJECT_SCHEMA: "schema",
    OT.OBJECT_FUNCTION: "function",
    OT.OBJECT_PROCEDURE: "function",
    OT.OBJECT_ROUTINE: "function",
}
_CATALOG = {"table": "pg_class", "sequence": "pg_class", "schema": "pg_namespace", "function": "pg_proc"}
_ACL_COLUMN = {"pg_class": "relacl", "pg_namespace": "nspacl", "pg_proc": "proacl"}


class Grants(Recipe):
    id = "grants"
    summary = "GRANT (expand) or REVOKE (contract) privileges on objects, verified for every grantee."
    examples = (
        RecipeExample(
            title="read access to a table and a new schema for everyone",
            schema="""
                CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);
                INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 12000) g;
                ANALYZE posts;
                CREATE SCHEMA reports;
            """,
            sql="""
                GRANT SELECT ON posts TO PUBLIC;
                GRANT USAGE ON SCHEMA reports TO PUBLIC;
            """,
            plan="""
                expand   s01-grant
                    GRANT SELECT ON posts TO PUBLIC
                expand   s02-grant
                    GRANT USAGE ON SCHEMA reports TO PUBLIC
            """,
            old_queries=(
                "SELECT id, title FROM posts WHERE id = 1",
                "INSERT INTO posts (id, title) VALUES (12001, 'written by the old release')",
            ),
            new_queries=(
                "SELECT has_table_privilege('public', 'posts', 'SELECT')",
                "SELECT id FROM posts WHERE id = 2",
            ),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        return isinstance(context.node, ast.GrantStmt)

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node_as(ast.GrantStmt)
        line = context.statement.line
        verb = "GRANT" if node.is_grant else "REVOKE"
        kind = _KINDS.get(required(node.objtype, "GrantStmt.objtype"))
        if kind is None:
            raise PlanningError(
                f"line {line}: zdt verifies {verb} on tables, sequences, schemas and functions only, not on "
                f"{required(node.objtype, 'GrantStmt.objtype').name.removeprefix('OBJECT_').lower()}s: "
                "privileges on databases, tablespaces and the like belong to the server's setup, not to a "
                "schema migration; grant them once, outside the migration (by the DBA or the provisioning "
                "that creates the roles), and keep the migration to the schema's own objects"
            )
        if node.targtype != GrantTargetType.ACL_TARGET_OBJECT:
            raise PlanningError(
                f"line {line}: {verb} ... ON ALL ... IN SCHEMA reaches objects known only when it runs: "
                "neither its check nor its undo can name them; name the objects"
            )
        if node.grantor is not None:
            raise PlanningError(
                f"line {line}: {verb} ... GRANTED BY: leave the grantor to the executor's role"
            )
        objects = [_object(item, kind) for item in node.objects or ()]
        grantees = [_grantee(role) for role in nodes_of(node.grantees, ast.RoleSpec, "GrantStmt.grantees")]
        privileges = _privileges(node, kind, context.pg_version)
        conditions = [
            _holds(kind, grantee, target, privilege, columns, node)
            for target in objects
            for grantee in grantees
            for privilege, columns in privileges
        ]
        listed = ", ".join(privilege for privilege, _ in privileges)
        shown = ", ".join(target.shown for target in objects)
        report = context.report
        lock = LockMode.strongest([taken.mode for taken in report.locks]) or report.lock
        caveat = (
            "; undoing it revokes them again, also from a grantee that held them before (zdt's snapshot "
            "records no privileges)"
            if node.is_grant
            else "; undoing it grants them back, also to a grantee that did not hold them before (zdt's "
            "snapshot records no privileges)"
        )
        return [
            context.step(
                "grant" if node.is_grant else "revoke",
                phase=Phase.EXPAND if node.is_grant else Phase.CONTRACT,
                description=f"{verb} {listed} on {kind} {shown}" + caveat,
                sql=[context.statement.sql],
                verify=Verification(
                    sql="SELECT " + " AND ".join(conditions),
                    description=(
                        f"every grantee holds {listed} on {shown}"
                        if node.is_grant
                        else f"no ACL entry of {shown} grants {listed} to the grantees any more"
                    ),
                ),
                rollback=_inverse(node),
                lock=lock,
                lock_duration=LockDuration.BRIEF if lock else LockDuration.NONE,
                tables=list(report.tables),
                recipe=self.id,
            )
        ]


class _Target:
    """One object of the statement: how the check functions name it (text, or an oid expression)."""

    def __init__(self, shown: str, reference: str) -> None:
        self.shown = shown
        self.reference = reference


def _object(item: ast.Node, kind: str) -> _Target:
    if isinstance(item, ast.RangeVar):
        relation = names.of_range_var(item)
        return _Target(relation, render("to_regclass({r})", r=literal(relation)))
    if isinstance(item, ast.String):
        schema = required(item.sval, "String.sval")
        return _Target(schema, render("to_regnamespace({s})", s=literal(maybe_double_quote_name(schema))))
    if isinstance(item, ast.ObjectWithArgs):
        name = ".".join(
            maybe_double_quote_name(required(part.sval, "String.sval"))
            for part in nodes_of(item.objname, ast.String, "ObjectWithArgs.objname")
        )
        if item.args_unspecified:
            return _Target(name, render("to_regproc({f})::oid", f=literal(name)))
        signature = f"{name}({', '.join(deparse(argument) for argument in item.objargs or ())})"
        return _Target(signature, render("to_regprocedure({f})::oid", f=literal(signature)))
    raise PlanningError(f"zdt cannot read the {kind} a GRANT names: {deparse(item)}")


def _grantee(role: ast.RoleSpec) -> str:
    """The grantee as an SQL expression of type name; PUBLIC as 'public', which the check functions take."""
    if role.roletype == RoleSpecType.ROLESPEC_CSTRING:
        return render("{r}", r=literal(required(role.rolename, "RoleSpec.rolename")))
    return {
        RoleSpecType.ROLESPEC_PUBLIC: "'public'",
        RoleSpecType.ROLESPEC_CURRENT_USER: "current_user",
        RoleSpecType.ROLESPEC_CURRENT_ROLE: "current_role",
        RoleSpecType.ROLESPEC_SESSION_USER: "session_user",
    }[required(role.roletype, "RoleSpec.roletype")]


def _privileges(node: ast.GrantStmt, kind: str, pg_version: int) -> list[tuple[str, tuple[str, ...]]]:
    """(privilege, columns) of the statement, ALL spelled out."""
    if not node.privileges:
        everything = _ALL[kind] + (("MAINTAIN",) if kind == "table" and pg_version >= 17 else ())
        return [(privilege, ()) for privilege in everything]
    listed = []
    for privilege in nodes_of(node.privileges, ast.AccessPriv, "GrantStmt.privileges"):
        name = required(privilege.priv_name, "AccessPriv.priv_name").upper()
        columns = tuple(
            required(column.sval, "String.sval") for column in nodes_of(privilege.cols, ast.String, "cols")
        )
        listed.append((name, columns))
    return listed


def _holds(
    kind: str, grantee: str, target: _Target, privilege: str, columns: tuple[str, ...], node: ast.GrantStmt
) -> str:
    """One boolean: the GRANT took effect for this grantee, object and privilege (the REVOKE did)."""
    if not node.is_grant:
        return _no_acl_entry(
            kind, grantee, target, privilege, columns, grantable_only=bool(node.grant_option)
        )
    wanted = literal(privilege + (" WITH GRANT OPTION" if node.grant_option else ""))
    if columns:
        return " AND ".join(
            render(
                "has_column_privilege({g}, " + target.reference + ", {c}, {p})",
                g=grantee,
                c=literal(column),
                p=wanted,
            )
            for column in columns
        )
    function = {"table": "has_table_privilege", "sequence": "has_sequence_privilege"}.get(
        kind, f"has_{kind}_privilege"
    )
    return render(function + "({g}, " + target.reference + ", {p})", g=grantee, p=wanted)


def _no_acl_entry(
    kind: str,
    grantee: str,
    target: _Target,
    privilege: str,
    columns: tuple[str, ...],
    *,
    grantable_only: bool,
) -> str:
    """No entry of the object's own ACL (its columns' ACLs, for column privileges) gives ``privilege`` to
    ``grantee`` (with the grant option, for REVOKE GRANT OPTION FOR)."""
    role = "0" if grantee == "'public'" else f"({grantee})::text::regrole::oid"
    option = " AND a.is_grantable" if grantable_only else ""
    if columns:
        source = render(
            "pg_attribute AS x, aclexplode(x.attacl) AS a WHERE x.attrelid = " + target.reference + " AND "
            "x.attname = ANY ({c})",
            c=literal(list(columns)),
        )
    else:
        catalog = _CATALOG[kind]
        source = f"{catalog} AS x, aclexplode(x.{_ACL_COLUMN[catalog]}) AS a WHERE x.oid = {target.reference}"
    return render(
        "NOT EXISTS (SELECT 1 FROM "
        + source
        + " AND a.grantee = "
        + role
        + " AND a.privilege_type = {p}"
        + option
        + ")",
        p=literal(privilege),
    )


def _inverse(node: ast.GrantStmt) -> Rollback:
    """REVOKE what a GRANT gave (all of it, the grant option with it); GRANT back what a REVOKE took (with
    the grant option, for REVOKE GRANT OPTION FOR)."""
    if not node.is_grant and node.behavior == DropBehavior.DROP_CASCADE:
        return Rollback(irreversible=CASCADE_IRREVERSIBLE)
    if node.is_grant:
        inverse = with_changes(node, is_grant=False, grant_option=False, behavior=DropBehavior.DROP_RESTRICT)
    else:
        inverse = with_changes(node, is_grant=True, grant_option=bool(node.grant_option))
    return Rollback(sql=[deparse(inverse)])
