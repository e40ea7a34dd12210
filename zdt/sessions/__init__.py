"""Session files on disk: the scratchpad documents every session writes, by name (no graph here)."""
