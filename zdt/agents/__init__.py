"""The agent team: planner, executor, compatibility and monitor, each a role, tools and a typed result."""
