"""Evidence becomes tables, plots and key/value details: typed blocks by their type, plain
values of any shape generically, never an exception."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.core.evidence import (
    Bars,
    Blocks,
    Curve,
    Examples,
    Histogram,
    Reliability,
    Table,
)
from mlgate.core.result import jsonable
from mlgate.report.card import fmt
from mlgate.report.card.evidence import (
    MAX_COLUMNS,
    MAX_ROWS,
    RENDERERS,
    Plot,
    evidence_tables,
    slice_metrics,
)


def _stored(**evidence):
    """Evidence as result.json holds it: blocks as tagged mappings, read back from JSON."""
    return json.loads(json.dumps(jsonable(evidence)))


def test_records_become_a_table_with_columns_in_first_seen_order():
    ev = evidence_tables(
        {
            "per_slice": [
                {"slice": "a", "value": 0.9, "n": 40},
                {"slice": "b", "n": 12, "interval": {"low": 0.5, "high": 0.75}},
            ]
        }
    )
    (t,) = ev.tables
    assert t.title == "Per slice"
    assert t.columns == ("slice", "value", "n", "interval")
    assert t.rows == (("a", "0.9", "40", "—"), ("b", "—", "12", "[0.5, 0.75]"))
    assert ev.details == ()


def test_a_mapping_of_records_gets_a_name_column():
    ev = evidence_tables({"groups": {"x": {"value": 1}, "y": {"value": 2, "n": 3}}})
    (t,) = ev.tables
    assert t.columns == ("name", "value", "n")
    assert t.rows == (("x", "1", "—"), ("y", "2", "3"))


def test_a_matrix_becomes_a_table_of_cells():
    (t,) = evidence_tables({"confusion_matrix": [[50, 2], [3, 40]]}).tables
    assert t.columns == ("", "0", "1")
    assert t.rows == (("0", "50", "2"), ("1", "3", "40"))


def test_scalars_and_small_mappings_become_dotted_details():
    ev = evidence_tables(
        {"model": "candidate", "p": 0.01234567, "fit": {"a": 1.5, "b": {"c": None}}, "ok": True}
    )
    assert ev.tables == ()
    assert ev.details == (
        ("model", "candidate"),
        ("p", "0.01235"),
        ("fit.a", "1.5"),
        ("fit.b.c", "—"),
        ("ok", "true"),
    )


def test_long_tables_are_cut_with_a_note():
    rows = [{f"c{j}": i * j for j in range(MAX_COLUMNS + 3)} for i in range(MAX_ROWS + 7)]
    (t,) = evidence_tables({"rows": rows}).tables
    assert len(t.rows) == MAX_ROWS and len(t.columns) == MAX_COLUMNS
    assert t.note == "3 more column(s) not shown; 7 more row(s) not shown"


def test_slice_metrics_come_from_bars_over_slice_only():
    ev = _stored(
        per_slice=Bars(labels=["a", "b"], values=[0.5, None], low=[0.4, None], high=[0.6, None],
                       over="slice", quantity="accuracy"),
        nested=Blocks(items=(Bars(labels=["g1"], values=[0.7], over="slice", quantity="f1"),)),
        effects=Bars(labels=["x"], values=[0.2], over="feature", quantity="effect size"),
        # key names and record layouts no longer say "slice": nothing is guessed from them
        slices=[{"slice": "c", "value": 0.9}],
        by_group={"g2": {"accuracy": 0.7}},
    )  # fmt: skip
    got = [(m.quantity, m.slice, m.value, m.low, m.high) for m in slice_metrics(ev)]
    assert got == [("accuracy", "a", 0.5, 0.4, 0.6), ("f1", "g1", 0.7, None, None)]
    assert slice_metrics(["not", "a", "mapping"]) == []


def test_the_card_has_a_renderer_for_every_kernel_block_type():
    from mlgate.core.evidence import BLOCK_TYPES

    assert set(BLOCK_TYPES) <= set(RENDERERS)


def test_reliability_gives_its_diagram_and_per_bin_table():
    ev = evidence_tables(
        _stored(reliability=Reliability(confidence=[0.1, 0.9], accuracy=[0.2, None], count=[5, 7]))
    )
    plot, table = ev.parts
    assert isinstance(plot, Plot) and plot.svg().startswith("<svg")
    assert table.title == "Reliability"
    assert table.columns == ("bin", "confidence", "accuracy", "count")
    assert table.rows == (("1", "0.1", "0.2", "5"), ("2", "0.9", "—", "7"))


def test_bars_give_a_chart_and_a_table_with_intervals():
    bars = Bars(labels=["a", "b"], values=[0.9, 0.8], low=[0.85, None], high=[0.95, None],
                over="slice", quantity="accuracy", title="accuracy per slice")  # fmt: skip
    plot, table = evidence_tables(_stored(per_slice=bars)).parts
    assert isinstance(plot, Plot) and "<svg" in plot.svg()
    assert table.title == "Per slice — accuracy per slice"
    assert table.columns == ("slice", "accuracy", "interval")
    assert table.rows == (("a", "0.9", "[0.85, 0.95]"), ("b", "0.8", "[—, —]"))


def test_histograms_in_blocks_give_a_plot_and_a_table_each():
    hists = Blocks(items=(
        Histogram(bins=["<0", ">=0"], reference=[0.5, 0.5], current=[0.2, 0.8], title="x1"),
        Histogram(bins=["a"], reference=[1.0], current=[1.0], title="x2"),
    ))  # fmt: skip
    parts = evidence_tables(_stored(histograms=hists)).parts
    assert [type(p).__name__ for p in parts] == ["Plot", "Table", "Plot", "Table"]
    assert parts[1].title == "X1" and parts[1].columns == ("bin", "reference", "current")
    assert parts[1].rows == (("<0", "0.5", "0.2"), (">=0", "0.5", "0.8"))


def test_a_curve_gives_a_line_plot_and_its_points():
    curve = Curve(x=[0.5, 1.0], y=[0.1, 0.2], xlabel="coverage", ylabel="risk",
                  low=[0.05, 0.15], high=[0.15, 0.25])  # fmt: skip
    plot, table = evidence_tables(_stored(curve=curve)).parts
    assert isinstance(plot, Plot) and "<svg" in plot.svg()
    assert table.columns == ("coverage", "risk", "interval")
    assert table.rows[0] == ("0.5", "0.1", "[0.05, 0.15]")


def test_a_table_block_is_a_table_in_its_column_order():
    t = Table(rows=({"b": 1, "a": "x"},), columns=("a", "b"), title="per window")
    (table,) = evidence_tables(_stored(windows=t)).parts
    assert table.title == "Windows — per window"
    assert table.columns == ("a", "b") and table.rows == (("x", "1"),)


def test_examples_never_appear_on_the_card():
    ev = evidence_tables(_stored(worst=Examples.of([{"name": "Jane Doe", "row": 3}] * 4)))
    assert ev.parts == ()
    assert ev.details == (("worst", "4 example row(s), in the gate report only"),)
    assert "Jane Doe" not in repr(ev)


def test_an_unknown_block_type_renders_as_its_generic_table():
    ev = evidence_tables(
        {
            "flows": {"type": "sankey", "title": "", "rows": [{"from": "a", "to": "b"}]},
            "lists": {"type": "radar", "axes": ["p", "q"], "values": [1, 2]},
            "other": {"type": "gauge", "value": 0.4, "nested": {"k": 1}},
            "broken": {"type": "bars", "labels": ["a", "b"], "values": [1.0]},  # wrong lengths
        }
    )
    flows, lists, other, broken = ev.tables
    assert flows.columns == ("from", "to") and flows.rows == (("a", "b"),)
    assert lists.columns == ("axes", "values") and lists.rows == (("p", "1"), ("q", "2"))
    assert other.columns == ("field", "value")
    assert other.rows == (("value", "0.4"), ("nested", "k = 1"))  # words, not a dict
    assert broken.columns == ("field", "value") and ev.plots == ()


def test_number_formatting():
    assert fmt.num(0.973684) == "0.9737"
    assert fmt.num(12345.678) == "1.235e+04"
    assert fmt.num(math.nan) == "—" and fmt.num(None) == "—"
    assert fmt.num(True) == "true" and fmt.num(7) == "7"
    iv = {"low": 0.1, "high": 0.2, "level": 0.9, "method": "wilson"}
    assert fmt.interval(iv, with_method=True) == "[0.1, 0.2] (90%, wilson)"
    assert fmt.threshold({"op": ">=", "value": 0.9}) == ">= 0.9"
    assert fmt.cell("a\n  b") == "a b"
    assert len(fmt.cell("x" * 500)) == fmt.MAX_CELL


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=75, deadline=None)
@given(json_values)
def test_any_json_evidence_renders(evidence):
    ev = evidence_tables(evidence)
    for t in ev.tables:
        assert all(len(r) == len(t.columns) for r in t.rows)
        assert all(isinstance(c, str) for r in t.rows for c in r)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in ev.details)
    slice_metrics(evidence)


def test_a_low_high_pair_under_an_interval_column_reads_as_an_interval():
    (t,) = evidence_tables({"rows": [{"interval": [0.1, 0.25], "pair": [1, 2]}]}).tables
    assert t.rows == (("[0.1, 0.25]", "1, 2"),)
