"""The ``champion`` check: known verdicts for better, equal, worse and undecidable candidates,
multiple-testing correction, and gate-file validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.checks.regression.champion import CHAMPION, at_or_below, champion_check
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Bars, Table
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult, Interval, Status, Threshold
from mlgate.core.runner import run_gate

STAGE = "ci"


def write_gate(folder: Path, checks: list[dict], models: dict | None = None) -> Path:
    config = {
        "name": "champion",
        "task": "binary",
        "seed": 0,
        "models": models
        or {"candidate": {"factory": "unused:unused"}, "champion": {"factory": "unused:unused"}},
        "datasets": {"evaluation": {"factory": "unused:unused", "label": "y"}},
        "stages": {STAGE: {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run(tmp_path, check: dict, candidate, champion, data) -> CheckResult:
    path = write_gate(tmp_path, [{"check": "champion", **check}])
    result = run_gate(
        path, models={"candidate": candidate, "champion": champion}, datasets={"evaluation": data}
    )
    (r,) = result.results
    return r


def two_hints(n: int, wrong_a: float, wrong_b: float, seed: int = 0) -> pd.DataFrame:
    """``a`` and ``b`` are the label flipped on independent random rows (shares wrong_a/b)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    a = np.where(rng.random(n) < wrong_a, 1 - y, y)
    b = np.where(rng.random(n) < wrong_b, 1 - y, y)
    return pd.DataFrame({"a": a, "b": b, "u": rng.random(n), "y": y})


def scorer(column: str):
    """Scores that follow ``column`` with some within-class spread (so AUC is not all ties)."""

    def predict(X: pd.DataFrame) -> np.ndarray:
        hint, u = X[column].to_numpy(), X["u"].to_numpy()
        p = np.where(hint == 1, 0.6 + 0.3 * u, 0.1 + 0.3 * u)
        return np.column_stack([1 - p, p])

    return predict


ALL3 = ["accuracy", "roc_auc", "log_loss"]


@pytest.mark.parametrize(
    "check",
    [
        {"metrics": ALL3, "mode": "superiority"},
        {"metrics": ALL3, "mode": "non_inferiority", "margin": 0.01},
    ],
    ids=["superior", "non-inferior"],
)
def test_a_truly_better_candidate_is_found_superior_and_non_inferior(tmp_path, check):
    # The candidate is wrong on 8% of rows, the champion on 16%.
    data = two_hints(2000, 0.08, 0.16)
    r = run(tmp_path, check, scorer("a"), scorer("b"), data)
    assert r.status is Status.PASSED, r.message
    rows = {m["metric"]: m for m in r.evidence["metrics"].rows}
    assert rows["accuracy"]["test"].startswith(("McNemar", "Tango"))
    assert rows["roc_auc"]["test"] == "DeLong paired z-test"
    assert rows["log_loss"]["test"].startswith("paired bootstrap")
    assert rows["accuracy"]["improvement"] == pytest.approx(0.08, abs=0.02)
    assert all(m["p_adjusted"] <= 0.025 and m["status"] == "passed" for m in rows.values())
    assert r.evidence["correction"] == "holm"


def test_a_worse_candidate_fails_non_inferiority(tmp_path):
    data = two_hints(2000, 0.16, 0.08)
    r = run(tmp_path, {"metrics": ["accuracy"], "margin": 0.02}, scorer("a"), scorer("b"), data)
    assert r.status is Status.FAILED, r.message
    assert r.interval.high <= -0.02 and r.threshold.bound == -0.02
    assert "at or below -0.02" in r.message


def test_an_identical_candidate_is_not_declared_superior(tmp_path):
    data = two_hints(1000, 0.1, 0.1)
    r = run(
        tmp_path, {"metrics": ["accuracy"], "mode": "superiority"}, scorer("a"), scorer("a"), data
    )
    assert r.status is Status.INCONCLUSIVE, r.message
    (row,) = r.evidence["metrics"].rows
    assert (row["only_candidate_right"], row["only_reference_right"]) == (0, 0)
    assert "no sample size decides it" in r.message


