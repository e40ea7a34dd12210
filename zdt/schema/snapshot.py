"""A JSON-serialisable snapshot of a database schema, read from the catalogs in a handful of queries.

The analyser consults it (current column types, valid CHECK constraints, table sizes, which casts are
binary-coercible on this server, function volatility, dependent views) instead of guessing; the planner
and executor use it for fingerprints. Names are schema-qualified (``public.users``). The definitions of
functions, views and triggers (``pg_get_functiondef``, ``pg_get_viewdef``, ``pg_get_triggerdef``) are
what recipes re-create them from when a step replacing or dropping one is rolled back; objects of
extensions are left out (the extension owns them).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # the analyser reads snapshots without a server: psycopg only for introspect()
    import psycopg


class ColumnInfo(BaseModel):
    name: str
    type: str = Field(description="format_type() of the column, e.g. 'character varying(50)'.")
    base_type: str = Field(description="Type name without modifiers, e.g. 'character varying'.")
    not_null: bool
    default: str | None = None
    generated: str = ""


class CheckInfo(BaseModel):
    name: str
    definition: str
    validated: bool
    not_null_column: str | None = Field(
        default=None, description="Column X when the check is exactly 'X IS NOT NULL'."
    )


class IndexInfo(BaseModel):
    name: str
    definition: str
    unique: bool
    primary: bool
    valid: bool
    constraint: str = Field(
        default="",
        description="pg_constraint.contype of the constraint the index backs: p, u or x; '' for none.",
    )


class ForeignKeyInfo(BaseModel):
    name: str
    definition: str
    referenced_table: str
    columns: list[str] = Field(default_factory=list, description="Referencing columns, in key order.")
    validated: bool


class TableInfo(BaseModel):
    name: str
    kind: str = Field(description="pg_class.relkind: r table, p partitioned, v view, m matview.")
    rows: int = 0
    bytes: int = 0
    columns: dict[str, ColumnInfo] = Field(default_factory=dict)
    checks: list[CheckInfo] = Field(default_factory=list)
    indexes: list[IndexInfo] = Field(default_factory=list)
    foreign_keys: list[ForeignKeyInfo] = Field(default_factory=list)
    referenced_by: list[str] = Field(default_factory=list)
    dependent_views: list[str] = Field(default_factory=list)
    view_columns: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Each dependent view -> the columns of this table it reads (pg_depend), by name.",
    )
    triggers: list[str] = Field(default_factory=list)
    trigger_columns: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Each trigger using columns (UPDATE OF, WHEN) -> those columns (pg_depend).",
    )
    partitions: list[str] = Field(default_factory=list)
    tablespace: str | None = Field(default=None, description="None: the database's default tablespace.")


class FunctionInfo(BaseModel):
    """A function or procedure, with the definition that re-creates it exactly."""

    signature: str = Field(description="'public.f(integer, text[])': name and input argument types.")
    name: str = Field(description="'public.f'.")
    argument_types: list[str] = Field(
        default_factory=list, description="format_type() of each IN/INOUT/VARIADIC argument, in order."
    )
    kind: str = Field(description="pg_proc.prokind: f function, p procedure.")
    language: str
    returns: str = Field(
        default="", description="pg_get_function_result(), e.g. 'trigger'; '' for procedures."
    )
    definition: str = Field(description="pg_get_functiondef(): a complete CREATE OR REPLACE statement.")


class ViewInfo(BaseModel):
    """A view or materialized view, with what re-creates it: the query, options, privileges."""

    name: str
    kind: str = Field(description="pg_class.relkind: v view, m materialized view.")
    definition: str = Field(description="pg_get_viewdef(): the SELECT, ending in ';'.")
    options: list[str] = Field(
        default_factory=list, description="pg_class.reloptions, e.g. security_barrier=true."
    )
    populated: bool = True
    grants: list[str] = Field(
        default_factory=list,
        description="GRANT statements re-granting what others hold on it (not its owner).",
    )


class TriggerInfo(BaseModel):
    """A trigger as the recipes re-create it: its statement and whether it fires (ENABLE / DISABLE)."""

    table: str
    name: str = Field(description="pg_trigger.tgname, as stored (not quoted).")
    definition: str = Field(description="pg_get_triggerdef(): a complete CREATE [CONSTRAINT] TRIGGER.")
    enabled: str = Field(
        default="O",
        description="pg_trigger.tgenabled: O fires (origin), D disabled, R replica only, A always.",
    )


class CheckpointSettings(BaseModel):
    """The server settings that decide when WAL volume forces a checkpoint (see zdt/plan/wal_volume.py)."""

    max_wal_size_bytes: int
    checkpoint_timeout_s: int
    checkpoint_completion_target: float


class SchemaSnapshot(BaseModel):
    """The schema of one database at one moment."""

    server_version: int = Field(description="Major version, e.g. 15 or 18.")
    server_version_num: int = 0
    timezone: str = "UTC"
    tables: dict[str, TableInfo] = Field(default_factory=dict)
    index_tables: dict[str, str] = Field(default_factory=dict, description="index -> its table")
    binary_casts: list[tuple[str, str]] = Field(default_factory=list)
    function_volatility: dict[str, str] = Field(default_factory=dict)
    builtin_volatility: dict[str, str] = Field(
        default_factory=dict,
        description="pg_catalog function -> the most volatile of its overloads (i, s, v): the gate's "
        "allow-list of built-ins, read from the server's own pg_proc",
    )
    enums: dict[str, list[str]] = Field(default_factory=dict)
    sequences: list[str] = Field(default_factory=list)
    # Not part of the fingerprint: pg_get_functiondef/pg_get_viewdef text is deparsed by the server, whose
    # spelling may change between major versions, and fingerprints are compared across servers.
    functions: dict[str, FunctionInfo] = Field(default_factory=dict, description="signature -> function")
    views: dict[str, ViewInfo] = Field(default_factory=dict)
    trigger_definitions: dict[str, dict[str, TriggerInfo]] = Field(
        default_factory=dict, description="table -> trigger name -> trigger (user triggers only)"
    )
    checkpoints: CheckpointSettings | None = Field(default=None, description="None: not read.")

    def table(self, name: str) -> TableInfo | None:
        return self.tables.get(name)

    def view(self, name: str) -> ViewInfo | None:
        return self.views.get(name)

    def trigger(self, table: str, name: str) -> TriggerInfo | None:
        return self.trigger_definitions.get(table, {}).get(name)

    def is_enum(self, formatted_type: str) -> bool:
        """Whether a format_type() spelling ('"Role"', 'billing.plan', ...) names one of the enums.

        format_type() leaves out the schema of a type on the search path (public), and quotes names
        as identifiers, as the enums' keys (format('%I.%I')) do.
        """
        spelled = formatted_type.removesuffix("[]")
        return any(
            spelled == key or (key.startswith("public.") and spelled == key.removeprefix("public."))
            for key in self.enums
        )

    def functions_named(self, name: str) -> list[FunctionInfo]:
        """Every function and procedure called ``name`` ('public.f'), whatever its arguments."""
        return [info for info in self.functions.values() if info.name == name]

    def is_binary_coercible(self, source: str, target: str) -> bool:
        return source == target or (source, target) in {tuple(pair) for pair in self.binary_casts}

    def fingerprint(self) -> str:
        """Hash of the shape of the schema (tables, columns, types, constraints, indexes), not of sizes."""
        shape = {
            name: {
                "kind": table.kind,
                "columns": {
                    c.name: [c.type, c.not_null, c.default, c.generated] for c in table.columns.values()
                },
                "checks": sorted([c.name, c.definition, c.validated] for c in table.checks),
                "indexes": sorted([i.name, i.definition, i.valid] for i in table.indexes),
                "foreign_keys": sorted([f.name, f.definition, f.validated] for f in table.foreign_keys),
                "triggers": sorted(table.triggers),
            }
            for name, table in sorted(self.tables.items())
        }
        shape_text = json.dumps({"tables": shape, "enums": self.enums}, sort_keys=True)
        return hashlib.sha256(shape_text.encode()).hexdigest()


_USER_SCHEMA = """
    n.nspname NOT IN ('pg_catalog', 'information_schema', 'zdt')
    AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
