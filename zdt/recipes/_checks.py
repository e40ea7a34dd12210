"""Verification queries shared by recipes: each returns a single boolean, true when the step took effect."""

from __future__ import annotations

from zdt.recipes.base import literal, render


def relation_exists(relation: str) -> str:
    return render("SELECT to_regclass({r}) IS NOT NULL", r=literal(relation))


def relation_absent(relation: str) -> str:
    return render("SELECT to_regclass({r}) IS NULL", r=literal(relation))


def column_exists(table: str, column: str) -> str:
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({t}) "
        "AND attname = {c} AND attnum > 0 AND NOT attisdropped)",
        t=literal(table),
        c=literal(column),
    )


def column_absent(table: str, column: str) -> str:
    return "SELECT NOT (" + column_exists(table, column).removeprefix("SELECT ") + ")"


def column_type_is(table: str, column: str, type_name: str) -> str:
    return render(
        "SELECT coalesce((SELECT format_type(atttypid, atttypmod) = {ty} FROM pg_attribute "
        "WHERE attrelid = to_regclass({t}) AND attname = {c} AND NOT attisdropped), false)",
        t=literal(table),
        c=literal(column),
        ty=literal(type_name),
    )


def column_not_null_is(table: str, column: str, not_null: bool) -> str:
    return render(
        "SELECT coalesce((SELECT attnotnull = {n} FROM pg_attribute "
        "WHERE attrelid = to_regclass({t}) AND attname = {c} AND NOT attisdropped), false)",
        t=literal(table),
        c=literal(column),
        n=literal(not_null),
    )


def column_has_default(table: str, column: str, has_default: bool) -> str:
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid "
        "AND a.attnum = d.adnum WHERE d.adrelid = to_regclass({t}) AND a.attname = {c}) = {h}",
        t=literal(table),
        c=literal(column),
        h=literal(has_default),
    )


def constraint_exists(table: str, name: str, *, validated: bool | None = None) -> str:
    condition = "" if validated is None else f" AND convalidated = {'true' if validated else 'false'}"
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({t}) AND conname = {n}"
        + condition
        + ")",
        t=literal(table),
        n=literal(name),
    )


def constraint_absent(table: str, name: str) -> str:
    return render(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({t}) AND conname = {n})",
        t=literal(table),
        n=literal(name),
    )


def index_valid(index: str) -> str:
    return render(
        "SELECT coalesce((SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass({i})), false)",
        i=literal(index),
    )


def trigger_exists(table: str, name: str) -> str:
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass({t}) AND tgname = {n})",
        t=literal(table),
        n=literal(name),
    )


def type_exists(type_name: str) -> str:
    return render("SELECT to_regtype({t}) IS NOT NULL", t=literal(type_name))


def enum_label_exists(type_name: str, label: str) -> str:
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_enum WHERE enumtypid = to_regtype({t}) AND enumlabel = {l})",
        t=literal(type_name),
        l=literal(label),
    )
