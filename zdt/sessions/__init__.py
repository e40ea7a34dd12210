"""Sessions on disk: their ids, their scratchpad folders and the checkpoint store that keeps them."""
