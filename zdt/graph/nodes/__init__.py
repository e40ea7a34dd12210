"""One module per node of the session graph; each is a plain function ``(state, runtime) -> update``."""
