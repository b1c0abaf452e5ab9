"""The serving checks in a gate file (through pytester), and the torch_digits serving demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate.core.decision import Verdict
from mlgate.core.result import Status
from mlgate.core.runner import run_gate

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "suites" / "torch_digits"

MODELS = """
import numpy as np


class Flag:
    classes_ = np.array([0, 1])

    def __init__(self, cut=90.0):
        self.cut = cut

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-(np.asarray(X["x"], dtype=float) - self.cut)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def flag(cut=90.0):
    return Flag(cut)
"""


def test_in_a_gate_file(pytester):
    pytester.makepyfile(servingmodels=MODELS)
    x = np.arange(1000) % 100
    pd.DataFrame({"x": x, "y": (x >= 90).astype(int), "band": x // 50}).to_csv(
        pytester.path / "eval.csv", index=False
    )
    gate = pytester.makefile(
        ".yaml",
        mlgate="""
        name: serving
        task: binary
        models:
          candidate: {factory: "servingmodels:flag"}
          candidate_copy: {factory: "servingmodels:flag"}
        datasets: {evaluation: {path: eval.csv, label: y, slices: [band]}}
        stages:
          staging:
            checks:
              - {check: latency, budget: {p99: 60 s}, requests: 400, warmup: 2}
              - {check: latency, id: impossible, budget: {p99: 1e-9 s}, requests: 400}
              - {check: throughput, min_rows_per_second: 0.001, passes: 6}
              - {check: resources, max_size: 1 MB}
              - {check: parity, variant: candidate_copy, min_agreement: 0.99,
                 max_abs_diff: 0, max_metric_drop: 0}
        """,
    )
    result = pytester.runpytest("--mlgate", f"--mlgate-file={gate}", "-p", "no:cacheprovider")
    assert result.ret == 10  # the impossible budget holds the stage
    result.stdout.fnmatch_lines(
        [
            "*PASSED*latency-batch1*",
            "*FAILED*impossible*",
            "*PASSED*throughput*",
            "*PASSED*resources*",
            "*PASSED*parity-candidate_copy*",
        ]
    )


def test_a_bare_number_budget_is_refused_before_anything_runs(pytester):
    pytester.makepyfile(servingmodels2=MODELS)
    pd.DataFrame({"x": [1, 95], "y": [0, 1]}).to_csv(pytester.path / "eval.csv", index=False)
    gate = pytester.makefile(
        ".yaml",
        mlgate="""
        name: serving
        task: binary
        models: {candidate: {factory: "servingmodels2:flag"}}
        datasets: {evaluation: {path: eval.csv, label: y}}
        stages: {staging: {checks: [{check: latency, budget: {p99: 20}}]}}
        """,
    )
    result = pytester.runpytest("--mlgate", f"--mlgate-file={gate}", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(
        ["*stages.staging.checks[[]0].budget.p99: got 20: *needs its unit*"]
    )


@pytest.mark.slow
def test_torch_digits_serving_demo_promotes():
    pytest.importorskip("torch")
    run = run_gate(DEMO / "mlgate-serving.yaml")
    assert [d.verdict for d in run.decisions] == [Verdict.PROMOTE]
    by_id = {r.check_id: r for r in run.results}
    parity = by_id["parity-candidate_int8"]
    assert parity.status is Status.PASSED
    assert parity.value >= 0.98  # label agreement of the int8 copy
    sizes = {
        name: next(
            row["value"]
            for row in by_id[name].evidence["resources"].rows
            if row["quantity"] == "parameter_bytes"
        )
        for name in ("resources", "resources-candidate_int8")
    }
    assert sizes["resources-candidate_int8"] < sizes["resources"] / 3  # int8 weights


@pytest.mark.slow
def test_torch_digits_onnx_export_matches_its_original():
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    run = run_gate(DEMO / "mlgate-serving-onnx.yaml")
    assert [d.verdict for d in run.decisions] == [Verdict.PROMOTE]
    parity = next(r for r in run.results if r.check_id == "parity-candidate_onnx")
    assert parity.status is Status.PASSED
    assert parity.value == 1.0  # every label agrees: the export is the same function
