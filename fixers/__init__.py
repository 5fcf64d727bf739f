"""Rule modules: one rule per module, `hfNNN_<name>.py`, discovered by hardenify.rules.

Installed as the `hardenify.fixers` package (see pyproject's package-dir).
"""
