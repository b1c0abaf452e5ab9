"""The ``baseline`` check on data with known verdicts, run in-process with ``run_gate``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.checks.performance.baseline import BASELINE, BaselineParams, _judge, baseline_check
from mlgate.core.context import GateContext
from mlgate.core.decision import Verdict
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Bars, Table
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult, Interval, Status
from mlgate.core.runner import run_gate
from mlgate.stats.evaluate import Comparison

STAGE = "ci"


def write_gate(folder: Path, checks: list[dict], task: str = "binary", **models) -> Path:
    config = {
        "name": "baselines",
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}, **models},
        "datasets": {"evaluation": {"factory": "unused:unused", "label": "y"}},
        "stages": {STAGE: {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run(tmp_path, check: dict, model, data, task="binary", **extra) -> CheckResult:
    models = {name: {"factory": "unused:unused"} for name in extra}
    path = write_gate(tmp_path, [{"check": "baseline", **check}], task, **models)
    result = run_gate(path, models={"candidate": model, **extra}, datasets={"evaluation": data})
    (r,) = result.results
    return r


def imbalanced(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """80% negatives; ``hint`` is the label flipped on 10% of rows."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    hint = np.where(rng.random(n) < 0.9, y, 1 - y)
    return pd.DataFrame({"hint": hint, "noise": rng.random(n), "y": y})


def from_hint(X: pd.DataFrame) -> np.ndarray:
    p = np.where(X["hint"].to_numpy() == 1, 0.85, 0.1)
    return np.column_stack([1 - p, p])


def coin(X: pd.DataFrame) -> np.ndarray:
    """A candidate that guesses: P(positive) = 0.5 + noise, about half the rows positive."""
    p = 0.3 + 0.4 * X["noise"].to_numpy()
    return np.column_stack([1 - p, p])


def test_a_candidate_that_loses_to_zero_rule_is_held(tmp_path):
    data = imbalanced()
    path = write_gate(tmp_path, [{"check": "baseline", "metric": "accuracy"}])
    result = run_gate(path, models={"candidate": coin}, datasets={"evaluation": data})
    (r,) = result.results
    assert r.status is Status.FAILED, r.message
    rows = {b["baseline"]: b for b in r.evidence["baselines"].rows}
    assert rows["zero_rule"]["status"] == "failed"
    assert rows["zero_rule"]["value"] == pytest.approx((data["y"] == 0).mean())
    assert rows["zero_rule"]["interval"][1] < 0  # clearly worse than always saying "negative"
    assert result.decisions[0].verdict is Verdict.HOLD


def test_a_good_candidate_beats_random_prior_and_zero_rule_by_the_margin(tmp_path):
    r = run(tmp_path, {"metric": "accuracy", "margin": 0.05}, from_hint, imbalanced())
    assert r.status is Status.PASSED, r.message
    names = [b["baseline"] for b in r.evidence["baselines"].rows]
    assert names == ["uniform", "prior", "zero_rule"]
    for row in r.evidence["baselines"].rows:
        assert row["interval"][0] > 0.05 and row["status"] == "passed"
    assert r.value == pytest.approx(min(b["improvement"] for b in r.evidence["baselines"].rows))
    assert (r.threshold.op, r.threshold.bound) == (">=", 0.05)
    assert r.evidence["fit_on"] == "evaluation"  # no reference dataset declared


def test_roc_auc_of_prior_scores_is_one_half(tmp_path):
    r = run(tmp_path, {"metric": "roc_auc", "against": ["prior"]}, from_hint, imbalanced())
    (row,) = r.evidence["baselines"].rows
    assert row["value"] == 0.5  # constant scores: every pair tied
    assert r.status is Status.PASSED


def test_log_loss_improvement_is_positive_when_the_candidate_is_better(tmp_path):
    r = run(tmp_path, {"metric": "log_loss", "against": ["zero_rule"]}, from_hint, imbalanced())
    (row,) = r.evidence["baselines"].rows
    assert row["candidate"] < row["value"]  # lower loss
    assert row["improvement"] == pytest.approx(row["value"] - row["candidate"], abs=1e-5)
    assert r.status is Status.PASSED


def test_a_rule_identical_to_the_candidate_is_not_beaten(tmp_path):
    rule = {"feature": "hint", "threshold": 0.5}
    r = run(tmp_path, {"metric": "accuracy", "against": [rule]}, from_hint, imbalanced())
    (row,) = r.evidence["baselines"].rows
    assert row["baseline"] == "rule:hint>=0.5"
    assert row["improvement"] == 0.0 and row["interval"] == [0.0, 0.0]
    assert r.status is Status.FAILED


def test_an_existing_model_and_a_callable_heuristic(tmp_path):
    module = "heuristic_" + tmp_path.name.replace("-", "_")
    (tmp_path / f"{module}.py").write_text(
        "import numpy as np\n\ndef guess(X):\n    return np.zeros(len(X), dtype=int)\n"
    )
    against = [{"model": "champion"}, {"callable": f"{module}:guess", "name": "all-negative"}]
    r = run(
        tmp_path,
        {"metric": "balanced_accuracy", "against": against},
        from_hint,
        imbalanced(),
        champion=coin,
    )
    rows = {b["baseline"]: b for b in r.evidence["baselines"].rows}
    assert set(rows) == {"model:champion", "all-negative"}
    assert rows["all-negative"]["value"] == 0.5  # recall 1 on negatives, 0 on positives
    assert r.status is Status.PASSED, r.message


