"""The LangGraph state machine that runs a migration session."""
