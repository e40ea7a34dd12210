"""planner: the Planner agent proposes SQL for the request (revising it against last round's findings).

Its output is a proposal only: the next node, plan_gate, turns it into a plan with deterministic code
and sends problems back here.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from zdt.agents.errors import AgentError
from zdt.agents.planner import PlannerAgent
from zdt.graph.agents import run_session_agent
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.graph.state import Route, SessionState, SessionStatus, SessionUpdate, log_entry


def planner(state: SessionState, runtime: Runtime[SessionContext]) -> SessionUpdate:
    progress = Progress("planner")
    request = state.session_request()
    progress("started", round=state.planning_rounds + 1, findings=len(state.findings))
    context = {
        "prompt": request.prompt,
        "sql": request.sql,
        "sql_source": request.sql_source,
        "queries": request.queries,
        "draft_sql": state.draft_sql,
        "planning_round": state.planning_rounds,
        "findings": state.findings,
    }
    try:
        result = run_session_agent(
            PlannerAgent(), context, session=runtime.context, session_id=state.session_id, progress=progress
        )
    except AgentError as error:
        progress("failed", reason=str(error))
        return {
            "status": SessionStatus.FAILED.value,
            "route": Route.STOP.value,
            "error": f"planner: {error}",
            "log": log_entry("planner", f"no proposal: {error}"),
        }
    progress("proposed", statements=result.sql.count(";") or 1, risks=len(result.risks))
    return {
        "status": SessionStatus.PLANNING.value,
        "route": Route.NEXT.value,
        "draft_sql": result.sql,
        "rationale": result.rationale,
        "risks": result.risks,
        "planning_rounds": state.planning_rounds + 1,
        "log": log_entry("planner", f"round {state.planning_rounds + 1}: {result.rationale}"),
    }
