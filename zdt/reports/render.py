"""Render the Markdown documents from jinja2 templates shipped in ``zdt/reports/templates``."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("zdt.reports", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML
    )
    environment.filters["one_line"] = lambda text: " ".join(str(text).split())
    return environment


_ENVIRONMENT = _environment()


def render_template(name: str, **context: Any) -> str:
    return _ENVIRONMENT.get_template(name).render(**context)
