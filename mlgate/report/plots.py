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

from mlgate.report.bounds import Bound, headline_bounds
from mlgate.report.text import clip

_STATUS_COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "error": "#cf222e",
    "inconclusive": "#9a6700",
    "warned": "#9a6700",
    "skipped": "#6e7781",
}
_BLUE, _GREY, _BOUND = "#0969da", "#8c959f", "#cf222e"
#: Characters of a data label (a slice, a bin) drawn in a plot; the table under it has all.
LABEL_LIMIT = 40
#: Characters of a plot's title.
TITLE_LIMIT = 70
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
    bounds = [b.value for b in headline_bounds(check)]
    points = [v for v in (value, ci.get("low"), ci.get("high"), *bounds) if v is not None]
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
        for bound in bounds:
            ax.axvline(bound, color="#24292f", linestyle="--", linewidth=1)
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
    bounds: Sequence[Bound] = (),
) -> str:
    """Horizontal bars (a metric per slice, an effect size per feature), with a whisker for
    each bar whose ``low`` and ``high`` are both given, and each bound
    (:mod:`mlgate.report.bounds`) as a dashed line across the chart or a mark on its bars."""
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
        marks = {i: b.label for b in bounds if b.axis == "value" for i in b.where}
        names = [_label(label) + (f"  ({marks[i]})" if i in marks else "")
                 for i, label in enumerate(labels)]  # fmt: skip
        ax.set_yticks(range(n), names, fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
        drawn = [b for b in bounds if b.axis == "value"]
        _bounds(ax, drawn, vertical=True)
        if xlabel:
            ax.set_xlabel(_label(xlabel), fontsize=8)
        _title(ax, title, [b for b in drawn if not b.where])
    return _svg(fig)


def _label(text: Any) -> str:
    return clip(text, LABEL_LIMIT).shown


def _title(ax, title: Any, bounds: Sequence[Bound]) -> None:
    if title:
        # room above the axes for the labels of the vertical bounds, one line each
        ax.set_title(clip(title, TITLE_LIMIT).shown, fontsize=8, pad=6 + 8 * len(bounds))


def _bounds(ax, bounds: Sequence[Bound], *, vertical: bool) -> None:
    """Each bound as a dashed line (across the axes, or a mark per bar in ``where``), labelled
    ``need ≥ 0.9`` at its end, with the axis widened so it shows."""
    if not bounds:
        return
    get, set_ = (ax.get_xlim, ax.set_xlim) if vertical else (ax.get_ylim, ax.set_ylim)
    lo, hi = get()
    values = [b.value for b in bounds]
    pad = (max(hi, *values) - min(lo, *values)) * 0.04
    set_(min(lo, min(values) - pad), max(hi, max(values) + pad))
    style = {"color": _BOUND, "linestyle": "--", "linewidth": 1.2}
    for i, b in enumerate(sorted(bounds, key=lambda b: bool(b.where))):
        if vertical and b.where:
            for row in b.where:
                ax.plot([b.value, b.value], [row - 0.45, row + 0.45], **style)
        elif vertical:
            ax.axvline(b.value, **style)
        else:
            ax.axhline(b.value, **style)
        if vertical:
            xy, xycoords, offset, ha = (b.value, 1.0), ("data", "axes fraction"), (0, 2), "center"
            va = "bottom"
        else:
            xy, xycoords, offset, ha = (1.0, b.value), ("axes fraction", "data"), (-2, 2), "right"
            va = "bottom"
        if b.where:  # a mark on some bars: named in their labels
            continue
        ax.annotate(
            b.label,
            xy=xy,
            xycoords=xycoords,
            xytext=(offset[0], offset[1] + 8 * i),
            textcoords="offset points",
            fontsize=6,
            color=_BOUND,
            ha=ha,
            va=va,
        )


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
    bounds: Sequence[Bound] = (),
) -> str:
    """A line plot (a reliability diagram with ``diagonal=True``, risk–coverage, decay over
    windows). A point's interval (``low``, ``high``, both given) is drawn as an error bar, or,
    beyond :data:`MAX_INTERVAL_BARS` points with every interval given, as a band. Each bound
    is a dashed line: horizontal on the ``y`` axis, vertical on the ``x`` axis."""
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
        _bounds(ax, [b for b in bounds if b.axis == "y"], vertical=False)
        _bounds(ax, [b for b in bounds if b.axis == "x"], vertical=True)
        ax.set_xlabel(_label(xlabel), fontsize=8)
        ax.set_ylabel(_label(ylabel), fontsize=8)
        ax.tick_params(labelsize=7)
        _title(ax, title, [b for b in bounds if b.axis == "x"])
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
        ax.set_xticks(pos, [_label(b) for b in bins], fontsize=6, rotation=45, ha="right")
        ax.set_ylabel("share", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(clip(title, TITLE_LIMIT).shown, fontsize=8)
        ax.legend(fontsize=6, frameon=False)
    return _svg(fig)


def matrix_svg(
    labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    row_axis: str,
    column_axis: str,
    title: str = "",
) -> str:
    """A grid of counts (a confusion matrix): each cell shaded by its share of its row (so a
    class's recall reads as the darkness of its diagonal cell whatever the class sizes) and
    labelled with its count and that share. Vector cells, no raster image."""
    n = len(labels)
    totals = [sum(row) for row in counts]
    share = [[c / t if t else 0.0 for c in row] for row, t in zip(counts, totals, strict=True)]
    with _rc():
        size = max(2.6, 0.55 * n + 1.4)
        fig = _figure(size, size * 0.9)
        ax = fig.add_subplot()
        ax.pcolormesh(share, cmap="Blues", vmin=0.0, vmax=1.0, edgecolors="white", linewidth=1)
        for i, row in enumerate(counts):
            for j, c in enumerate(row):
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    f"{c}\n{share[i][j]:.0%}" if totals[i] else str(c),
                    ha="center",
                    va="center",
                    fontsize=7 if n <= 6 else 5,
                    color="white" if share[i][j] > 0.6 else "#24292f",
                )
        ticks = [i + 0.5 for i in range(n)]
        names = [_label(x) for x in labels]
        ax.set_xticks(ticks, names, fontsize=7, rotation=45 if n > 4 else 0, ha="center")
        ax.set_yticks(ticks, names, fontsize=7)
        ax.set_xlim(0, n)
        ax.set_ylim(n, 0)  # the first row on top, as the table reads
        ax.set_xlabel(_label(column_axis), fontsize=8)
        ax.set_ylabel(_label(row_axis), fontsize=8)
        ax.tick_params(length=0)
        _title(ax, title, [])
    return _svg(fig)
