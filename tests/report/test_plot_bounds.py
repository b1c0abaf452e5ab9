"""Bounds on plots: a plot shows the threshold its check judged the plotted numbers against,
found through the check's judged statistics (headline and parts), never through a key name;
a number that only happens to be equal draws nothing."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from mlgate.core.evidence import Bars, Curve
from mlgate.report.bounds import Bound, bar_bounds, curve_bounds, headline_bounds, same_quantity
from mlgate.report.html import render_html
from mlgate.report.html_evidence import evidence_views
from mlgate.report.plots import bars_svg, curve_svg

DOC = Path(__file__).parent / "data" / "result.json"
IV = {"level": 0.95, "method": "wilson"}


def check(metric=None, value=None, low=None, high=None, op=">=", bound=None, parts=()):
    return {
        "metric": metric,
        "value": value,
        "interval": None if low is None else {"low": low, "high": high, **IV},
        "threshold": None if bound is None else {"op": op, "value": bound},
        "parts": [
            {
                "name": name,
                "status": "passed",
                "value": v,
                "interval": None if lo is None else {"low": lo, "high": hi, **IV},
                "threshold": {"op": o, "value": b},
            }
            for name, v, lo, hi, o, b in parts
        ],
    }


SLICES = Bars(labels=["a", "b", "c"], values=[0.91, 0.86, 0.95], low=[0.85, 0.8, 0.9],
              high=[0.95, 0.9, 0.98], over="slice", quantity="accuracy")  # fmt: skip


def test_the_headline_on_the_worst_slice_puts_its_bound_across_every_bar():
    c = check("accuracy of the worst slice (b)", 0.86, 0.8, 0.9, ">=", 0.75)
    assert bar_bounds(c, SLICES) == [Bound(">=", 0.75)]


def test_a_bound_on_the_quantity_is_found_without_an_interval():
    c = check("accuracy of the worst slice (b)", 0.86, bound=0.75)
    assert bar_bounds(c, SLICES) == [Bound(">=", 0.75)]


def test_parts_named_as_the_bars_with_one_bound_draw_one_line():
    bars = Bars(labels=["zero_rule", "prior"], values=[0.35, 0.46], low=[0.28, 0.4],
                high=[0.41, 0.52], over="baseline", quantity="accuracy improvement")  # fmt: skip
    parts = [("zero_rule", 0.35, 0.28, 0.41, ">=", 0.05), ("prior", 0.46, 0.4, 0.52, ">=", 0.05)]
    c = check("accuracy improvement over zero_rule", 0.35, 0.28, 0.41, ">=", 0.05, parts)
    assert bar_bounds(c, bars) == [Bound(">=", 0.05)]


def test_parts_with_a_bound_each_mark_their_own_bars():
    bars = Bars(labels=["roc_auc", "log_loss"], values=[0.12, 0.92], low=[0.06, 0.4],
                high=[0.17, 1.6], over="metric", quantity="improvement over champion")  # fmt: skip
    parts = [("roc_auc", 0.12, 0.06, 0.17, ">=", -0.01), ("log_loss", 0.92, 0.4, 1.6, ">=", -0.05)]
    c = check("roc_auc improvement over champion", 0.12, 0.06, 0.17, ">=", -0.01, parts)
    # the headline restates the roc_auc part: its margin is not log_loss's
    expected = [Bound(">=", -0.01, where=(0,)), Bound(">=", -0.05, where=(1,))]
    assert bar_bounds(c, bars) == expected
    c["threshold"] = None
    assert bar_bounds(c, bars) == expected
    svg = bars_svg(bars.labels, bars.values, bounds=expected)
    assert "roc_auc  (need ≥ -0.01)" in svg and "log_loss  (need ≥ -0.05)" in svg


def test_a_rate_with_a_minimum_and_a_maximum_draws_both():
    parts = [("rate >= 0.5", 0.63596, 0.571706, 0.695652, ">=", 0.5),
             ("rate <= 0.6", 0.63596, 0.571706, 0.695652, "<=", 0.6)]  # fmt: skip
    c = check("rate of 1", 0.63596, 0.571706, 0.695652, "<=", 0.6, parts)
    bars = Bars(labels=["1"], values=[0.63596], low=[0.571706], high=[0.695652], over="class",
                quantity="share of rows predicted")  # fmt: skip
    assert {(b.op, b.value, b.where) for b in bar_bounds(c, bars)} == {
        ("<=", 0.6, ()),
        (">=", 0.5, ()),
    }
    assert [b.value for b in headline_bounds(c)] == [0.6, 0.5]


def test_a_curve_point_judged_gives_a_horizontal_bound():
    curve = Curve(x=[1, 2, 3], y=[0.9, 0.88, 0.84], low=[0.85, 0.83, 0.8],
                  high=[0.94, 0.92, 0.88], xlabel="window", ylabel="accuracy")  # fmt: skip
    latest = check("accuracy in the latest window", 0.84, 0.8, 0.88, ">=", 0.8)
    assert curve_bounds(latest, curve) == [Bound(">=", 0.8, axis="y")]
    decay = check("accuracy decay per window", -0.03, -0.05, -0.01, "<=", 0.02)
    assert curve_bounds(decay, curve) == []  # the slope is not a point of the curve


def test_a_bound_on_the_x_quantity_is_vertical():
    curve = Curve(x=[0.2, 0.8, 1.0], y=[0.99, 0.93, 0.87], xlabel="coverage", ylabel="accuracy")
    assert curve_bounds(check("coverage", 0.8, bound=0.5), curve) == [Bound(">=", 0.5, axis="x")]


@pytest.mark.parametrize(
    ("c", "block"),
    [
        # a count of drifted columns equal to a window number
        (check("drifted feature columns", 1.0, op="<=", bound=0.0),
         Curve(x=[1, 2], y=[0.1, 0.3], xlabel="window", ylabel="largest effect size")),
        # an effect size equal to the check's value, with no name, interval or quantity shared
        (check("drifted feature columns", 0.0, op="<=", bound=0.0),
         Bars(labels=["x1", "x2"], values=[0.05, 0.0], over="feature", quantity="effect size")),
        # no threshold at all
        (check("accuracy of the worst slice (b)", 0.86, 0.8, 0.9), SLICES),
    ],
    ids=["equal-to-a-window", "equal-to-an-effect", "no-threshold"],
)  # fmt: skip
def test_a_coincidence_draws_nothing(c, block):
    assert (bar_bounds if isinstance(block, Bars) else curve_bounds)(c, block) == []


def test_same_quantity_is_whole_words():
    assert same_quantity("accuracy of the worst slice (b)", "accuracy")
    assert same_quantity("log_loss", "log loss")
    assert not same_quantity("balanced_accuracy", "accuracy")
    assert not same_quantity("accuracy_gain", "accuracy")
    assert not same_quantity("accuracy over the champion", "accuracy")
    assert same_quantity("mae (latest window)", "mae")
    assert not same_quantity("", "accuracy")


def test_bounds_are_drawn_and_labelled():
    lines = bars_svg(["a", "b"], [0.9, 0.8], xlabel="accuracy", bounds=[Bound(">=", 0.75)])
    assert "need ≥ 0.75" in lines
    marks = bars_svg(["a", "b"], [0.9, 0.8], bounds=[Bound(">=", 1.2, where=(1,))])
    assert "need ≥ 1.2" in marks
    curve = curve_svg([0, 1], [0.5, 0.7], xlabel="w", ylabel="y", bounds=[Bound("<=", 0.9, "y")])
    assert "need ≤ 0.9" in curve
    assert "need" not in bars_svg(["a"], [0.9])


def test_every_plot_of_the_report_where_a_bound_applies_shows_it():
    doc = json.loads(DOC.read_text())
    by_id = {c["id"]: c for c in doc["checks"]}
    svgs = {
        key: view.figures
        for cid in ("slices-accuracy", "confidence", "drift", "calibration")
        for view in evidence_views(by_id[cid]["evidence"], by_id[cid])
        for key in [f"{cid}/{view.key}"]
        if view.figures
    }
    assert "need ≥ 0.75" in svgs["slices-accuracy/per_slice"][0]  # every slice's bound
    assert "need ≥ 0.5" in svgs["confidence/curve"][0]  # coverage: a vertical line
    assert all("need" not in s for s in svgs["drift/histograms"])  # no bound applies
    assert "need" not in svgs["drift/effects"][0]
    assert "need" not in svgs["calibration/reliability"][0]
    html = render_html(doc)
    assert len(re.findall("need ≥ 0.75", html)) >= 1


def test_a_bar_beyond_the_drawn_ones_loses_its_mark_not_the_plot():
    n = 40
    bars = Bars(labels=[f"m{i}" for i in range(n)], values=[0.1] * n, over="metric")
    parts = [(f"m{i}", 0.1, None, None, ">=", float(i)) for i in range(n)]
    c = check(parts=parts)
    (view,) = evidence_views(json.loads(json.dumps({"x": bars.to_dict()})), copy.deepcopy(c))
    assert len(view.figures) == 1  # marks of bars 30+ are not drawn; the chart is
