"""CREATE [OR REPLACE] TRIGGER in expand, DROP TRIGGER in contract, ALTER TABLE ENABLE / DISABLE TRIGGER,
each undone from what PostgreSQL printed before the plan (the snapshot's pg_get_triggerdef and tgenabled).

Creating or replacing a trigger takes ShareRowExclusiveLock on its table, dropping one AccessExclusiveLock,
enabling or disabling one ShareRowExclusiveLock: each held only while the catalog changes, but while it
waits for the lock every write (and, behind AccessExclusiveLock, every read) of the table queues behind
it. So every step runs under lock_timeout and is retried rather than left waiting behind a long
transaction. A trigger fires on the running release's writes from the step's COMMIT on, so a new or
replaced trigger (and its function) must suit both releases: expand. A dropped or disabled trigger stops
doing what the old release may rely on (a timestamp it keeps, a row it copies): contract.

create:   expand; the statement as written. verify: the trigger exists on the table.
          rollback: DROP TRIGGER IF EXISTS <trigger> ON <table> (a plain CREATE TRIGGER fails when the
          trigger exists, so when it ran it created it).
replace:  (OR REPLACE of a trigger the snapshot has) expand; rollback: DROP TRIGGER, the previous
          definition (pg_get_triggerdef), and its previous state if it did not simply fire, in one
          transaction. Without a snapshot the previous definition is unknown: refused, plan with
          --database-url.
drop:     contract; the statement as written. verify: the trigger is gone. rollback: its definition from
          the snapshot and its state; not needed when the schema before the plan did not have it; without
          a snapshot irreversible, saying why.
enable / disable <trigger>: expand to enable, contract to disable; rollback: the state the snapshot had
          (ENABLE, DISABLE, ENABLE REPLICA or ENABLE ALWAYS); not needed for a trigger this plan creates.
          Without a snapshot refused (the state to go back to is unknown). ENABLE / DISABLE TRIGGER ALL
          or USER are refused: ALL includes the foreign-key triggers (disabling them stops enforcing the
          keys), and both change triggers the statement does not name; name each trigger instead.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ObjectType

from zdt.analysis import names
from zdt.analysis.fields import nodes_of, required
from zdt.analysis.locks import LockMode
from zdt.plan.model import LockDuration, Phase, Rollback, Step, Verification
from zdt.recipes import _checks as checks
from zdt.recipes.base import (
    PlanningContext,
    Recipe,
    RecipeExample,
    column,
    ident,
    literal,
    relation_name,
    render,
    single_alter_command,
)
from zdt.recipes.errors import PlanningError
from zdt.schema.snapshot import TriggerInfo

# What each ALTER TABLE trigger command writes, and the tgenabled state it leaves.
_STATES = {
    AT.AT_EnableTrig: ("ENABLE TRIGGER", "O"),
    AT.AT_DisableTrig: ("DISABLE TRIGGER", "D"),
    AT.AT_EnableReplicaTrig: ("ENABLE REPLICA TRIGGER", "R"),
    AT.AT_EnableAlwaysTrig: ("ENABLE ALWAYS TRIGGER", "A"),
}
_SETTING_BY_STATE = {state: words for words, state in _STATES.values()}
_STATE_NAMES = {"O": "enabled", "D": "disabled", "R": "enabled for replicas only", "A": "enabled always"}
_MANY = {
    AT.AT_EnableTrigAll: "ENABLE TRIGGER ALL",
    AT.AT_DisableTrigAll: "DISABLE TRIGGER ALL",
    AT.AT_EnableTrigUser: "ENABLE TRIGGER USER",
    AT.AT_DisableTrigUser: "DISABLE TRIGGER USER",
}
_PLAN_WITH_DATABASE = "plan with --database-url"
_SCHEMA = """
    CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, updated_at timestamptz);
    INSERT INTO posts SELECT g, 'post ' || g, now() FROM generate_series(1, 12000) g;
    ANALYZE posts;
    CREATE FUNCTION touch_post() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
