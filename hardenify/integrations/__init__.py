"""Adapters that let other fleet engines run hardenify (all-repos; see docs/fleet.md for more)."""