"""

_TABLES = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind,
       (SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace) AS tablespace,
       ARRAY(SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i
             JOIN pg_class pc ON pc.oid = i.inhrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
             WHERE i.inhparent = c.oid AND c.relkind = 'p' ORDER BY 1) AS partitions,
       greatest(c.reltuples, 0)::bigint AS est_rows,
       coalesce(s.n_live_tup, 0)::bigint AS live_rows,
       CASE WHEN __SIZES__ AND c.relkind IN ('r', 'm', 'p') THEN pg_total_relation_size(c.oid) ELSE 0 END
           AS bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE {_USER_SCHEMA} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""

_COLUMNS = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type, format_type(a.atttypid, NULL) AS base_type,
       a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default,
       a.attgenerated::text AS generated
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE {_USER_SCHEMA} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY 1, a.attnum
"""

_CONSTRAINTS = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, con.conname AS name,
       con.contype::text AS type, pg_get_constraintdef(con.oid) AS definition,
       con.convalidated AS validated,
       CASE WHEN con.confrelid <> 0 THEN format('%I.%I', rn.nspname, rc.relname) END
           AS referenced_table,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.position) AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_constraint con ON con.conrelid = c.oid
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE {_USER_SCHEMA} AND con.contype IN ('c', 'f')
"""

_INDEXES = f"""
SELECT format('%I.%I', n.nspname, t.relname) AS table_name,
       format('%I.%I', n.nspname, c.relname) AS name,
       pg_get_indexdef(i.indexrelid) AS definition, i.indisunique AS unique,
       i.indisprimary AS primary, i.indisvalid AS valid,
       coalesce((SELECT con.contype::text FROM pg_constraint con
                 WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                   AND con.contype IN ('p', 'u', 'x') LIMIT 1), '') AS constraint
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_index i ON i.indexrelid = c.oid
JOIN pg_class t ON t.oid = i.indrelid
WHERE {_USER_SCHEMA}
"""

_VIEW_DEPENDENCIES = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS table_name,
       format('%I.%I', vn.nspname, v.relname) AS view_name,
       coalesce(array_agg(DISTINCT a.attname) FILTER (WHERE a.attname IS NOT NULL), '{{}}') AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_depend d ON d.refobjid = c.oid AND d.classid = 'pg_rewrite'::regclass
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace vn ON vn.oid = v.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
WHERE {_USER_SCHEMA} AND v.oid <> c.oid
GROUP BY 1, 2
"""

