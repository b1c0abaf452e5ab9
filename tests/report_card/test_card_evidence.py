"""Evidence of any shape becomes tables and key/value details, never an exception."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.report.card import fmt
from mlgate.report.card.evidence import MAX_COLUMNS, MAX_ROWS, evidence_tables, slice_values


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


def test_slice_values_read_named_records_only():
    ev = {
        "slices": [{"slice": "a", "value": 0.5}, {"slice": "b", "value": None}, {"value": 1}],
        "by_group": {"g1": {"accuracy": 0.7}},
        "notes": "x",
    }
    assert slice_values(ev, "accuracy") == [("a", 0.5), ("g1", 0.7)]
    assert slice_values(["not", "a", "mapping"], None) == []


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
    slice_values(evidence, "m")


def test_a_low_high_pair_under_an_interval_column_reads_as_an_interval():
    (t,) = evidence_tables({"rows": [{"interval": [0.1, 0.25], "pair": [1, 2]}]}).tables
    assert t.rows == (("[0.1, 0.25]", "1, 2"),)
