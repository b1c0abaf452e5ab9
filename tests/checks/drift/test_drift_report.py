"""Drift evidence as typed blocks (histograms, effect-size bars, the timeline curve) and in the
HTML report: they are drawn, and hostile column names stay text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from mlgate.core.evidence import Bars, Blocks, Curve, Histogram, Table
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
    curve = windows.evidence["curve"]
    assert isinstance(curve, Curve) and len(curve.y) == 2  # the timeline: two 30-day windows
    assert isinstance(windows.evidence["windows"], Table)
    assert [r["start"] for r in windows.evidence["windows"].rows] == ["2024-01-01", "2024-01-31"]
    hists = drift.evidence["histograms"]
    assert isinstance(hists, Blocks) and all(isinstance(h, Histogram) for h in hists.items)
    assert hists.items[0].title == HOSTILE  # the drifted column first
    assert len(hists.items[0].bins) == len(hists.items[0].reference) == 10
    assert abs(sum(hists.items[0].reference) - 1) < 1e-5
    effects = drift.evidence["effects"]
    assert isinstance(effects, Bars) and effects.over == "feature"
    assert effects.quantity == "effect size" and effects.labels[0] == HOSTILE
    assert set(effects.labels) == {HOSTILE, "plain", "colour"}
    html = render_html(document(out))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # per check: effect-size bars and one histogram per compared column; the windows check
    # also draws its timeline
    assert html.count("<svg") >= 2 * (1 + 3) + 1


def test_malformed_drift_evidence_draws_what_it_can():
    """Blocks read back from a damaged result.json: an effect that is not a finite number, a
    histogram whose fields are not lists, a curve with a broken interval band. Only the curve
    can be drawn."""
    malformed = {
        "effects": {"type": "bars", "labels": ["a", "b"], "values": [None, None]},
        "histograms": {
            "type": "blocks",
            "items": [{"type": "histogram", "bins": 5, "reference": 1, "current": None}],
        },
        "curve": {"type": "curve", "x": [1, 2], "y": [0.5, 0.6], "low": [None, 0.5],
                  "high": [0.7, 0.8]},
    }  # fmt: skip

    def svgs(evidence) -> int:
        doc = json.loads(DOC.read_text())
        check = {**doc["checks"][0], "evidence": evidence}
        doc["checks"] = [check]
        return render_html(doc).count("<svg")

    assert svgs(malformed) - svgs({}) == 1


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
    # the bars' numbers are folded under their chart; the per-column table, which no plot
    # replaces, stays open under a heading
    assert "<summary>effects: the data of the plot</summary>" in html
    assert "<h4>columns</h4>" in html