def test_regression_baselines_fitted_on_the_reference_dataset(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=600)
    frame = pd.DataFrame({"x": x, "y": 3 * x + rng.normal(0, 0.5, 600)})
    config = {
        "name": "reg",
        "task": "regression",
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {
            "evaluation": {"factory": "unused:unused", "label": "y"},
            "reference": {"factory": "unused:unused", "label": "y"},
        },
        "stages": {
            STAGE: {
                "checks": [
                    {
                        "check": "baseline",
                        "metric": "mae",
                        "margin": 0.5,
                        "against": ["uniform", "prior", "mean", "median", {"feature": "x"}],
                    }
                ]
            }
        },
    }
    path = tmp_path / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_gate(
        path,
        models={"candidate": lambda X: 3 * X["x"].to_numpy()},
        datasets={"evaluation": frame.iloc[:300], "reference": frame.iloc[300:]},
    )
    (r,) = result.results
    rows = {b["baseline"]: b for b in r.evidence["baselines"].rows}
    assert r.evidence["fit_on"] == "reference"
    assert rows["rule:x"]["value"] == pytest.approx(0.4, abs=0.1)  # a fitted line: nearly as good
    assert rows["rule:x"]["status"] == "failed"  # the candidate does not beat it by 0.5
    assert all(rows[b]["status"] == "passed" for b in ("uniform", "prior", "mean", "median"))
    assert r.status is Status.FAILED


def test_too_few_rows_is_inconclusive(tmp_path):
    r = run(tmp_path, {"metric": "accuracy"}, from_hint, imbalanced(20))
    assert r.status is Status.INCONCLUSIVE
    assert "min_samples=30" in r.message


def test_same_seed_same_evidence(tmp_path):
    a, b = (run(tmp_path, {"metric": "f1"}, from_hint, imbalanced()) for _ in range(2))
    assert a.evidence == b.evidence


@pytest.mark.parametrize(
    ("check", "task", "text"),
    [
        ({"metric": "accuracy", "against": ["mean"]}, "binary", "unknown baseline 'mean'"),
        ({"metric": "mae", "against": ["majority"]}, "regression", "unknown baseline 'majority'"),
        ({"metric": "mae", "against": [{"feature": "x", "threshold": 1}]}, "regression",
         "drop 'threshold'"),
        ({"metric": "accuracy", "against": [{"feature": "x"}]}, "binary", "needs a 'threshold'"),
        ({"metric": "accuracy", "against": [{"feature": "x", "threshold": 0}]}, "multiclass",
         "'above' and 'below'"),
        ({"metric": "accuracy", "against": [{"model": "champion"}]}, "binary", "no model"),
        ({"metric": "accuracy", "against": [{"modle": "champion"}]}, "binary", "against"),
        ({"metric": "mae"}, "binary", "does not apply to a binary task"),
    ],
)  # fmt: skip
def test_bad_declarations_are_config_errors_naming_the_key(tmp_path, check, task, text):
    path = write_gate(tmp_path, [{"check": "baseline", **check}], task)
    with pytest.raises(ConfigError, match=text) as info:
        open_gate(path)
    assert f"stages.{STAGE}.checks[0]" in str(info.value)


def test_callable_from_python_with_the_gate_context(tmp_path):
    path = write_gate(tmp_path, [{"check": "baseline", "metric": "accuracy"}])
    ctx = GateContext(
        open_gate(path), models={"candidate": from_hint}, datasets={"evaluation": imbalanced()}
    )
    r = BASELINE(ctx, metric="accuracy", against=["zero_rule"], margin=0.02)
    assert isinstance(r, CheckResult) and r.status is Status.PASSED
    with pytest.raises(ConfigError, match="margn: unknown key"):
        BASELINE(ctx, metric="accuracy", margn=0.02)


def test_alias_is_the_check_type():
    assert baseline_check is BASELINE


def comparison(low: float, high: float) -> Comparison:
    return Comparison(
        metric="accuracy",
        candidate=0.9,
        reference=0.8,
        improvement=(low + high) / 2,
        boundary=0.05,
        interval=Interval(low, high, 0.95, "bootstrap-percentile"),
        se=None,
        p_value=None,
        test="paired bootstrap",
        n=100,
    )


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [
        (0.0501, 0.2, Status.PASSED),
        (0.05, 0.2, Status.INCONCLUSIVE),  # the kernel's inclusive ">= 0.05" would pass it
        (0.0, 0.0501, Status.INCONCLUSIVE),
        (0.0, 0.05, Status.FAILED),  # ... and leave this one undecided
        (0.05, 0.05, Status.FAILED),
    ],
)
def test_a_baseline_is_beaten_only_by_more_than_the_margin(low, high, status):
    """On the margin itself the baseline is not beaten: the check judges "improvement <=
    margin" with Threshold.judge and turns the verdict round (same verdicts as before the
    kernel contract)."""
    p = BaselineParams(metric="accuracy", margin=0.05)
    assert _judge(comparison(low, high), p, n=100)[0] is status


def test_the_improvement_over_each_baseline_is_drawn_as_bars(tmp_path):
    r = run(tmp_path, {"metric": "accuracy", "margin": 0.05}, from_hint, imbalanced())
    table, bars = r.evidence["baselines"], r.evidence["improvement"]
    assert isinstance(table, Table) and isinstance(bars, Bars)
    assert (bars.over, bars.labels) == ("baseline", ("uniform", "prior", "zero_rule"))
    assert list(bars.values) == [row["improvement"] for row in table.rows]
    assert [[lo, hi] for lo, hi in zip(bars.low, bars.high, strict=True)] == [
        row["interval"] for row in table.rows
    ]
