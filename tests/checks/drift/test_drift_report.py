"""Drift evidence in the HTML report: histograms, effect-size bars and the timeline are drawn,
and hostile column names stay text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from mlgate.core.runner import run_gate
from mlgate.report.html import render_html

HOSTILE = "<script>alert(1)</script>&\"'"
DOC = Path(__file__).resolve().parents[2] / "report" / "data" / "result.json"


def document(out) -> dict:
    doc = json.loads(DOC.read_text())
    doc["checks"] = [r.to_dict() for r in out.results]
    doc["stages"] = [d.to_dict() for d in out.decisions]
    return doc


def test_histograms_timeline_and_escaping(write_gate, tmp_path):
    rng = np.random.default_rng(0)
    t = np.repeat(pd.date_range("2024-01-01", periods=60, freq="D"), 20)

    def frame(shift):
        n = len(t)
        return pd.DataFrame(
            {
                "t": t,
                HOSTILE: rng.normal(shift, 1.0, n),
                "plain": rng.normal(size=n),
                "colour": rng.choice([HOSTILE, "red"], size=n),
                "y": rng.integers(0, 2, n),
            }
        )

    checks = [{"check": "drift"}, {"check": "drift_windows", "every": "30D"}]
    path = write_gate(tmp_path, checks, time="t")
    out = run_gate(
        path,
        models={"candidate": lambda X: np.zeros(len(X), dtype=int)},
        datasets={"reference": frame(0.0), "evaluation": frame(0.7)},
    )
    drift, windows = out.results
    assert len(windows.evidence["curve"]["y"]) == 2  # the drift timeline: two 30-day windows
    hists = drift.evidence["histograms"]
    assert hists[0]["column"] == HOSTILE  # the drifted column first
    assert len(hists[0]["bins"]) == len(hists[0]["reference"]) == 10
    assert abs(sum(hists[0]["reference"]) - 1) < 1e-5
    html = render_html(document(out))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # per check: effect-size bars and one histogram per compared column; the windows check
    # also draws its timeline
    assert html.count("<svg") >= 2 * (1 + 3) + 1


def test_malformed_drift_evidence_draws_what_it_can():
    from mlgate.report.html import _evidence_plots

    plots = _evidence_plots(
        {
            "effects": [{"column": "a", "value": float("inf")}, {"column": "b", "value": None}],
            "histograms": [{"column": "x", "bins": 5, "reference": 1, "current": None}],
            "curve": {"x": [1, 2], "y": [0.5, 0.6], "low": [None, 0.5], "high": [0.7, 0.8]},
        }
    )
    assert len(plots) == 1  # only the curve, without its broken interval band


def test_the_raw_data_of_a_plotted_key_is_folded_under_its_plot(write_gate, tmp_path):
    rng = np.random.default_rng(1)

    def frame(shift):
        return pd.DataFrame({"x": rng.normal(shift, 1.0, 400), "y": rng.integers(0, 2, 400)})

    path = write_gate(tmp_path, [{"check": "drift"}])
    out = run_gate(
        path,
        models={"candidate": lambda X: np.zeros(len(X), dtype=int)},
        datasets={"reference": frame(0.0), "evaluation": frame(0.5)},
    )
    html = render_html(document(out))
    assert '<details class="evidence"><summary>histograms: the data of the plot</summary>' in html
    # tables the plots do not replace stay open under a heading
    assert "<h4>columns</h4>" in html or "<h4>effects</h4>" in html
    assert "<summary>effects: the data of the plot" not in html
