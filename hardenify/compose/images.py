"""Compatibility name: the image facts live in `hardenify.knowledge.images` (their one home)."""

from hardenify.knowledge.images import *  # noqa: F403
