"""Evidence in the HTML report: each block type by its renderer (figures from blocks only,
never from key names), the data of a plot folded under it, unknown types as tables, and
hostile labels escaped in plots and tables."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from mlgate.core.evidence import (
    BLOCK_TYPES,
    MAX_ROWS,
    Bars,
    Blocks,
    Curve,
    Examples,
    Histogram,
    Reliability,
    Table,
)
from mlgate.core.result import jsonable
from mlgate.report.html import render_html
from mlgate.report.html_evidence import RENDERERS, evidence_views
from mlgate.report.plots import MAX_INTERVAL_BARS

DOC = Path(__file__).parent / "data" / "result.json"
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def stored(**evidence):
    """Evidence as result.json holds it: blocks as tagged mappings, read back from JSON."""
    return json.loads(json.dumps(jsonable(evidence)))


def view(block):
    (v,) = evidence_views(stored(x=block))
    return v


@pytest.fixture
def doc() -> dict:
    return json.loads(DOC.read_text())


def test_every_kernel_block_type_has_a_renderer():
    assert set(BLOCK_TYPES) <= set(RENDERERS)


def test_reliability_is_a_diagram_with_its_per_bin_table_folded():
    v = view(Reliability(confidence=[0.1, 0.5, 0.9], accuracy=[0.2, None, 0.85], count=[9, 0, 12]))
    (svg,) = v.figures
    assert "mean confidence" in svg and "observed accuracy" in svg
    assert v.folded
    (t,) = v.tables
    assert t.columns == ("bin", "confidence", "accuracy", "count")
    assert t.rows == ((1, 0.1, 0.2, 9), (2, 0.5, None, 0), (3, 0.9, 0.85, 12))
    assert v.notes == ("1 bin without a value not drawn",)


def test_bars_draw_interval_whiskers_only_when_given():
    plain = view(Bars(labels=["a", "b"], values=[0.9, 0.8], over="slice", quantity="accuracy"))
    ci = view(
        Bars(labels=["a", "b"], values=[0.9, 0.8], low=[0.85, 0.7], high=[0.95, 0.86],
             over="slice", quantity="accuracy")
    )  # fmt: skip
    assert "LineCollection" not in plain.figures[0]
    assert "LineCollection" in ci.figures[0]  # the whiskers
    assert "accuracy" in ci.figures[0]  # the quantity labels the axis
    assert ci.tables[0].columns == ("slice", "accuracy", "low", "high")
    assert ci.folded


def test_bars_beyond_the_limit_are_listed_not_drawn():
    n = 45
    v = view(Bars(labels=[f"s{i}" for i in range(n)], values=[0.5] * n, over="slice"))
    assert len(v.tables[0].rows) == n
    assert v.notes == ("15 bars beyond the first 30 not drawn",)


def test_a_histogram_and_blocks_of_histograms():
    h1 = Histogram(bins=["a", "b"], reference=[0.5, 0.5], current=[0.1, 0.9], title="colour")
    h2 = Histogram(bins=["<0", ">=0"], reference=[0.5, 0.5], current=[0.4, 0.6], title="x")
    one = view(h1)
    assert len(one.figures) == 1 and "colour" in one.figures[0]
    assert one.tables[0].columns == ("bin", "reference", "current")
    several = view(Blocks(items=(h1, h2), title="histograms"))
    assert len(several.figures) == 2 and several.folded
    assert [t.title for t in several.tables] == ["colour", "x"]


def test_a_curve_draws_interval_bars_or_a_band():
    few = view(Curve(x=[0, 1, 2], y=[0.1, 0.2, 0.3], low=[0.0, 0.1, None],
                     high=[0.2, 0.3, None], xlabel="window", ylabel="psi"))  # fmt: skip
    assert "LineCollection" in few.figures[0] and "PolyCollection" not in few.figures[0]
    n = MAX_INTERVAL_BARS + 5
    xs = [i / n for i in range(n)]
    many = view(Curve(x=xs, y=xs, low=[x - 0.05 for x in xs], high=[x + 0.05 for x in xs]))
    assert "PolyCollection" in many.figures[0]  # the band
    assert few.tables[0].columns == ("window", "psi", "low", "high")


def test_a_curve_with_broken_points_draws_what_it_can():
    v = view(Curve(x=[1, 2, 3], y=[0.5, None, 0.7], low=[None, 0.1, 0.6], high=[0.7, 0.2, 0.8]))
    assert len(v.figures) == 1
    assert v.notes == ("1 point without a value not drawn",)


def test_tables_and_examples_are_tables_cut_at_max_rows():
    rows = [{"i": i, "slice": f"s{i}"} for i in range(MAX_ROWS + 3)]
    for block in (Table.of(rows), Examples.of(rows, title="worst rows")):
        v = view(block)
        assert v.figures == () and not v.folded
        (t,) = v.tables
        assert len(t.rows) == MAX_ROWS and t.more == 3
        assert t.columns == ("i", "slice")


def test_an_unknown_type_is_its_generic_table():
    (rows, listing, broken) = evidence_views(
        {
            "flows": {"type": "sankey", "title": "flows", "rows": [{"from": "a", "to": "b"}]},
            "gauge": {"type": "gauge", "value": 0.4},
            "bad": {"type": "histogram", "bins": ["a"], "reference": [1.0, 0.0], "current": []},
        }
    )
    assert rows.tables[0].columns == ("from", "to") and rows.tables[0].title == "flows"
    assert listing.tables[0].rows == (("value", 0.4),)
    assert broken.figures == () and broken.tables[0].columns == ("field", "value")


def test_plain_values_render_generically_and_key_names_draw_nothing():
    views = evidence_views(
        {
            # the layouts the report used to plot by key name: now plain tables
            "reliability": [{"confidence": 0.1, "accuracy": 0.2}],
            "curve": {"x": [1, 2], "y": [0.5, 0.6]},
            "histograms": [{"column": "x", "bins": ["a"], "reference": [1], "current": [1]}],
            "labels": ["a", "b"],
            "n": 3,
        }
    )
    assert [(v.key, v.shape) for v in views] == [
        ("reliability", "table"),
        ("curve", "mapping"),
        ("histograms", "table"),
        ("labels", "list"),
        ("n", "scalar"),
    ]
    assert all(v.figures == () for v in views)


def test_the_report_folds_the_data_of_each_plot_under_it(doc):
    html = render_html(doc)
    for key in ("reliability", "per_slice", "effects", "histograms", "curve"):
        assert f'<details class="evidence"><summary>{key}: the data of the plot</summary>' in html
    # tables no plot replaces stay open under their key: the drift table, the examples
    assert "<h4>features</h4>" in html and "<h4>worst</h4>" in html
    assert "misclassified rows" in html
    checks_with_value = sum(c["value"] is not None for c in doc["checks"])
    evidence_plots = 1 + 1 + 1 + 2 + 1  # reliability, slices, effects, 2 histograms, curve
    assert html.count("<svg") == checks_with_value + evidence_plots


def test_hostile_labels_are_escaped_in_plots_and_tables(doc):
    doc = copy.deepcopy(doc)
    by_id = {c["id"]: c for c in doc["checks"]}
    by_id["slices-accuracy"]["evidence"]["per_slice"]["labels"][0] = HOSTILE
    by_id["drift"]["evidence"]["histograms"]["items"][0]["bins"][0] = HOSTILE
    html = render_html(doc)
    assert HOSTILE not in html and "<script" not in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    # as a bar label, and as a histogram's tick label; then in the tables below them
    assert sum(ESCAPED in svg for svg in svgs) == 2
    assert html.count(f"<td>{ESCAPED}</td>") == 2


def test_a_dollar_in_a_label_is_text_not_mathtext():
    v = view(Bars(labels=["price>$100 & <$200", "$\\frac{a}{"], values=[0.5, 0.4]))
    assert "price&gt;$100 &amp; &lt;$200" in v.figures[0]
