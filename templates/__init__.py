"""Jinja2 templates for `hardenify new`, shipped as the `hardenify.templates` package."""
