"""Column types as ``format_type()`` spells them, and whether changing one forces a table rewrite.

PostgreSQL skips the rewrite of ``ALTER COLUMN ... TYPE`` when the old values are valid as they are:
binary-coercible casts (pg_cast.castmethod = 'b', e.g. varchar -> text, cidr -> inet), length or
precision increases that the type's support function recognises (varchar(n) -> varchar(m >= n),
numeric(p, s) -> numeric(p2 >= p, s), varbit, timestamp/time/interval precision), and since PostgreSQL 12
timestamp <-> timestamptz when the session's TimeZone is UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast
from pglast.stream import maybe_double_quote_name

from zdt.analysis.fields import required

_CATALOG_NAMES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "varbit": "bit varying",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
}
_ALIASES = {
    "int": "integer",
    "integer": "integer",
    "smallint": "smallint",
    "bigint": "bigint",
    "decimal": "numeric",
    "text": "text",
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}
SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})
_PRECISION_TYPES = frozenset(
    {
        "timestamp without time zone",
        "timestamp with time zone",
        "time without time zone",
        "time with time zone",
        "interval",
    }
)
_UTC_NAMES = frozenset({"utc", "etc/utc", "gmt", "etc/gmt", "zulu", "etc/zulu", "uct", "etc/uct", "z"})


@dataclass(frozen=True)
class ColumnType:
    """A type name without modifiers plus its numeric modifiers: ('character varying', (50,))."""

    base: str
    modifiers: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        return self._scalar() + ("[]" if self.array else "")

    def _scalar(self) -> str:
        if not self.modifiers:
            return self.base
        mods = ",".join(str(m) for m in self.modifiers)
        if self.base in ("timestamp without time zone", "timestamp with time zone"):
            zone = self.base.removeprefix("timestamp")
            return f"timestamp({mods}){zone}"
        if self.base in ("time without time zone", "time with time zone"):
            return f"time({mods}){self.base.removeprefix('time')}"
        return f"{self.base}({mods})"


def from_type_name(type_name: ast.TypeName) -> ColumnType:
    """The type a ColumnDef or ALTER ... TYPE names, in format_type() spelling."""
    names = [n.sval for n in required(type_name.names, "TypeName.names")]
    raw = names[-1]
    if len(names) > 1 and names[0] == "pg_catalog":
        base = _CATALOG_NAMES.get(raw, raw)
    elif len(names) == 1 and (raw in _ALIASES or raw in _CATALOG_NAMES):
        base = _ALIASES.get(raw, _CATALOG_NAMES.get(raw, raw))
    else:  # a user type, spelled as format_type() does: quoted when needed, schema unless public
        parts = names[1:] if len(names) > 1 and names[0] == "public" else names
        base = ".".join(maybe_double_quote_name(part) for part in parts)
    modifiers: list[int] = []
    for mod in type_name.typmods or ():
        value = getattr(getattr(mod, "val", None), "ival", None)
        if isinstance(value, int):
            modifiers.append(value)
    return ColumnType(base, tuple(modifiers), array=bool(type_name.arrayBounds))


def parse_formatted(text: str) -> ColumnType:
    """'character varying(50)' -> ColumnType('character varying', (50,)); as format_type() prints."""
    array = text.endswith("[]")
    if array:
        return ColumnType(**{**parse_formatted(text[:-2]).__dict__, "array": True})
    if "(" not in text:
        return ColumnType(text)
    head, _, rest = text.partition("(")
    mods_text, _, tail = rest.partition(")")
    try:
        mods = tuple(int(part) for part in mods_text.split(","))
    except ValueError:
        return ColumnType(text)
    return ColumnType((head + tail).strip(), mods)


def is_serial(type_name: ast.TypeName) -> bool:
    type_names = required(type_name.names, "TypeName.names")
    return len(type_names) == 1 and type_names[0].sval in SERIAL_TYPES


def _widens(old: ColumnType, new: ColumnType) -> bool:
    """Same base type, and the new modifiers accept every old value without conversion."""
    if old.base != new.base:
        return False
    if not new.modifiers:
        return True
    if not old.modifiers:
        return False
    if old.base in ("character varying", "bit varying"):
        return new.modifiers[0] >= old.modifiers[0]
    if old.base == "numeric":
        old_scale = old.modifiers[1] if len(old.modifiers) > 1 else 0
        new_scale = new.modifiers[1] if len(new.modifiers) > 1 else 0
        return new_scale == old_scale and new.modifiers[0] >= old.modifiers[0]
    if old.base in _PRECISION_TYPES:
        return new.modifiers[0] >= old.modifiers[0]
    return old.modifiers == new.modifiers


def is_utc(timezone: str | None) -> bool:
    return timezone is not None and timezone.strip().lower() in _UTC_NAMES


def change_rewrites(
    old: ColumnType,
    new: ColumnType,
    *,
    binary_casts: set[tuple[str, str]],
    pg_version: int,
    timezone: str | None,
) -> bool:
    """Would ``ALTER COLUMN ... TYPE new`` rewrite a column currently of type ``old``?"""
    if _widens(old, new):
        return False
    if (old.base, new.base) in binary_casts and (not new.modifiers or _is_unconstrained_target(new)):
        return False
    zones = {"timestamp without time zone", "timestamp with time zone"}
    if old.base in zones and new.base in zones and old.base != new.base:
        same_precision = old.modifiers == new.modifiers or not new.modifiers
        return not (pg_version >= 12 and is_utc(timezone) and same_precision)
    return True


def _is_unconstrained_target(new: ColumnType) -> bool:
    return new.base not in ("character varying", "character", "numeric", "bit", "bit varying")
