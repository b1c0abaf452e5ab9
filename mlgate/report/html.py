"""The HTML gate report: one self-contained file (styles and SVG plots inline, no scripts,
no network), rendered from ``result.json`` alone with Jinja2 autoescaping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from mlgate.report import plots
from mlgate.report.views import VERDICT_LABEL, checks_by_stage, evidence_blocks, fmt


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
        evidence_blocks=evidence_blocks,
        evidence_plots=_evidence_plots,
        plot_interval=_safe(plots.interval_svg),
        fmt=fmt,
    )


def _safe(fn):
    """Mark matplotlib's SVG as markup: matplotlib escapes every text it writes into it."""

    def wrapper(*args, **kwargs):
        svg = fn(*args, **kwargs)
        return Markup(svg) if svg else ""

    return wrapper


def _evidence_plots(evidence: Mapping[str, Any]) -> list[Markup]:
    """Plots for evidence that follows the conventions in docs/interfaces.md:
    ``reliability`` (rows with ``confidence`` and ``accuracy``), ``slices`` (rows with
    ``slice`` and ``value``) and ``curve`` (``x``, ``y``, optional labels)."""
    out = []
    rel = evidence.get("reliability")
    if _rows_with(rel, "confidence", "accuracy"):
        rows = [r for r in rel if r["confidence"] is not None and r["accuracy"] is not None]
        out.append(
            plots.curve_svg(
                [r["confidence"] for r in rows],
                [r["accuracy"] for r in rows],
                xlabel="mean confidence",
                ylabel="accuracy",
                diagonal=True,
            )
        )
    sl = evidence.get("slices")
    if _rows_with(sl, "slice", "value"):
        rows = [r for r in sl if r["value"] is not None][:30]
        out.append(plots.bars_svg([str(r["slice"]) for r in rows], [r["value"] for r in rows]))
    curve = evidence.get("curve")
    if isinstance(curve, Mapping) and isinstance(curve.get("x"), list) and curve.get("y"):
        out.append(
            plots.curve_svg(
                curve["x"],
                curve["y"],
                xlabel=str(curve.get("xlabel", "x")),
                ylabel=str(curve.get("ylabel", "y")),
            )
        )
    return [Markup(svg) for svg in out]


def _rows_with(value: Any, *keys: str) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(r, Mapping) and all(k in r for k in keys) for r in value)
    )