def test_undecidable_data_is_inconclusive_with_the_rows_needed(tmp_path):
    # 300 rows, only the candidate right on 10, only the champion on 12: a difference of
    # -0.0067 whose interval (about ±0.03) straddles the boundary -0.01.
    data = discordant_data(300, both_wrong=20, only_a=10, only_b=12)
    r = run(tmp_path, {"metrics": ["accuracy"], "margin": 0.01}, labels("a"), labels("b"), data)
    assert r.status is Status.INCONCLUSIVE, r.message
    (row,) = r.evidence["metrics"].rows
    assert row["improvement"] == pytest.approx(-2 / 300, abs=1e-6)
    assert row["interval"][0] < -0.01 < row["interval"][1]
    assert row["rows_needed"] > 300
    assert f"about {row['rows_needed']:,} rows would be needed" in r.message


def test_identical_models_on_few_rows_need_more_rows_to_show_non_inferiority(tmp_path):
    # No discordant row yet, so the observed spread is 0; Tango's variance under H0 at the
    # boundary -0.01 is 2·0.01 − 0.01·1.01 = 0.0099 per row: (2.80 / 0.01)² · 0.0099 ≈ 776.
    data = two_hints(100, 0.1, 0.1)
    r = run(tmp_path, {"metrics": ["accuracy"], "margin": 0.01}, scorer("a"), scorer("a"), data)
    assert r.status is Status.INCONCLUSIVE, r.message
    (row,) = r.evidence["metrics"].rows
    assert row["rows_needed"] == pytest.approx(776, abs=2)


