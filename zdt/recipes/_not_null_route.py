"""Make a column NOT NULL on a live table without scanning it under AccessExclusiveLock.

Not a recipe: the shared route that set-not-null, add-column-not-null and add-unique-using-index (for
a PRIMARY KEY's nullable columns) all take, so the three cannot drift apart; drop-not-null and
drop-constraint (a NOT NULL constraint, PostgreSQL 18) take it back as their rollback.

Why a route at all: ``SET NOT NULL`` reads the whole table to prove there is no NULL while it holds
AccessExclusiveLock, so every read and write of the table waits for the scan. The proof can instead be
made by a constraint validation, whose scan holds only ShareUpdateExclusiveLock:

* PostgreSQL 18: ``ADD CONSTRAINT n NOT NULL col NOT VALID`` (catalog only; new rows are checked at once),
  then ``VALIDATE CONSTRAINT n``: the column is NOT NULL once the validation commits. Two steps, and the
  constraint carries the name PostgreSQL itself would give (``<table>_<col>_not_null``). Checked on an
  18 server: the validation takes ShareUpdateExclusiveLock, and ADD PRIMARY KEY USING INDEX accepts the
  validated constraint without a scan (it refuses a NOT VALID one).
* PostgreSQL 12-17: ``ADD CONSTRAINT n CHECK (col IS NOT NULL) NOT VALID``, ``VALIDATE CONSTRAINT n``,
  then ``SET NOT NULL`` (12+ skips its scan because the valid CHECK already proves it), then the CHECK is
  dropped as redundant.
* Before 12 ``SET NOT NULL`` always scans: there is no safe route, and the planner says so.
"""

from __future__ import annotations

from pglast import ast, parser

from zdt.analysis import names
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes.base import PlanningContext, column, ident, literal, render, split_name
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import TableInfo

# The analyser reads CHECK constraints from the pre-migration snapshot only, so it cannot see that the
# previous step validated CHECK (col IS NOT NULL) and reports this SET NOT NULL as a scan. PostgreSQL does
# see it and skips the scan (tests capture its DEBUG1 "sufficient to prove" message). The suppression
# carries no user text, so no name can break out of the comment. Drop it once the analyser's state tracks
# constraints validated earlier in the same plan.
SCAN_PROVEN_BY_CHECK = (
    "-- zdt-ignore: setting-not-null -- the CHECK validated by the previous step proves it: no scan\n"
)


def not_null_constraint_name(context: PlanningContext, table: str, column_name: str) -> str:
    """``<table>_<col>_not_null``: PostgreSQL 18's own name for it, and free of clashes in the snapshot.

    A clash with an existing constraint of the table would make ADD CONSTRAINT fail mid-plan, so a
    numeric suffix is added until the name is free.
    """
    _, relname = split_name(table)
    taken = set()
    info = context.snapshot.table(table) if context.snapshot else None
    if info is not None:
        taken = {check.name for check in info.checks} | {fk.name for fk in info.foreign_keys}
        taken |= {split_name(index.name)[1] for index in info.indexes}
    base = names.stored_name(f"{relname}_{column_name}_not_null")
    candidate, number = base, 1
    while candidate in taken:
        suffix = str(number)
        head = base.encode()[: names.NAME_MAX_BYTES - len(suffix)].decode(errors="ignore")
        candidate = names.stored_name(head + suffix)
        number += 1
    return candidate


def not_null_steps(
    context: PlanningContext,
    table: str,
    column_name: str,
    *,
    phase: Phase,
    recipe: str,
    constraint: str | None = None,
) -> list[Step]:
    """The steps that leave ``table.column_name`` NOT NULL with no scan under AccessExclusiveLock.

    Each step is verified and reversible: undone in reverse order they leave the column nullable and no
    constraint behind. ``constraint`` names the constraint (the user's own name on PostgreSQL 18's
    ``ADD CONSTRAINT n NOT NULL col``); by default it is ``<table>_<col>_not_null``.
    """
    version = context.pg_version
    if version < 12:
        raise PlanningError(
            f"line {context.statement.line}: making {table}.{column_name} NOT NULL without a scan under "
            f"AccessExclusiveLock needs PostgreSQL 12 or later (this server: {version}); before 12, keep a "
            f"validated CHECK ({column_name} IS NOT NULL) constraint instead"
        )
    name = constraint or not_null_constraint_name(context, table, column_name)
    if version >= 18:
        return _native_route(context, table, column_name, name, phase, recipe)
    return _check_route(context, table, column_name, name, phase, recipe)


