"""One module per CLI command; imported lazily by hardenify.cli."""
