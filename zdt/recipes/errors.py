"""PlanningError: zdt has no safe way to run a statement.

Its own module because every recipe, the planner, the plan gate node and the CLI raise or catch it, and
none of them should depend on the pass-through recipe to do so.
"""

from __future__ import annotations


class PlanningError(ValueError):
    """zdt has no safe way to run this statement; the message says which and why."""
