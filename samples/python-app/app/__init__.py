"""hardenify sample: a tiny standard-library HTTP service."""
