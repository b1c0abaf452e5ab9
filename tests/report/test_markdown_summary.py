"""The Markdown summary: each block type by its renderer (the table of its data: Markdown has
no plots), unknown types as tables, the evidence of checks that did not pass folded, and
every data-derived string escaped."""

from __future__ import annotations

import copy
import json
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
from mlgate.report.markdown import RENDERERS, evidence_markdown, md_escape, render_summary

DOC = Path(__file__).parent / "data" / "result.json"
HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def md(**evidence) -> str:
    return "\n".join(evidence_markdown(json.loads(json.dumps(jsonable(evidence)))))


@pytest.fixture
def doc() -> dict:
    return json.loads(DOC.read_text())


def test_every_kernel_block_type_has_a_renderer():
    assert set(BLOCK_TYPES) <= set(RENDERERS)


def test_reliability_is_its_per_bin_table():
    text = md(reliability=Reliability(confidence=[0.1, 0.9], accuracy=[0.2, None], count=[4, 6]))
    assert text.splitlines()[:4] == [
        "**reliability** (reliability)",
        "",
        "| bin | confidence | accuracy | count |",
        "|---|---|---|---|",
    ]
    assert "| 2 | 0.9 | n/a | 6 |" in text


def test_bars_are_a_table_with_their_intervals():
    text = md(
        per_slice=Bars(labels=["a"], values=[0.9], low=[0.85], high=[0.95], over="slice",
                       quantity="accuracy", title="accuracy per slice")
    )  # fmt: skip
    assert "**per_slice** (bars) — accuracy per slice" in text
    assert "| slice | accuracy | low | high |" in text and "| a | 0.9 | 0.85 | 0.95 |" in text


def test_histograms_in_blocks_are_a_table_each():
    text = md(
        histograms=Blocks(items=(
            Histogram(bins=["a", "b"], reference=[0.5, 0.5], current=[0.1, 0.9], title="colour"),
        ))
    )  # fmt: skip
    assert "**colour** (histogram)" in text
    assert "| bin | reference | current |" in text and "| b | 0.5 | 0.9 |" in text


def test_a_curve_is_its_points():
    text = md(curve=Curve(x=[0.5, 1.0], y=[0.1, 0.2], xlabel="coverage", ylabel="risk"))
    assert "| coverage | risk |" in text and "| 1 | 0.2 |" in text


def test_tables_and_examples_stop_at_max_rows():
    rows = [{"i": i} for i in range(MAX_ROWS + 2)]
    for block in (Table.of(rows), Examples.of(rows)):
        text = md(rows=block)
        assert f"| {MAX_ROWS - 1} |" in text and f"| {MAX_ROWS} |" not in text
        assert "*… 2 more rows in result.json*" in text


def test_unknown_types_and_plain_values_render_generically():
    text = "\n".join(
        evidence_markdown(
            {
                "n": 3,
                "fit": {"a": 1.5, "b": None},
                "flows": {"type": "sankey", "rows": [{"from": "a", "to": "b"}]},
                "records": [{"slice": "a", "value": 0.5}],
            }
        )
    )
    assert "- **n:** 3" in text and "- **fit:** a = 1.5, b = n/a" in text
    assert "**flows** (sankey)" in text and "| a | b |" in text
    assert "| slice | value |" in text


def test_the_evidence_of_checks_that_did_not_pass_is_folded(doc):
    doc = copy.deepcopy(doc)
    by_id = {c["id"]: c for c in doc["checks"]}
    by_id["calibration"]["status"] = "failed"
    text = render_summary(doc)
    section = text.split("### Evidence of the checks that did not pass")[1]
    assert "<details><summary>❌ failed · calibration</summary>" in section
    assert "<details><summary>⚠️ warned · log_loss</summary>" in section
    assert "| bin | confidence | accuracy | count |" in section
    assert "slices-accuracy" not in section  # passed: its evidence is in the HTML report


def test_a_run_where_everything_passed_has_no_evidence_section(doc):
    doc = copy.deepcopy(doc)
    for c in doc["checks"]:
        c["status"] = "passed"
    assert "### Evidence" not in render_summary(doc)


def test_hostile_slice_names_and_bins_are_escaped(doc):
    doc = copy.deepcopy(doc)
    by_id = {c["id"]: c for c in doc["checks"]}
    for check_id in ("slices-accuracy", "drift"):
        by_id[check_id]["status"] = "failed"
    by_id["slices-accuracy"]["evidence"]["per_slice"]["labels"][0] = HOSTILE
    by_id["drift"]["evidence"]["histograms"]["items"][0]["bins"][0] = HOSTILE
    by_id["drift"]["id"] = f"drift{HOSTILE}"
    text = render_summary(doc)
    assert "<script" not in text
    assert f"| {ESCAPED} | 0.89 |" in text  # the slice name, in the bars' table
    assert f"| {ESCAPED} | 0.16 | 0.15 |" in text  # the bin, in the histogram's table
    assert f"<summary>❌ failed · drift{ESCAPED}</summary>" in text


def test_markdown_markup_in_data_is_text():
    # the scheme's colon is escaped too: GitHub would make a bare URL a link
    assert md_escape("[x](http://e.example) ![i](http://t.example/p.png)") == (
        "\\[x\\](http\\://e.example) !\\[i\\](http\\://t.example/p.png)"
    )
    assert md_escape("a|b\nc") == "a\\|b c"
