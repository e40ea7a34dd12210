"""Entry point of the analyser: parse a script, walk it statement by statement, apply every rule.

The walk keeps state (open transaction, timeouts set, relations created so far, locks held until
commit) because what a statement costs depends on what came before it.
"""

from __future__ import annotations

from zdt.analysis.effects import Effect, effect_of, update_session
from zdt.analysis.model import RelationLock, StatementReport, TableSize
from zdt.analysis.rules import ALL_RULES, RuleContext
from zdt.analysis.source import ParsedStatement, parse_statements
from zdt.analysis.state import HeldLock, MigrationState, SmallTable
from zdt.schema.snapshot import SchemaSnapshot

DEFAULT_PG_VERSION = 18


def analyse_sql(
    text: str,
    *,
    source: str = "<input>",
    pg_version: int | None = None,
    snapshot: SchemaSnapshot | None = None,
) -> list[StatementReport]:
    """Analyse every statement of ``text``; raises SqlSyntaxError on unparseable SQL.

    ``pg_version`` defaults to the snapshot's server version, else to the newest supported release.
    """
    state = new_state(pg_version=pg_version, snapshot=snapshot)
    return analyse_script(text, state, source=source)


def new_state(
    *,
    pg_version: int | None = None,
    snapshot: SchemaSnapshot | None = None,
    small_table: SmallTable | None = None,
) -> MigrationState:
    """Walk state for a series of scripts against one database (``small_table``: the default sizes)."""
    version = pg_version or (snapshot.server_version if snapshot else DEFAULT_PG_VERSION)
    return MigrationState(pg_version=version, snapshot=snapshot, small_table=small_table or SmallTable())


def analyse_script(text: str, state: MigrationState, *, source: str = "<input>") -> list[StatementReport]:
    """Analyse one script in a state carried over from earlier scripts (e.g. a migrations folder).

    Each script is assumed to run in its own session: transaction and timeouts start afresh, while the
    relations created by earlier scripts stay known.
    """
    statements = parse_statements(text, source)
    state.start_session()
    last = len(statements) - 1
    return [analyse_statement(statement, state, is_last=i == last) for i, statement in enumerate(statements)]


def analyse_statement(
    statement: ParsedStatement, state: MigrationState, *, is_last: bool = False
) -> StatementReport:
    """Analyse one statement in ``state`` and advance the state past it."""
    effect = effect_of(statement.node, state)
    size = _target_size(effect, state)
    context = RuleContext(statement=statement, effect=effect, state=state, size=size, is_last=is_last)
    findings = [
        finding
        for rule in ALL_RULES
        if rule.id not in statement.ignored_rules
        for finding in rule.check(context)
    ]
    report = StatementReport(
        index=statement.index,
        line=statement.line,
        sql=statement.sql,
        kind=statement.kind,
        target=effect.target,
        tables=list(effect.tables),
        lock=effect.target_lock,
        locks=[RelationLock(relation=name, mode=mode) for name, mode in effect.locks.items()],
        rewrites_table=effect.rewrites_table,
        scans_table=effect.scans_table,
        blocks_reads=effect.blocks_reads,
        blocks_writes=effect.blocks_writes,
        transactional=effect.transactional,
        findings=findings,
        size=size,
    )
    _advance(statement, effect, state)
    return report


def _target_size(effect: Effect, state: MigrationState) -> TableSize | None:
    if effect.target is None or state.is_new(effect.target):
        return None
    info = state.table(effect.target)
    if info is None or info.kind not in ("r", "p", "m"):
        return None
    return TableSize(table=effect.target, rows=info.rows, bytes=info.bytes)


def _advance(statement: ParsedStatement, effect: Effect, state: MigrationState) -> None:
    update_session(statement.node, state)
    state.apply(effect)
    state.created |= effect.created
    state.created -= effect.dropped
    if effect.renamed and effect.renamed[0] in state.created:  # still a table of this script
        state.created.add(effect.renamed[1])
    state.dropped |= effect.dropped
    if state.in_transaction:
        state.held_locks.extend(
            HeldLock(statement.index, relation, mode)
            for relation, mode in effect.locks.items()
            if not state.is_new(relation) and mode.blocks_writes
        )
