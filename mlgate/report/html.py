"""The HTML gate report: one self-contained file (styles and SVG plots inline, no scripts,
no network), rendered from ``result.json`` alone with Jinja2 autoescaping. Evidence is drawn
by the renderers of :mod:`mlgate.report.html_evidence`, chosen by each block's type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from mlgate.report import plots
from mlgate.report.html_evidence import evidence_views
from mlgate.report.views import VERDICT_LABEL, checks_by_stage, fmt


def jinja_env():
    """The Jinja2 environment for mlgate's templates: autoescaping on for every template."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlgate.report", "templates"),
        autoescape=True,  # everything from result.json is text, never markup
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["slug"] = lambda s: re.sub(r"[^A-Za-z0-9_-]+", "-", str(s))
    return env


def render_html(result: Mapping[str, Any]) -> str:
    """The HTML report for a result document."""
    template = jinja_env().get_template("report.html.j2")
    return template.render(
        r=result,
        by_stage=checks_by_stage(result),
        verdict_label=VERDICT_LABEL,
        evidence_views=evidence_views,
        plot_interval=_safe(plots.interval_svg),
        fmt=fmt,
    )


def _safe(fn):
    """Mark matplotlib's SVG as markup: matplotlib escapes every text it writes into it."""

    def wrapper(*args, **kwargs):
        svg = fn(*args, **kwargs)
        return Markup(svg) if svg else ""

    return wrapper
