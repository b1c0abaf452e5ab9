"""Plots as inline SVG text (matplotlib's SVG backend, no pyplot), byte-stable across runs.

Every text drawn here may come from a result document (slice names, bins, column names), so
mathtext is off: a ``$`` is a dollar sign, never TeX. matplotlib escapes the text it writes
into the SVG, so the caller may mark the SVG as markup.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

_STATUS_COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "error": "#cf222e",
    "inconclusive": "#9a6700",
    "warned": "#9a6700",
    "skipped": "#6e7781",
}
_BLUE, _GREY = "#0969da", "#8c959f"
#: Intervals drawn as bars up to this many points; a band beyond.
MAX_INTERVAL_BARS = 20
_RC = {"svg.hashsalt": "mlgate", "svg.fonttype": "none", "text.parse_math": False}


def _figure(width: float, height: float):
    # A bare Figure (no pyplot): no global figure registry, no GUI backend, thread-safe.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _rc():
    import matplotlib

    return matplotlib.rc_context(_RC)


def _svg(fig) -> str:
    buf = io.StringIO()
    with _rc():
        fig.savefig(
            buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
        )
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inlined in HTML


def finite(x: Any) -> bool:
    """Whether ``x`` is a finite number (not None, not a bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


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
    with _rc():
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


def bars_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    low: Sequence[float | None] | None = None,
    high: Sequence[float | None] | None = None,
    xlabel: str = "",
    title: str = "",
) -> str:
    """Horizontal bars (a metric per slice, an effect size per feature), with a whisker for
    each bar whose ``low`` and ``high`` are both given."""
    n = len(labels)
    with _rc():
        fig = _figure(4.5, 0.3 * n + 0.8)
        ax = fig.add_subplot()
        ax.barh(range(n), list(values), color=_BLUE)
        if low is not None and high is not None:
            rows = [
                (i, v, lo, hi)
                for i, (v, lo, hi) in enumerate(zip(values, low, high, strict=True))
                if finite(lo) and finite(hi)
            ]
            if rows:
                ax.errorbar(
                    [v for _, v, _, _ in rows],
                    [i for i, _, _, _ in rows],
                    xerr=[
                        [max(v - lo, 0.0) for _, v, lo, _ in rows],
                        [max(hi - v, 0.0) for _, v, _, hi in rows],
                    ],
                    fmt="none",
                    ecolor="#24292f",
                    elinewidth=1,
                    capsize=2,
                )
        ax.set_yticks(range(n), [str(label) for label in labels], fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
        if xlabel:
            ax.set_xlabel(str(xlabel), fontsize=8)
        if title:
            ax.set_title(str(title), fontsize=8)
    return _svg(fig)


def curve_svg(
    x: Sequence[float],
    y: Sequence[float],
    *,
    xlabel: str,
    ylabel: str,
    diagonal: bool = False,
    low: Sequence[float | None] | None = None,
    high: Sequence[float | None] | None = None,
    title: str = "",
) -> str:
    """A line plot (a reliability diagram with ``diagonal=True``, risk–coverage, decay over
    windows). A point's interval (``low``, ``high``, both given) is drawn as an error bar, or,
    beyond :data:`MAX_INTERVAL_BARS` points with every interval given, as a band."""
    with _rc():
        fig = _figure(3.4, 2.6)
        ax = fig.add_subplot()
        if diagonal:
            ax.plot([0, 1], [0, 1], color=_GREY, linestyle=":", linewidth=1)
            ax.set_xlim(-0.02, 1.02)
            ax.set_ylim(-0.02, 1.02)
        if low is not None and high is not None:
            pts = [
                (xi, yi, lo, hi)
                for xi, yi, lo, hi in zip(x, y, low, high, strict=True)
                if finite(lo) and finite(hi)
            ]
            if len(pts) == len(x) > MAX_INTERVAL_BARS:
                ax.fill_between(list(x), list(low), list(high), color=_BLUE, alpha=0.15, lw=0)
            elif pts:
                ax.errorbar(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    yerr=[
                        [max(yi - lo, 0.0) for _, yi, lo, _ in pts],
                        [max(hi - yi, 0.0) for _, yi, _, hi in pts],
                    ],
                    fmt="none",
                    ecolor=_GREY,
                    capsize=2,
                )
        ax.plot(list(x), list(y), marker="o", markersize=3, color=_BLUE)
        ax.set_xlabel(str(xlabel), fontsize=8)
        ax.set_ylabel(str(ylabel), fontsize=8)
        ax.tick_params(labelsize=7)
        if title:
            ax.set_title(str(title), fontsize=8)
    return _svg(fig)


def histogram_svg(
    bins: Sequence[str], reference: Sequence[float], current: Sequence[float], *, title: str
) -> str:
    """Reference and current shares side by side per bin or category (drift evidence)."""
    n = len(bins)
    with _rc():
        fig = _figure(max(3.4, 0.28 * n + 1.2), 2.4)
        ax = fig.add_subplot()
        pos = list(range(n))
        ax.bar([p - 0.2 for p in pos], list(reference), width=0.4, color=_GREY, label="reference")
        ax.bar([p + 0.2 for p in pos], list(current), width=0.4, color=_BLUE, label="current")
        ax.set_xticks(pos, [str(b) for b in bins], fontsize=6, rotation=45, ha="right")
        ax.set_ylabel("share", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(str(title), fontsize=8)
        ax.legend(fontsize=6, frameon=False)
    return _svg(fig)
