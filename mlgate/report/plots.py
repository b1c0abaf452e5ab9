"""Plots as inline SVG text (matplotlib, Agg-free SVG backend), byte-stable across runs."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

_STATUS_COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "error": "#cf222e",
    "inconclusive": "#9a6700",
    "warned": "#9a6700",
    "skipped": "#6e7781",
}


def _figure(width: float, height: float):
    # A bare Figure (no pyplot): no global figure registry, no GUI backend, thread-safe.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _svg(fig) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "mlgate", "svg.fonttype": "none"}):
        fig.savefig(
            buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
        )
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inlined in HTML


def interval_svg(check: Mapping[str, Any]) -> str | None:
    """A one-line plot of a metric: its interval as a bar, the estimate as a dot, the
    threshold as a dashed line. None when the check has no value."""
    value = check.get("value")
    if value is None:
        return None
    ci = check.get("interval") or {}
    threshold = (check.get("threshold") or {}).get("value")
    points = [v for v in (value, ci.get("low"), ci.get("high"), threshold) if v is not None]
    lo, hi = min(points), max(points)
    pad = (hi - lo) * 0.15 or 0.05
    fig = _figure(3.2, 0.55)
    ax = fig.add_axes((0.02, 0.4, 0.96, 0.55))
    colour = _STATUS_COLOURS.get(str(check.get("status")), "#57606a")
    if ci.get("low") is not None and ci.get("high") is not None:
        ax.plot(
            [ci["low"], ci["high"]],
            [0, 0],
            color=colour,
            linewidth=5,
            alpha=0.45,
            solid_capstyle="butt",
        )
    ax.plot([value], [0], "o", color=colour, markersize=5)
    if threshold is not None:
        ax.axvline(threshold, color="#24292f", linestyle="--", linewidth=1)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=7, length=2)
    return _svg(fig)


def bars_svg(labels: list[str], values: list[float], *, title: str = "") -> str:
    """Horizontal bars (e.g. a metric per slice)."""
    fig = _figure(4.5, 0.3 * len(labels) + 0.6)
    ax = fig.add_subplot()
    ax.barh(range(len(labels)), values, color="#0969da")
    ax.set_yticks(range(len(labels)), [str(label) for label in labels], fontsize=7)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=7)
    if title:
        ax.set_title(title, fontsize=8)
    return _svg(fig)


def curve_svg(
    x: list[float],
    y: list[float],
    *,
    xlabel: str,
    ylabel: str,
    diagonal: bool = False,
    low: list[float] | None = None,
    high: list[float] | None = None,
) -> str:
    """A line plot (reliability diagram with ``diagonal=True``, risk–coverage, decay), with an
    interval per point as error bars when ``low`` and ``high`` are given."""
    fig = _figure(3.4, 2.6)
    ax = fig.add_subplot()
    if diagonal:
        ax.plot([0, 1], [0, 1], color="#8c959f", linestyle=":", linewidth=1)
    if low is not None and high is not None:
        below = [max(v - lo, 0.0) for v, lo in zip(y, low, strict=True)]
        above = [max(hi - v, 0.0) for v, hi in zip(y, high, strict=True)]
        ax.errorbar(x, y, yerr=[below, above], fmt="none", ecolor="#8c959f", capsize=2)
    ax.plot(x, y, marker="o", markersize=3, color="#0969da")
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    return _svg(fig)


def histogram_svg(
    bins: list[str], reference: list[float], current: list[float], *, title: str
) -> str:
    """Reference and current shares side by side per bin or category (drift evidence)."""
    n = len(bins)
    fig = _figure(max(3.4, 0.28 * n + 1.2), 2.4)
    ax = fig.add_subplot()
    pos = list(range(n))
    ax.bar([p - 0.2 for p in pos], reference, width=0.4, color="#8c959f", label="reference")
    ax.bar([p + 0.2 for p in pos], current, width=0.4, color="#0969da", label="current")
    ax.set_xticks(pos, [str(b) for b in bins], fontsize=6, rotation=45, ha="right")
    ax.set_ylabel("share", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(str(title), fontsize=8)
    ax.legend(fontsize=6, frameon=False)
    return _svg(fig)
