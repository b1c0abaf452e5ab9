"""The HTML gate report: one self-contained file (styles and SVG plots inline, no scripts,
no network), rendered from ``result.json`` alone with Jinja2 autoescaping.

What a reviewer reads first: the overall verdict in the page title and a banner (``PARTIAL
RUN``, never a verdict, when not every planned check ran), then one line per check that held
(or warned in) a stage with its key number (:func:`views.findings`), then the verdict per
stage as a ladder in gate-file order with the stage the model reached, the checks of each
stage and their evidence, drawn by the renderers of
:mod:`mlgate.report.html_evidence` (chosen by each block's type, with the bounds the check
judged the plotted numbers against). Long data text is cut for display (the whole text is in
the element's ``title`` and in result.json) and wraps anywhere, so no value can widen the
page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from mlgate.report import plots
from mlgate.report.html_evidence import FOLD_ROWS, check_evidence
from mlgate.report.text import (
    HEADER_LIMIT,
    VERDICT_LABEL,
    clip,
    clip_message,
    is_number,
    value_text,
    verdict_label,
)
from mlgate.report.views import (
    STATUS_ORDER,
    checks_by_stage,
    engine_note,
    findings,
    fmt,
    headline,
    headline_class,
    partial_reason,
    stage_ladder,
)


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
    env.globals.update(
        clip=clip,
        clip_message=clip_message,
        value_text=value_text,
        numeric=_numeric,
        verdict_label=verdict_label,
        verdict_class=lambda v: str(v) if str(v) in VERDICT_LABEL else "unknown",
        status_class=lambda s: str(s) if str(s) in STATUS_ORDER else "unknown",
        header_limit=HEADER_LIMIT,
        fold_rows=FOLD_ROWS,
    )
    return env


def render_html(result: Mapping[str, Any]) -> str:
    """The HTML report for a result document."""
    template = jinja_env().get_template("report.html.j2")
    lines = findings(result)
    ladder = stage_ladder(result)
    stages = [s for s in result.get("stages") or [] if isinstance(s, Mapping)]
    return template.render(
        r=result,
        overall=headline(result),
        banner_class=headline_class(result),
        partial=partial_reason(result),
        engine=engine_note(result),
        ladder=ladder,
        rungs=list(zip(stages, ladder.rungs, strict=True)),
        blocking=[f for f in lines if f.blocking],
        warnings=[f for f in lines if not f.blocking],
        by_stage=checks_by_stage(result),
        check_evidence=check_evidence,
        plot_interval=_safe(plots.interval_svg),
        fmt=fmt,
    )


def _numeric(v: Any) -> bool:
    """A cell that must not wrap: a number, a missing value, or a pair of numbers (an
    interval)."""
    if v is None or isinstance(v, bool) or is_number(v):
        return True
    return (
        isinstance(v, (list, tuple)) and len(v) == 2 and all(x is None or is_number(x) for x in v)
    )


def _safe(fn):
    """Mark matplotlib's SVG as markup: matplotlib escapes every text it writes into it."""

    def wrapper(*args, **kwargs):
        svg = fn(*args, **kwargs)
        return Markup(svg) if svg else ""

    return wrapper