def _native_route(
    context: PlanningContext, table: str, column_name: str, name: str, phase: Phase, recipe: str
) -> list[Step]:
    t, c, n = ident(table), column(column_name), column(name)
    drop = render("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}", t=t, n=n)
    return [
        _step(
            context,
            table,
            f"{column_name}-not-null-not-valid",
            phase,
            recipe,
            f"add NOT NULL constraint {name} on {table}.{column_name} NOT VALID: new and updated rows are "
            "checked at once, existing rows are not read",
            render("ALTER TABLE {t} ADD CONSTRAINT {n} NOT NULL {c} NOT VALID", t=t, n=n, c=c),
            Verification(
                sql=checks.constraint_exists(table, name),
                description=f"constraint {name} exists",
            ),
            Rollback(sql=[drop]),
            LockMode.ACCESS_EXCLUSIVE,
            LockDuration.BRIEF,
        ),
        _step(
            context,
            table,
            f"{column_name}-validate-not-null",
            phase,
            recipe,
            f"validate {name}: reads every row of {table} under ShareUpdateExclusiveLock (reads and "
            f"writes go on); afterwards {column_name} is NOT NULL",
            render("ALTER TABLE {t} VALIDATE CONSTRAINT {n}", t=t, n=n),
            Verification(
                sql=validated_not_null(table, column_name, name),
                description=f"{name} is validated and {table}.{column_name} is NOT NULL",
            ),
            Rollback(not_needed="validation only marks an already enforced constraint as valid"),
            LockMode.SHARE_UPDATE_EXCLUSIVE,
            LockDuration.NONE,
        ),
    ]


def _check_route(
    context: PlanningContext, table: str, column_name: str, name: str, phase: Phase, recipe: str
) -> list[Step]:
    t, c, n = ident(table), column(column_name), column(name)
    add_check = render("ALTER TABLE {t} ADD CONSTRAINT {n} CHECK ({c} IS NOT NULL) NOT VALID", t=t, n=n, c=c)
    drop_check = render("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}", t=t, n=n)
    return [
        _step(
            context,
            table,
            f"{column_name}-check-not-valid",
            phase,
            recipe,
            f"add CHECK ({column_name} IS NOT NULL) {name} on {table} NOT VALID: new and updated rows are "
            "checked at once, existing rows are not read",
            add_check,
            Verification(sql=checks.constraint_exists(table, name), description=f"{name} exists"),
            Rollback(sql=[drop_check]),
            LockMode.ACCESS_EXCLUSIVE,
            LockDuration.BRIEF,
        ),
        _step(
            context,
            table,
            f"{column_name}-validate-check",
            phase,
            recipe,
            f"validate {name}: reads every row of {table} under ShareUpdateExclusiveLock (reads and "
            "writes go on)",
            render("ALTER TABLE {t} VALIDATE CONSTRAINT {n}", t=t, n=n),
            Verification(
                sql=checks.constraint_exists(table, name, validated=True),
                description=f"{name} is validated",
            ),
            Rollback(not_needed="validation only marks an already enforced constraint as valid"),
            LockMode.SHARE_UPDATE_EXCLUSIVE,
            LockDuration.NONE,
        ),
        _step(
            context,
            table,
            f"{column_name}-set-not-null",
            phase,
            recipe,
            f"SET NOT NULL on {table}.{column_name}: the validated {name} proves there is no NULL, so "
            "PostgreSQL skips the scan and the AccessExclusiveLock is brief",
            SCAN_PROVEN_BY_CHECK + render("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL", t=t, c=c),
            Verification(
                sql=checks.column_not_null_is(table, column_name, True),
                description=f"{table}.{column_name} is NOT NULL",
            ),
            Rollback(sql=[render("ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL", t=t, c=c)]),
            LockMode.ACCESS_EXCLUSIVE,
            LockDuration.BRIEF,
        ),
        _step(
            context,
            table,
            f"{column_name}-drop-check",
            phase,
            recipe,
            f"drop {name}: NOT NULL now says the same thing, and checking it twice costs every write",
            drop_check,
            Verification(
                sql=not_null_without_check(table, column_name, name),
                description=f"{table}.{column_name} is NOT NULL and {name} is gone",
            ),
            # Put the CHECK back (NOT VALID: the column is NOT NULL, so nothing is left to prove) so
            # that undoing the earlier steps in turn finds the state each of them left.
            Rollback(sql=[add_check]),
            LockMode.ACCESS_EXCLUSIVE,
            LockDuration.BRIEF,
        ),
    ]


def _step(
    context: PlanningContext,
    table: str,
    suffix: str,
    phase: Phase,
    recipe: str,
    description: str,
    sql: str,
    verify: Verification,
    rollback: Rollback,
    lock: LockMode,
    duration: LockDuration,
) -> Step:
    return context.step(
        suffix,
        phase=phase,
        description=description,
        sql=[sql],
        verify=verify,
        rollback=rollback,
        lock=lock,
        lock_duration=duration,
        tables=[table],
        recipe=recipe,
    )


def validated_not_null(table: str, column_name: str, constraint: str) -> str:
    """True when ``constraint`` is validated and the column is NOT NULL (PostgreSQL 18 route)."""
    return render(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({t}) AND conname = {n} "
        "AND convalidated) AND coalesce((SELECT attnotnull FROM pg_attribute WHERE attrelid = "
        "to_regclass({t}) AND attname = {c} AND NOT attisdropped), false)",
        t=literal(table),
        n=literal(constraint),
        c=literal(column_name),
    )