_TRIGGERS = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, tg.tgname AS name,
       ARRAY(SELECT a.attname FROM pg_depend d
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_trigger'::regclass AND d.objid = tg.oid
               AND d.refclassid = 'pg_class'::regclass AND d.refobjid = tg.tgrelid AND d.refobjsubid > 0
             ORDER BY a.attnum) AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_trigger tg ON tg.tgrelid = c.oid
WHERE {_USER_SCHEMA} AND NOT tg.tgisinternal
"""

# pg_get_triggerdef opens the table (AccessShareLock) to print a WHEN clause: read with the definitions.
_TRIGGER_DEFINITIONS = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, tg.tgname AS name,
       pg_get_triggerdef(tg.oid) AS definition, tg.tgenabled::text AS enabled
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_trigger tg ON tg.tgrelid = c.oid
WHERE {_USER_SCHEMA} AND NOT tg.tgisinternal
"""

_BINARY_CASTS = """
SELECT format_type(castsource, NULL) AS source, format_type(casttarget, NULL) AS target
FROM pg_cast WHERE castmethod = 'b'
"""

_VOLATILITY = """
SELECT p.proname AS name, max(p.provolatile::text) AS volatility
FROM pg_proc p GROUP BY p.proname
"""

_BUILTIN_VOLATILITY = """
SELECT p.proname AS name, max(p.provolatile::text) AS volatility
FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace GROUP BY p.proname
"""