def discordant_data(n: int, both_wrong: int, only_a: int, only_b: int) -> pd.DataFrame:
    """Labels ``a`` (candidate) and ``b`` (champion): both wrong on the first ``both_wrong``
    rows, then only ``a`` right on ``only_a`` rows, then only ``b`` right on ``only_b``."""
    y = np.tile([0, 1], n // 2)
    a, b = y.copy(), y.copy()
    a[:both_wrong] = b[:both_wrong] = 1 - y[:both_wrong]
    i = both_wrong
    b[i : i + only_a] = 1 - y[i : i + only_a]
    i += only_a
    a[i : i + only_b] = 1 - y[i : i + only_b]
    return pd.DataFrame({"a": a, "b": b, "u": 0.5, "y": y})


def labels(column: str):
    return lambda X: X[column].to_numpy()


@pytest.mark.parametrize(
    ("correction", "status"),
    [("none", Status.PASSED), ("holm", Status.INCONCLUSIVE), ("bonferroni", Status.INCONCLUSIVE)],
)
def test_correcting_for_two_metrics_withholds_a_borderline_claim(tmp_path, correction, status):
    # Exact McNemar: P(X >= 15 | 20, 1/2) = 0.0207 < 0.025; F1's paired bootstrap p ≈ 0.016.
    # Holm: the smaller p doubled (≈ 0.03) is above 0.025, so neither claim stands.
    check = {"metrics": ["accuracy", "f1"], "mode": "superiority", "correction": correction}
    data = discordant_data(400, both_wrong=30, only_a=15, only_b=5)
    r = run(tmp_path, check, labels("a"), labels("b"), data)
    rows = {m["metric"]: m for m in r.evidence["metrics"].rows}
    assert rows["accuracy"]["p_value"] == pytest.approx(0.0207, abs=1e-4)
    assert rows["f1"]["p_value"] < 0.025
    assert r.status is status, r.message


def test_scores_of_a_champion_with_another_class_order_are_aligned(tmp_path):
    models = {
        "candidate": {"factory": "unused:unused", "classes": [0, 1]},
        "champion": {"factory": "unused:unused", "classes": [1, 0]},
    }
    path = write_gate(
        tmp_path, [{"check": "champion", "metrics": ["roc_auc", "log_loss"], "margin": 0.0}], models
    )
    forward = scorer("a")
    data = two_hints(500, 0.1, 0.1)
    result = run_gate(
        path,
        models={"candidate": forward, "champion": lambda X: forward(X)[:, ::-1]},
        datasets={"evaluation": data},
    )
    (r,) = result.results
    assert all(m["improvement"] == 0.0 for m in r.evidence["metrics"].rows), r.evidence


@pytest.mark.parametrize(
    ("check", "text"),
    [
        ({"metrics": ["accuracy"]}, "needs a 'margin'"),
        ({"metrics": ["accuracy"], "margin": -0.1}, "must be ≥ 0"),
        ({"metrics": ["accuracy", "f1"], "margin": {"accuracy": 0.01}}, "no entry for metric 'f1'"),
        ({"metrics": ["roc_auc"], "margin": 0.1, "test": "mcnemar"}, "McNemar's test compares"),
        ({"metrics": ["f1"], "margin": 0.1, "test": {"f1": "delong"}}, "DeLong's test compares"),
        ({"metrics": ["accuracy"], "margin": 0.1, "correction": "sidak"}, "unknown correction"),
        ({"metrics": ["accuracy"], "margin": 0.1, "champion": "incumbent"}, "no model 'incumbent'"),
        ({"metrics": ["mae"], "margin": 0.1}, "does not apply to a binary task"),
        ({"metrics": [], "margin": 0.1}, "metrics"),
    ],
)
def test_bad_declarations_are_config_errors(tmp_path, check, text):
    path = write_gate(tmp_path, [{"check": "champion", **check}])
    with pytest.raises(ConfigError, match=text) as info:
        open_gate(path)
    assert f"stages.{STAGE}.checks[0]" in str(info.value)


def test_a_single_metric_may_be_given_as_a_string_and_names_the_default_id(tmp_path):
    path = write_gate(tmp_path, [{"check": "champion", "metrics": "accuracy", "margin": 0.01}])
    (planned,) = open_gate(path).checks
    assert planned.params.metrics == ["accuracy"]
    assert planned.check_id == "champion-accuracy"


def test_callable_from_python_with_the_gate_context(tmp_path):
    path = write_gate(tmp_path, [{"check": "champion", "metrics": "accuracy", "margin": 0.01}])
    ctx = GateContext(
        open_gate(path),
        models={"candidate": scorer("a"), "champion": scorer("b")},
        datasets={"evaluation": two_hints(2000, 0.08, 0.16)},
    )
    r = CHAMPION(ctx, metrics=["accuracy", "roc_auc"], mode="superiority")
    assert isinstance(r, CheckResult) and r.status is Status.PASSED
    with pytest.raises(ConfigError, match="needs a 'margin'"):
        CHAMPION(ctx, metrics=["accuracy"])


def test_alias_is_the_check_type():
    assert champion_check is CHAMPION


@pytest.mark.parametrize(("high", "disproved"), [(-0.0101, True), (-0.01, True), (-0.0099, False)])
def test_an_improvement_interval_ending_on_the_boundary_disproves_the_claim(high, disproved):
    """The claim is "improvement > boundary", so an interval that ends on the boundary fails
    it; the reported threshold's inclusive ">=" judgement would call that inconclusive, so
    the failure is judged as "improvement <= boundary" (same verdicts as before)."""
    interval = Interval(-0.05, high, 0.95, "tango")
    assert at_or_below(interval, -0.01) is disproved
    if high == -0.01:
        assert Threshold(">=", -0.01).judge(interval) is Status.INCONCLUSIVE


def test_the_improvement_per_metric_is_drawn_as_bars(tmp_path):
    data = two_hints(1000, 0.08, 0.16)
    check = {"metrics": ["accuracy", "log_loss"], "margin": 0.01, "n_resamples": 200}
    r = run(tmp_path, check, scorer("a"), scorer("b"), data)
    table, bars = r.evidence["metrics"], r.evidence["improvement"]
    assert isinstance(table, Table) and isinstance(bars, Bars)
    assert (bars.over, bars.labels) == ("metric", ("accuracy", "log_loss"))
    assert list(bars.values) == [row["improvement"] for row in table.rows]
    assert [[lo, hi] for lo, hi in zip(bars.low, bars.high, strict=True)] == [
        row["interval"] for row in table.rows
    ]
    assert table.columns[0] == "metric" and table.columns[-1] == "message"
