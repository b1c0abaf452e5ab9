"""The HTML gate report: one self-contained file (styles and SVG plots inline, no scripts,
no network), rendered from ``result.json`` alone with Jinja2 autoescaping."""

from __future__ import annotations

import math
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
    ``slice`` and ``value``), ``effects`` (rows with ``column``, ``value``, optional
    ``effect``: drift effect sizes as bars), ``histograms`` (rows with ``column``, ``bins``,
    ``reference`` and ``current`` shares: drift) and ``curve`` (``x``, ``y``, optional labels
    and per-point ``low`` / ``high`` interval bounds)."""
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
    eff = evidence.get("effects")
    if _rows_with(eff, "column", "value"):
        rows = [r for r in eff if _numbers([r["value"]], 1)][:30]
        labels = [
            f"{r['column']} ({r['effect']})" if r.get("effect") else str(r["column"]) for r in rows
        ]
        if rows:
            out.append(plots.bars_svg(labels, [r["value"] for r in rows], title="effect size"))
    hist = evidence.get("histograms")
    if _rows_with(hist, "column", "bins", "reference", "current"):
        for h in hist[:6]:
            n = len(h["bins"]) if isinstance(h["bins"], list) else 0
            if _numbers(h["reference"], n) and _numbers(h["current"], n):
                out.append(
                    plots.histogram_svg(
                        [str(b) for b in h["bins"][:50]],
                        h["reference"][:50],
                        h["current"][:50],
                        title=str(h["column"]),
                    )
                )
    curve = evidence.get("curve")
    if isinstance(curve, Mapping) and isinstance(curve.get("x"), list) and curve.get("y"):
        n = len(curve["y"])
        band = _numbers(curve.get("low"), n) and _numbers(curve.get("high"), n)
        out.append(
            plots.curve_svg(
                curve["x"],
                curve["y"],
                xlabel=str(curve.get("xlabel", "x")),
                ylabel=str(curve.get("ylabel", "y")),
                low=curve["low"] if band else None,
                high=curve["high"] if band else None,
            )
        )
    return [Markup(svg) for svg in out]


def _numbers(value: Any, n: int) -> bool:
    """Whether ``value`` is a non-empty list of ``n`` finite numbers (no nulls)."""
    return (
        isinstance(value, list)
        and len(value) == n > 0
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    )


def _rows_with(value: Any, *keys: str) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(r, Mapping) and all(k in r for k in keys) for r in value)
    )
