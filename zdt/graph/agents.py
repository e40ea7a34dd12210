"""How a node runs an agent: the agent's tools bound to this session, its calls reported live.

Why here and not in each node: every agent run needs the same three things — a ToolContext saying which
database the tools may touch (decided by the node, never by the model), the session's observers (a
recorder) and the live progress observer — and getting one of them wrong in one node is how a model ends
up with a tool it should not have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zdt.agents.base import Agent, ResultT, run_agent
from zdt.graph.context import SessionContext
from zdt.graph.progress import Progress
from zdt.plan.model import MigrationPlan
from zdt.record.events import EventKind
from zdt.tools.context import Environment, ToolContext
from zdt.tools.registry import build_toolbox


def run_session_agent(
    agent: Agent[ResultT],
    context: dict[str, Any],
    *,
    session: SessionContext,
    session_id: str,
    progress: Progress,
    environment: Environment = "planning",
    staging_url: str | None = None,
    plan: MigrationPlan | None = None,
    production_approved: bool = False,
) -> ResultT:
    """Run ``agent`` with the session's brain and a toolbox for ``environment``."""
    tool_context = ToolContext(
        target_url=session.target_url,
        scratchpad_dir=Path(session.session_dir(session_id)),
        session_id=session_id,
        environment=environment,
        staging_url=staging_url,
        production_approved=production_approved,
        plan=plan,
    )
    recorder = session.recorder
    observers = [progress.tool_call, *session.observers, *([recorder.tool_call] if recorder else [])]
    tools = build_toolbox(agent.name, tool_context, observers)
    progress("agent", brain=session.brain.name)
    given = {"session_id": session_id, "environment": environment, **context}
    if recorder is not None:
        recorder.record(
            EventKind.AGENT_STARTED,
            {"brain": session.brain.name, "context": given, "tools": sorted(tools.tools)},
            agent=agent.name,
        )
    try:
        result = run_agent(agent, given, session.brain, tools)
    except Exception as error:
        if recorder is not None:
            recorder.record(
                EventKind.AGENT_RESULT,
                {"brain": session.brain.name, "error": f"{type(error).__name__}: {error}"},
                agent=agent.name,
            )
        raise
    if recorder is not None:  # the offline brain's decision, or the model's accepted submission
        recorder.record(
            EventKind.AGENT_RESULT, {"brain": session.brain.name, "result": result}, agent=agent.name
        )
    return result
