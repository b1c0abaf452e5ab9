"""Which bound applies to which plot, read from ``result.json`` alone.

A plot shows a bound when the check says the plotted numbers were judged against it. Evidence
blocks carry no bound of their own, so the link is made through the judged statistics the
check records: its headline (``value``, ``interval``, ``threshold``, ``metric``) and its
``parts`` (``name``, ``value``, ``interval``, ``threshold``). A statistic *is* a plotted number
when

- it has the bar's label as its name (a part) and the same value; or
- it has the same value **and** the same interval as the bar or point; or
- it has the same value and measures the same quantity (the check's ``metric`` is the bars'
  ``quantity`` or the curve's axis label, or that followed by where it was measured:
  ``accuracy of the worst slice`` is an ``accuracy``, ``accuracy_gain`` is not).

Its threshold is then drawn: across the whole plot when it came from the headline and no part
judged a bar (the check's bound holds for every slice, window or point it summarises) or when
every bar a part judged shares it; as a short mark on each judged bar otherwise, named in
that bar's label (a champion comparison with a different margin per metric). Nothing is
ever inferred from an evidence key's name. The same value only, without a name, an interval
or a quantity in common, is a coincidence and draws nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlgate.core.evidence import Bars, Curve
from mlgate.report.text import OPERATORS, number

#: Distinct bounds drawn on one plot; more would hide the data.
MAX_BOUNDS = 4


@dataclass(frozen=True)
class Bound:
    """A bound to draw: ``op`` and ``value`` of the threshold, the ``axis`` it lies on
    (``"value"`` for bars, ``"x"`` or ``"y"`` for curves), and ``where``: empty for a line
    across the plot, else the indices of the bars it marks."""

    op: str
    value: float
    axis: str = "value"
    where: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """``need ≥ 0.9``: the legend of the line."""
        return f"need {OPERATORS.get(self.op, self.op)} {number(self.value)}"


@dataclass(frozen=True)
class _Stat:
    name: str | None  # a part's name; None for the headline
    metric: str
    value: float
    low: float | None
    high: float | None
    op: str
    bound: float


def _finite(x: Any) -> float | None:
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _words(text: Any) -> str:
    return " ".join(str(text or "").lower().replace("_", " ").split())


#: Words after a quantity that say where it was measured, not what it is: ``accuracy of
#: the worst slice`` is an accuracy; ``accuracy gain`` or ``accuracy over X`` is not.
_WHERE = ("of", "in", "on", "at", "for", "per", "across", "within", "(")


def same_quantity(metric: Any, label: Any) -> bool:
    """Whether a check's ``metric`` measures what an axis or bars are labelled with: equal, or
    the label followed by where it was measured (``accuracy of the worst slice`` is an
    ``accuracy``; ``accuracy_gain`` is not)."""
    m, q = _words(metric), _words(label)
    if not (m and q) or not m.startswith(q):
        return False
    rest = m[len(q) :]
    return rest == "" or rest.startswith(tuple(" " + w for w in _WHERE))


def _stat(raw: Any, name: str | None, metric: str) -> _Stat | None:
    if not isinstance(raw, Mapping):
        return None
    t = raw.get("threshold")
    value = _finite(raw.get("value"))
    if value is None or not isinstance(t, Mapping) or _finite(t.get("value")) is None:
        return None
    op = str(t.get("op", ""))
    if op not in OPERATORS:
        return None
    ci = raw.get("interval") if isinstance(raw.get("interval"), Mapping) else {}
    low, high = _finite(ci.get("low")), _finite(ci.get("high"))
    return _Stat(name, metric, value, low, high, op, float(t["value"]))


def judged_statistics(check: Mapping[str, Any] | None) -> list[_Stat]:
    """The headline and every part of ``check`` that has a finite value and a threshold."""
    if not isinstance(check, Mapping):
        return []
    metric = str(check.get("metric") or "")
    stats = [_stat(check, None, metric)]
    parts = check.get("parts")
    if isinstance(parts, list):
        stats += [_stat(p, str(p.get("name", "")), "") for p in parts if isinstance(p, Mapping)]
    return [s for s in stats if s is not None]


def _matches(s: _Stat, label: str | None, value: Any, low: Any, high: Any, quantity: str) -> bool:
    v = _finite(value)
    if not _close(s.value, v):
        return False
    if s.name is not None and label is not None and s.name == label:
        return True
    if s.low is not None and _close(s.low, _finite(low)) and _close(s.high, _finite(high)):
        return True
    return same_quantity(s.metric, quantity)


def _same_number(a: _Stat, b: _Stat) -> bool:
    if not _close(a.value, b.value):
        return False
    if a.low is None and b.low is None:
        return True
    return _close(a.low, b.low) and _close(a.high, b.high)


def headline_bounds(check: Mapping[str, Any]) -> list[Bound]:
    """The bounds of a check's headline statistic: its threshold, and the thresholds of the
    parts that judged the same number (a rate with a minimum and a maximum)."""
    stats = judged_statistics(check)
    head = next((s for s in stats if s.name is None), None)
    if head is None:
        return []
    same = [s for s in stats if _same_number(s, head)]
    return _distinct([Bound(s.op, s.bound) for s in same])


def bar_bounds(check: Mapping[str, Any] | None, bars: Bars) -> list[Bound]:
    """The bounds to draw on ``bars`` (module docstring)."""
    stats = judged_statistics(check)
    if not stats:
        return []
    n = len(bars.labels)
    low, high = bars.low or (None,) * n, bars.high or (None,) * n
    rows = list(zip(bars.labels, bars.values, low, high, strict=True))
    parts = [s for s in stats if s.name is not None]
    # the parts are the finer record: when they judged some bars, the headline (one of them,
    # restated) adds nothing; when none did, the headline's bound is the whole plot's
    hits = _hits(parts, rows, bars.quantity) or _hits(
        [s for s in stats if s.name is None], rows, bars.quantity, whole=True
    )
    matched = set().union(*hits.values()) if hits else set()
    out = []
    for (op, bound, whole), where in hits.items():
        shared = whole or where == matched
        out.append(Bound(op, bound, "value", () if shared else tuple(sorted(where))))
    return _distinct(out)


def _hits(
    stats: list[_Stat], rows: list[tuple[Any, ...]], quantity: str, whole: bool = False
) -> dict[tuple[str, float, bool], set[int]]:
    """Per bound of ``stats``, the bars it judged."""
    hits: dict[tuple[str, float, bool], set[int]] = {}
    for i, (label, value, lo, hi) in enumerate(rows):
        for s in stats:
            if _matches(s, label, value, lo, hi, quantity):
                hits.setdefault((s.op, s.bound, whole), set()).add(i)
    return hits


def curve_bounds(check: Mapping[str, Any] | None, curve: Curve) -> list[Bound]:
    """The bounds to draw on ``curve``: a horizontal line when a judged statistic is one of
    its points' ``y``, a vertical one when it is one of their ``x`` and measures the x-axis's
    quantity."""
    stats = judged_statistics(check)
    n = len(curve.x)
    low, high = curve.low or (None,) * n, curve.high or (None,) * n
    out = []
    for s in stats:
        if any(
            _matches(s, None, y, lo, hi, curve.ylabel)
            for y, lo, hi in zip(curve.y, low, high, strict=True)
        ):
            out.append(Bound(s.op, s.bound, "y"))
        elif same_quantity(s.metric, curve.xlabel) and any(
            _close(s.value, _finite(x)) for x in curve.x
        ):
            out.append(Bound(s.op, s.bound, "x"))
    return _distinct(out)


def block_bounds(check: Mapping[str, Any] | None, block: Any) -> list[Bound]:
    """The bounds of any block: bars and curves have them; other types draw none."""
    if isinstance(block, Bars):
        return bar_bounds(check, block)
    if isinstance(block, Curve):
        return curve_bounds(check, block)
    return []


def _distinct(bounds: Sequence[Bound]) -> list[Bound]:
    seen: dict[tuple[str, float, str, tuple[int, ...]], Bound] = {}
    for b in bounds:
        seen.setdefault((b.op, b.value, b.axis, b.where), b)
    return list(seen.values())[:MAX_BOUNDS]
