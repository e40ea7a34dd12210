"""One module per node of the session graph; each is a plain function ``(state, runtime) -> update``.

The update is a ``zdt.graph.state.SessionUpdate``: only the keys the node changed, checked by mypy.
"""