_ENUMS = """
SELECT format('%I.%I', n.nspname, t.typname) AS name,
       array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
GROUP BY 1
"""

_SEQUENCES = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_SCHEMA} AND c.relkind = 'S'
"""


_NOT_FROM_EXTENSION = """
    NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid}
                AND e.deptype = 'e')
"""

_FUNCTIONS = f"""
SELECT format('%I.%I', n.nspname, p.proname) AS name, p.prokind::text AS kind, l.lanname AS language,
       ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)
             ORDER BY a.i) AS argument_types,
       oidvectortypes(p.proargtypes) AS arguments,
       coalesce(pg_get_function_result(p.oid), '') AS returns, pg_get_functiondef(p.oid) AS definition
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE {_USER_SCHEMA} AND p.prokind IN ('f', 'p')
  AND {_NOT_FROM_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
"""

_VIEWS = f"""
SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind,
       pg_get_viewdef(c.oid) AS definition, coalesce(c.reloptions, '{{}}') AS options,
       c.relispopulated AS populated,
       ARRAY(SELECT format('GRANT %s ON %I.%I TO %s%s', a.privilege_type, n.nspname, c.relname,
                           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,
                           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
             FROM aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
             WHERE a.grantee <> c.relowner ORDER BY 1) AS grants
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_SCHEMA} AND c.relkind IN ('v', 'm')
  AND {_NOT_FROM_EXTENSION.format(catalog="pg_class", oid="c.oid")}
"""


def _not_null_column(definition: str) -> str | None:
    """'CHECK ((email IS NOT NULL))' -> 'email'; anything else -> None."""
    text = definition.removeprefix("CHECK").strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    suffix = " IS NOT NULL"
    if text.endswith(suffix):
        column = text[: -len(suffix)].strip()
        if column.replace("_", "").isalnum() or (column.startswith('"') and column.endswith('"')):
            return column.strip('"')
    return None


_CHECKPOINTS = """
SELECT pg_size_bytes(current_setting('max_wal_size')) AS max_wal_size_bytes,
       (SELECT setting::int FROM pg_settings WHERE name = 'checkpoint_timeout') AS checkpoint_timeout_s,
       current_setting('checkpoint_completion_target')::float8 AS checkpoint_completion_target
"""


def fingerprint_of(conn: psycopg.Connection) -> str:
    """The schema's fingerprint without table sizes, which the fingerprint does not need.

    pg_total_relation_size opens every table (AccessShareLock); skipping it leaves only pg_get_expr on
    tables with defaults, so reading the fingerprint rarely waits behind someone's AccessExclusiveLock.
    View and function definitions are not part of the fingerprint and are skipped too: pg_get_viewdef
    locks the tables a view reads (AccessShareLock).
    """
    return introspect(conn, sizes=False, definitions=False).fingerprint()


def introspect(conn: psycopg.Connection, *, sizes: bool = True, definitions: bool = True) -> SchemaSnapshot:
    """Read the schema of the database ``conn`` is connected to; ``sizes`` False skips table sizes,
    ``definitions`` False the definitions of functions and views."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        version_row = cur.execute("SHOW server_version_num").fetchone()
        timezone_row = cur.execute("SHOW TimeZone").fetchone()
        assert version_row is not None and timezone_row is not None  # SHOW always returns one row
        version_num = int(version_row["server_version_num"])
        timezone = timezone_row["TimeZone"]
        tables = {
            row["name"]: TableInfo(
                name=row["name"],
                kind=row["kind"],
                rows=max(int(row["est_rows"]), int(row["live_rows"])),
                bytes=int(row["bytes"]),
                tablespace=row["tablespace"],
                partitions=list(row["partitions"]),
            )
            for row in cur.execute(_TABLES.replace("__SIZES__", "true" if sizes else "false"))
        }
        for row in cur.execute(_COLUMNS):
            table = tables.get(row["table_name"])
            if table is not None:
                table.columns[row["name"]] = ColumnInfo(**{k: v for k, v in row.items() if k != "table_name"})
        for row in cur.execute(_CONSTRAINTS):
            table = tables.get(row["table_name"])
            if table is None:
                continue
            if row["type"] == "c":
                table.checks.append(
                    CheckInfo(
                        name=row["name"],
                        definition=row["definition"],
                        validated=row["validated"],
                        not_null_column=_not_null_column(row["definition"]),
                    )
                )
            else:
                referenced = row["referenced_table"]
                table.foreign_keys.append(
                    ForeignKeyInfo(
                        name=row["name"],
                        definition=row["definition"],
                        referenced_table=referenced,
                        columns=list(row["columns"]),
                        validated=row["validated"],
                    )
                )
                if referenced in tables and row["table_name"] not in tables[referenced].referenced_by:
                    tables[referenced].referenced_by.append(row["table_name"])
        index_tables: dict[str, str] = {}
        for row in cur.execute(_INDEXES):
            index_tables[row["name"]] = row["table_name"]
            table = tables.get(row["table_name"])
            if table is not None:
                table.indexes.append(
                    IndexInfo(
                        name=row["name"],
                        definition=row["definition"],
                        unique=row["unique"],
                        primary=row["primary"],
                        valid=row["valid"],
                        constraint=row["constraint"],
                    )
                )
        for row in cur.execute(_VIEW_DEPENDENCIES):
            table = tables.get(row["table_name"])
            if table is not None:
                table.dependent_views.append(row["view_name"])
                table.view_columns[row["view_name"]] = list(row["columns"])
        for row in cur.execute(_TRIGGERS):
            table = tables.get(row["table_name"])
            if table is not None:
                table.triggers.append(row["name"])
                if row["columns"]:
                    table.trigger_columns[row["name"]] = list(row["columns"])
        casts = [(row["source"], row["target"]) for row in cur.execute(_BINARY_CASTS)]
        volatility = {row["name"]: row["volatility"] for row in cur.execute(_VOLATILITY)}
        builtins = {row["name"]: row["volatility"] for row in cur.execute(_BUILTIN_VOLATILITY)}
        enums = {row["name"]: list(row["labels"]) for row in cur.execute(_ENUMS)}
        sequences = [row["name"] for row in cur.execute(_SEQUENCES)]
        functions = {
            f"{row['name']}({row['arguments']})": FunctionInfo(
                signature=f"{row['name']}({row['arguments']})",
                name=row["name"],
                argument_types=list(row["argument_types"]),
                kind=row["kind"],
                language=row["language"],
                returns=row["returns"],
                definition=row["definition"],
            )
            for row in (cur.execute(_FUNCTIONS) if definitions else ())
        }
        views = {
            row["name"]: ViewInfo(
                name=row["name"],
                kind=row["kind"],
                definition=row["definition"],
                options=list(row["options"]),
                populated=row["populated"],
                grants=list(row["grants"]),
            )
            for row in (cur.execute(_VIEWS) if definitions else ())
        }
        trigger_definitions: dict[str, dict[str, TriggerInfo]] = {}
        for row in cur.execute(_TRIGGER_DEFINITIONS) if definitions else ():
            trigger_definitions.setdefault(row["table_name"], {})[row["name"]] = TriggerInfo(
                table=row["table_name"],
                name=row["name"],
                definition=row["definition"],
                enabled=row["enabled"],
            )
        checkpoint_row = cur.execute(_CHECKPOINTS).fetchone()
        assert checkpoint_row is not None  # a SELECT without FROM returns one row
        checkpoints = CheckpointSettings(**checkpoint_row)
    return SchemaSnapshot(
        server_version=version_num // 10000,
        server_version_num=version_num,
        timezone=timezone,
        tables=tables,
        index_tables=index_tables,
        binary_casts=casts,
        function_volatility=volatility,
        builtin_volatility=builtins,
        enums=enums,
        sequences=sequences,
        functions=functions,
        views=views,
        trigger_definitions=trigger_definitions,
        checkpoints=checkpoints,
    )
