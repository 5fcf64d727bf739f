"""hardenify: make container builds secure by default."""

__version__ = "0.1.0"