def not_null_without_check(table: str, column_name: str, constraint: str) -> str:
    """True when the column is NOT NULL and the helper CHECK is gone (end of the 12-17 route)."""
    return render(
        "SELECT coalesce((SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass({t}) "
        "AND attname = {c} AND NOT attisdropped), false) AND NOT EXISTS (SELECT 1 FROM pg_constraint "
        "WHERE conrelid = to_regclass({t}) AND conname = {n})",
        t=literal(table),
        n=literal(constraint),
        c=literal(column_name),
    )


def restore_not_null(
    context: PlanningContext, table: str, column_name: str, name: str | None = None
) -> Rollback:
    """The rollback of a step that made ``table.column_name`` nullable: NOT NULL again, by the route.

    One list of statements run outside a transaction, each committing on its own: the constraint is added
    NOT VALID under a brief AccessExclusiveLock and validated under ShareUpdateExclusiveLock, so the scan
    blocks nobody (a single transaction would hold the first lock through the scan). It starts by dropping
    a leftover of an earlier attempt, so a rollback stopped halfway (NULLs written meanwhile make the
    validation fail) runs again from the start once they are filled. ``name`` is the NOT NULL
    constraint's name on PostgreSQL 18 (the dropped constraint's own, or PostgreSQL's default); before 18
    it names the helper CHECK. Before 12 there is no route: SET NOT NULL scans under its lock.
    """
    t, c = ident(table), column(column_name)
    set_not_null = render("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL", t=t, c=c)
    if context.pg_version < 12:
        return Rollback(sql=[set_not_null])
    n = column(name or not_null_constraint_name(context, table, column_name))
    drop = render("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}", t=t, n=n)
    validate = render("ALTER TABLE {t} VALIDATE CONSTRAINT {n}", t=t, n=n)
    if context.pg_version >= 18:
        add = render("ALTER TABLE {t} ADD CONSTRAINT {n} NOT NULL {c} NOT VALID", t=t, n=n, c=c)
        return Rollback(sql=[drop, add, validate], transactional=False)
    add = render("ALTER TABLE {t} ADD CONSTRAINT {n} CHECK ({c} IS NOT NULL) NOT VALID", t=t, n=n, c=c)
    return Rollback(sql=[drop, add, validate, set_not_null, drop], transactional=False)


def restore_not_null_note(context: PlanningContext) -> str:
    """What the rollback of :func:`restore_not_null` costs, for a step's description."""
    if context.pg_version < 12:
        return (
            "rollback: SET NOT NULL, which scans the table under AccessExclusiveLock (no scan-free route "
            "before PostgreSQL 12); it fails if NULLs were written meanwhile"
        )
    return (
        "rollback: NOT NULL again without a scan under AccessExclusiveLock (a NOT VALID constraint, then "
        "VALIDATE under ShareUpdateExclusiveLock); it fails if NULLs were written meanwhile"
    )


def drop_not_null_step(
    context: PlanningContext,
    table: str,
    column_name: str,
    *,
    sql: str,
    recipe: str,
    suffix: str,
    constraint: str | None = None,
) -> Step:
    """One expand step running ``sql`` (DROP NOT NULL, or PostgreSQL 18's DROP CONSTRAINT of the NOT NULL
    constraint) that leaves ``table.column_name`` nullable: verified, undone by :func:`restore_not_null`.

    Expand: it only loosens. The running release never writes NULL there, and the next one may need to.
    """
    info = context.table(table) if context.is_existing(table) else None
    if info is not None and column_name not in info.columns:
        raise PlanningError(f"line {context.statement.line}: {table} has no column {column_name}")
    if info is not None and column_name in primary_key_columns(info):
        raise PlanningError(
            f"line {context.statement.line}: {table}.{column_name} is in the primary key, which keeps it "
            "NOT NULL: PostgreSQL refuses to drop it; drop the primary key first"
        )
    if not context.is_existing(table):
        rollback = Rollback(not_needed=f"{table} is new: undoing the plan drops it")
        note = "a table this plan creates"
    elif info is not None and not info.columns[column_name].not_null:
        rollback = Rollback(not_needed=f"{table}.{column_name} was nullable before this step")
        note = "it is nullable already: nothing changes"
    else:
        rollback = restore_not_null(context, table, column_name, constraint)
        note = restore_not_null_note(context)
    return context.step(
        suffix,
        phase=Phase.EXPAND,
        description=(
            f"make {table}.{column_name} nullable: a catalog change under a brief AccessExclusiveLock, and "
            f"only a loosening (the running release writes no NULL there); {note}"
        ),
        sql=[sql],
        verify=Verification(
            sql=checks.column_not_null_is(table, column_name, False),
            description=f"{table}.{column_name} is nullable",
        ),
        rollback=rollback,
        lock=LockMode.ACCESS_EXCLUSIVE,
        lock_duration=LockDuration.BRIEF,
        tables=[table],
        recipe=recipe,
    )


def primary_key_columns(info: TableInfo) -> list[str]:
    """The key columns of the table's primary key, read from its index definition."""
    for index in info.indexes:
        if index.primary:
            node = parser.parse_sql(index.definition)[0].stmt
            if isinstance(node, ast.IndexStmt):
                return [param.name for param in node.indexParams or () if param.name]
    return []
