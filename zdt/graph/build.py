"""The session, on one screen: which node runs after which, and where each outcome leads.

Read it top to bottom. The planner proposes SQL; deterministic code turns it into a plan and checks it
(problems go back to the planner, a bounded number of times); the plan is rehearsed on a copy and the
application's queries are checked against the migrated copy; a person approves the plan's hash; only
then does the executor touch production (expand and migrate), watched by the monitor; a failure, a
failed verification or a critical monitor verdict goes to the executor agent's advice: a retry asks the
approver again, anything else rolls back (a revision then goes back to the planner). A rejection with a
comment goes back to the planner. A plan with contract steps then waits at the deploy gate until the old
application release is gone: its own approval, a check on the target that the old release no longer
runs, then contract and a second verification; rejecting there rolls back.

Nothing reaches ``execute`` but ``approval``, nor ``contract`` but the deploy gate and the release check
(extra nodes may not sit between them), and both check their approval themselves anyway: its hash must
be the hash of the plan they run.
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph.graph import END, StateGraph

from zdt.graph.context import SessionContext
from zdt.graph.extra import ExtraNode
from zdt.graph.nodes.advise import advise
from zdt.graph.nodes.approval import approval
from zdt.graph.nodes.compatibility import compatibility
from zdt.graph.nodes.contract import contract
from zdt.graph.nodes.deploy_gate import deploy_gate
from zdt.graph.nodes.done import done
from zdt.graph.nodes.execute import execute
from zdt.graph.nodes.plan_gate import plan_gate
from zdt.graph.nodes.planner import planner
from zdt.graph.nodes.rehearse import rehearse
from zdt.graph.nodes.release_check import release_check
from zdt.graph.nodes.rollback import rollback
from zdt.graph.nodes.verify import verify
from zdt.graph.state import Route, SessionState
from zdt.graph.wiring import Wiring

NEXT, REPLAN, STOP = Route.NEXT, Route.REPLAN, Route.STOP
ASK_AGAIN, ROLLBACK, RETRY, CONTRACT = Route.ASK_AGAIN, Route.ROLLBACK, Route.RETRY, Route.CONTRACT


def build_graph(
    extra_nodes: Sequence[ExtraNode] = (),
) -> StateGraph[SessionState, SessionContext, SessionState, SessionState]:
    """The uncompiled session graph; compile it with a checkpointer (see zdt.graph.checkpoint)."""
    wiring = Wiring(extra_nodes)
    wiring.start("planner")
    wiring.node("planner", planner, {NEXT: "plan_gate", STOP: END})
    wiring.node("plan_gate", plan_gate, {NEXT: "rehearse", REPLAN: "planner", STOP: END})
    wiring.node("rehearse", rehearse, {NEXT: "compatibility", REPLAN: "planner", STOP: END})
    wiring.node("compatibility", compatibility, {NEXT: "approval"})
    wiring.node("approval", approval, {NEXT: "execute", ASK_AGAIN: "approval", REPLAN: "planner", STOP: END})
    wiring.node("execute", execute, {NEXT: "verify", ROLLBACK: "advise", STOP: END})
    wiring.node("verify", verify, {NEXT: "deploy_gate", ROLLBACK: "advise"})
    wiring.node(
        "deploy_gate",
        deploy_gate,
        {NEXT: "done", CONTRACT: "release_check", ASK_AGAIN: "deploy_gate", ROLLBACK: "rollback"},
    )
    wiring.node("release_check", release_check, {NEXT: "contract", ASK_AGAIN: "deploy_gate"})
    wiring.node("contract", contract, {NEXT: "verify", ASK_AGAIN: "deploy_gate", STOP: END})
    wiring.node("advise", advise, {RETRY: "approval", NEXT: "rollback"})
    wiring.node("rollback", rollback, {NEXT: END, REPLAN: "planner"})
    wiring.node("done", done, {NEXT: END})
    return wiring.build()