"""


class Triggers(Recipe):
    id = "triggers"
    summary = (
        "Create or replace triggers in expand, drop or disable them in contract, each under lock_timeout; "
        "rollback re-creates the previous trigger from its definition."
    )
    examples = (
        RecipeExample(
            title="a trigger keeping a timestamp",
            schema=_SCHEMA,
            sql="CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW "
            "EXECUTE FUNCTION touch_post();",
            plan="""
                expand   s01-create-trigger
                    CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION
                        touch_post()
            """,
            old_queries=("UPDATE posts SET title = 'edited' WHERE id = 1",),
            new_queries=("UPDATE posts SET title = 'edited' WHERE id = 1 RETURNING updated_at",),
        ),
        RecipeExample(
            title="a trigger the new release no longer needs",
            schema=_SCHEMA
            + "CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch_post();",
            sql="DROP TRIGGER IF EXISTS posts_touch ON posts;",
            plan="""
                contract s01-drop-trigger
                    DROP TRIGGER IF EXISTS posts_touch ON posts
            """,
            old_queries=("UPDATE posts SET title = 'edited' WHERE id = 1",),
            new_queries=("UPDATE posts SET title = 'edited', updated_at = now() WHERE id = 1",),
        ),
    )

    def applies(self, context: PlanningContext) -> bool:
        node = context.node
        if isinstance(node, ast.CreateTrigStmt):
            return True
        if isinstance(node, ast.DropStmt):
            return node.removeType == ObjectType.OBJECT_TRIGGER
        return single_alter_command(node, *_STATES, *_MANY) is not None

    def steps(self, context: PlanningContext) -> list[Step]:
        node = context.node
        if isinstance(node, ast.CreateTrigStmt):
            return [self._create(context, node)]
        if isinstance(node, ast.DropStmt):
            return [self._drop(context, node)]
        return [self._set_state(context, context.node_as(ast.AlterTableStmt))]

    def _create(self, context: PlanningContext, node: ast.CreateTrigStmt) -> Step:
        line = context.statement.line
        table = relation_name(node)
        trigger = required(node.trigname, "CreateTrigStmt.trigname")
        previous = _before_the_plan(context, table, trigger)
        if node.replace and previous is None and context.snapshot is None and not context.state.is_new(table):
            raise PlanningError(
                f"line {line}: CREATE OR REPLACE TRIGGER {trigger} ON {table}: without the schema zdt cannot "
                f"tell a new trigger from a replaced one, nor restore the previous definition: "
                f"{_PLAN_WITH_DATABASE}"
            )
        if node.replace and previous is not None:
            rollback = Rollback(sql=[_drop_sql(table, trigger), *_recreate_sql(previous)])
            what, undo = "replace", "the previous definition comes back"
        else:
            rollback = Rollback(sql=[_drop_sql(table, trigger)])
            what, undo = "create", "DROP TRIGGER"
        return context.step(
            f"{what}-trigger",
            phase=Phase.EXPAND,
            description=(
                f"{what} trigger {trigger} on {table} (ShareRowExclusiveLock on {table}, brief: its writes "
                "wait, its reads go on; under lock_timeout, retried rather than queueing writes behind a "
                "long transaction): it fires on the running release's writes from this step's COMMIT on, "
                f"so it and its function must suit both releases; rollback: {undo}"
            ),
            sql=[context.statement.sql],
            verify=Verification(sql=checks.trigger_exists(table, trigger), description=f"{trigger} exists"),
            rollback=rollback,
            lock=LockMode.SHARE_ROW_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )

    def _drop(self, context: PlanningContext, node: ast.DropStmt) -> Step:
        (target,) = node.objects or ()
        parts = nodes_of(target, ast.String, "DROP TRIGGER's object")
        table = names.of_name_list(parts[:-1])
        trigger = required(parts[-1].sval, "String.sval")
        previous = _before_the_plan(context, table, trigger)
        if previous is not None:
            rollback = Rollback(sql=_recreate_sql(previous))
        elif context.snapshot is None:
            rollback = Rollback(
                irreversible=(
                    f"the definition of trigger {trigger} on {table} is unknown without a schema snapshot: "
                    f"{_PLAN_WITH_DATABASE} to get a re-creation as rollback"
                )
            )
        else:
            rollback = Rollback(not_needed=f"trigger {trigger} on {table} did not exist before this plan")
        absent = "SELECT NOT (" + checks.trigger_exists(table, trigger).removeprefix("SELECT ") + ")"
        return context.step(
            "drop-trigger",
            phase=Phase.CONTRACT,
            description=(
                f"drop trigger {trigger} on {table} (AccessExclusiveLock on {table}, brief: its reads and "
                "writes wait while it is taken; under lock_timeout, retried rather than queueing them behind "
                "a long transaction) once no running release relies on what it does"
                + ("; rollback re-creates it from its definition" if rollback.sql else "")
            ),
            sql=[context.statement.sql],
            verify=Verification(sql=absent, description=f"{trigger} gone"),
            rollback=rollback,
            lock=LockMode.ACCESS_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )

    def _set_state(self, context: PlanningContext, node: ast.AlterTableStmt) -> Step:
        line = context.statement.line
        table = relation_name(node)
        command = required(single_alter_command(node), "the ALTER TABLE command")
        subtype = required(command.subtype, "AlterTableCmd.subtype")
        if subtype in _MANY:
            raise PlanningError(
                f"line {line}: ALTER TABLE {table} {_MANY[subtype]} changes triggers the statement does not "
                "name (ALL includes the foreign-key triggers: disabling them stops enforcing the keys), "
                f"which zdt could not verify one by one: write ALTER TABLE {table} "
                f"{_MANY[subtype].split(' TRIGGER')[0]} TRIGGER <name> for each trigger"
            )
        trigger = required(command.name, "ALTER TABLE ... TRIGGER's name")
        words, state = _STATES[subtype]
        previous = _before_the_plan(context, table, trigger)
        if previous is not None:
            rollback = Rollback(sql=[_state_sql(table, trigger, previous.enabled)])
        elif context.snapshot is not None or context.state.is_new(table):
            rollback = Rollback(
                not_needed=f"trigger {trigger} is created by this plan, whose rollback drops it"
            )
        else:
            raise PlanningError(
                f"line {line}: ALTER TABLE {table} {words} {trigger}: the trigger's state before the plan is "
                f"unknown without the schema, so it could not be restored: {_PLAN_WITH_DATABASE}"
            )
        disabling = state == "D"
        return context.step(
            "disable-trigger" if disabling else "enable-trigger",
            phase=Phase.CONTRACT if disabling else Phase.EXPAND,
            description=(
                f"{words.lower()} {trigger} on {table} (ShareRowExclusiveLock on {table}, brief: its writes "
                "wait, its reads go on; under lock_timeout): "
                + (
                    "the running release's writes no longer fire it, so it waits until none relies on it"
                    if disabling
                    else "the running release's writes fire it from this step's COMMIT on"
                )
            ),
            sql=[context.statement.sql],
            verify=Verification(
                sql=render(
                    "SELECT coalesce((SELECT tgenabled = {s} FROM pg_trigger "
                    "WHERE tgrelid = to_regclass({t}) AND tgname = {n}), false)",
                    s=literal(state),
                    t=literal(table),
                    n=literal(trigger),
                ),
                description=f"{trigger} is {_STATE_NAMES[state]}",
            ),
            rollback=rollback,
            lock=LockMode.SHARE_ROW_EXCLUSIVE,
            lock_duration=LockDuration.BRIEF,
            tables=[table],
            recipe=self.id,
        )


def _before_the_plan(context: PlanningContext, table: str, trigger: str) -> TriggerInfo | None:
    """The trigger as the schema had it before the plan; None for a table the plan creates."""
    if context.snapshot is None or context.state.is_new(table):
        return None
    return context.snapshot.trigger(table, trigger)


def _drop_sql(table: str, trigger: str) -> str:
    return render("DROP TRIGGER IF EXISTS {g} ON {t}", g=column(trigger), t=ident(table))


def _state_sql(table: str, trigger: str, state: str) -> str:
    return render("ALTER TABLE {t} " + _SETTING_BY_STATE[state] + " {g}", t=ident(table), g=column(trigger))


def _recreate_sql(previous: TriggerInfo) -> list[str]:
    """The trigger's own definition, then its state unless it simply fires (what CREATE TRIGGER leaves)."""
    restore = [previous.definition]
    if previous.enabled != "O":
        restore.append(_state_sql(previous.table, previous.name, previous.enabled))
    return restore
