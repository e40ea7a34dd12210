"""Catalog checks that nothing in the database still depends on a table or column about to be dropped.

Not a recipe: drop-table and drop-column run one of these as a guard step right before the drop. The
catalog cannot say whether application code still reads a table (that is why a human confirms the
release has moved on), but it can say whether other database objects would break or silently vanish
with it: views and rules that read it, foreign keys that point at it, functions or columns typed by its
row type, inheritance children; for a column also the indexes, constraints, statistics, triggers and
generated columns that use it. pg_depend records all of these.

What is not reported is what belongs to the dropped thing itself and goes with it by design: its own
indexes, constraints, triggers, defaults, rules and policies (for a table), and its default, owned
sequence, NOT NULL constraint and a CHECK about that column alone (for a column).

Each query returns one boolean, true when nothing depends; each ``list_*`` twin returns the
pg_describe_object() text of every dependent, for the operator who must clear them.
"""

from __future__ import annotations

from psycopg import sql

from zdt.recipes.base import literal, render

_OWNED_BY_TABLES = """
        (d.classid = 'pg_class'::regclass AND (d.objid = ANY (dropped.oids)
            OR d.objid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ANY (dropped.oids))))
     OR (d.classid = 'pg_constraint'::regclass
            AND d.objid IN (SELECT oid FROM pg_constraint WHERE conrelid = ANY (dropped.oids)))
     OR (d.classid = 'pg_rewrite'::regclass
            AND d.objid IN (SELECT oid FROM pg_rewrite WHERE ev_class = ANY (dropped.oids)))
     OR (d.classid = 'pg_trigger'::regclass
            AND d.objid IN (SELECT oid FROM pg_trigger WHERE tgrelid = ANY (dropped.oids)))
     OR (d.classid = 'pg_attrdef'::regclass
            AND d.objid IN (SELECT oid FROM pg_attrdef WHERE adrelid = ANY (dropped.oids)))
     OR (d.classid = 'pg_policy'::regclass
            AND d.objid IN (SELECT oid FROM pg_policy WHERE polrelid = ANY (dropped.oids)))
     OR (d.classid = 'pg_statistic_ext'::regclass
            AND d.objid IN (SELECT oid FROM pg_statistic_ext WHERE stxrelid = ANY (dropped.oids)))
"""

_TABLE_DEPENDENTS = (
    """
    FROM pg_depend d,
         (SELECT array_agg(c.oid) AS oids, array_agg(c.reltype) AS types
          FROM pg_class c WHERE c.oid IN ({tables})) AS dropped
    WHERE d.deptype = 'n'
      AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY (dropped.oids))
        OR (d.refclassid = 'pg_type'::regclass AND d.refobjid = ANY (dropped.types)))
      AND NOT ("""
    + _OWNED_BY_TABLES
    + "      )"
)

_COLUMN_DEPENDENTS = """
    FROM pg_depend d,
         (SELECT a.attrelid, a.attnum FROM pg_attribute a
          WHERE a.attrelid = to_regclass({t}) AND a.attname = {c} AND a.attnum > 0 AND NOT a.attisdropped)
          AS dropped
    WHERE d.deptype IN ('n', 'a')
      AND d.refclassid = 'pg_class'::regclass AND d.refobjid = dropped.attrelid
      AND d.refobjsubid = dropped.attnum
      AND NOT (d.classid = 'pg_attrdef'::regclass AND d.objid IN
                (SELECT oid FROM pg_attrdef WHERE adrelid = dropped.attrelid AND adnum = dropped.attnum))
      AND NOT (d.classid = 'pg_class'::regclass AND d.objid IN (SELECT oid FROM pg_class WHERE relkind = 'S'))
      AND NOT (d.classid = 'pg_constraint'::regclass AND d.objid IN
                (SELECT oid FROM pg_constraint WHERE conrelid = dropped.attrelid
                 AND contype IN ('n', 'c') AND conkey = ARRAY[dropped.attnum]))
"""


def _tables(tables: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL("to_regclass({})").format(literal(table)) for table in tables)


def nothing_depends_on_tables(tables: list[str]) -> str:
    """True when no object outside ``tables`` depends on any of them (tables dropped together)."""
    return render("SELECT NOT EXISTS (SELECT 1" + _TABLE_DEPENDENTS + ")", tables=_tables(tables))


def list_table_dependents(tables: list[str]) -> str:
    return render(
        "SELECT coalesce(array_agg(DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid)), '{{}}')"
        + _TABLE_DEPENDENTS,
        tables=_tables(tables),
    )


def nothing_depends_on_column(table: str, column_name: str) -> str:
    """True when no index, view, constraint, statistics object, trigger or column uses the column."""
    return render(
        "SELECT NOT EXISTS (SELECT 1" + _COLUMN_DEPENDENTS + ")", t=literal(table), c=literal(column_name)
    )


def list_column_dependents(table: str, column_name: str) -> str:
    return render(
        "SELECT coalesce(array_agg(DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid)), '{{}}')"
        + _COLUMN_DEPENDENTS,
        t=literal(table),
        c=literal(column_name),
    )
