"""The perturbation check on models with known answers: a model that thresholds a noise-level
feature fails, a smooth model passes; metric drops agree with scikit-learn and SciPy."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from behavior_helpers import STAGE, proba, run_check, write_gate
from scipy import stats
from sklearn.metrics import accuracy_score, roc_auc_score

from mlgate.checks.behavior import minimum_functionality_check, perturbation_check
from mlgate.core.errors import ConfigError, EmptyDatasetError
from mlgate.core.gate import open_gate
from mlgate.core.result import Status


def thresholds_noise(X: pd.DataFrame) -> np.ndarray:
    """Predicts from the sign of z, a pure-noise feature dense around its threshold."""
    return (X["z"].to_numpy() > 0).astype(int)


def smooth(X: pd.DataFrame) -> np.ndarray:
    """A smooth score of x, whose rows lie far from the boundary."""
    return proba(1.0 / (1.0 + np.exp(-3.0 * X["x"].to_numpy())))


# Flips are counted per (row, variant) pair by default (issue 15); the noise-thresholding
# model flips about 3.2% of pairs, so the bound that catches it is 2%.
CHECK = {"check": "perturbation", "max_flip_rate": 0.02}


def test_a_model_thresholding_a_noise_feature_fails(tmp_path, bimodal):
    result = run_check(tmp_path, CHECK, thresholds_noise, bimodal)
    assert result.status is Status.FAILED, result.message
    # P(flip) per variant = P(sign(z) ≠ sign(z + 0.1·ε)) = arctan(0.1) / π ≈ 0.0317
    # for z, ε ~ N(0, 1)
    assert 0.025 < result.value < 0.04
    assert result.interval.low > 0.02
    assert (result.metric, result.sample_size, result.check_id) == (
        "flip_rate",
        20_000,  # changed (row, variant) pairs
        "perturbation-gaussian_noise",
    )
    assert result.evidence["flip_rate"]["rows_changed"] == 2000
    ev = result.evidence
    assert ev["model_calls"] == 1 and ev["pairs"] == 20_000
    assert ev["examples"].type == "examples"  # a block the model card never shows
    assert 0 < len(ev["examples"].rows) <= 10
    ex = ev["examples"].rows[0]
    assert ex["prediction"]["original"]["label"] != ex["prediction"]["changed"]["label"]
    assert set(ex["changed"]) <= {"x", "z"} and "z" in ex["changed"]


def test_any_variant_counts_a_row_once_any_of_its_variants_flips(tmp_path, bimodal):
    """The rule before issue 15, kept as an option: the rate grows with the number of variants
    (here ≈ 0.11 for 10 variants against ≈ 0.032 per variant), so the same model fails a 5%
    bound with ``any_variant`` and passes it per variant."""
    check = {**CHECK, "max_flip_rate": 0.05, "shrink": 0}
    anyof = run_check(tmp_path, {**check, "flip": "any_variant"}, thresholds_noise, bimodal)
    assert anyof.status is Status.FAILED, anyof.message
    assert 0.08 < anyof.value < 0.15 and anyof.interval.low > 0.05
    assert anyof.sample_size == 2000 and anyof.interval.method == "wilson"
    assert anyof.evidence["flip_rate"]["counted"] == "any_variant"
    assert "under any of 10 variant(s)" in anyof.method
    per = run_check(tmp_path, check, thresholds_noise, bimodal)
    assert per.status is Status.PASSED, per.message
    assert per.evidence["flip_rate"]["rows_violated"] == round(anyof.value * 2000)


def test_a_smooth_model_passes(tmp_path, bimodal):
    result = run_check(tmp_path, CHECK, smooth, bimodal)
    assert result.status is Status.PASSED, result.message
    assert result.interval.high <= 0.02
    assert result.evidence["examples"].rows == () and result.evidence["minimal"].rows == ()


def test_the_minimal_counterexample_changes_only_the_noise_feature_and_pastes(tmp_path, bimodal):
    result = run_check(tmp_path, CHECK, thresholds_noise, bimodal)
    (cx,) = result.evidence["minimal"].rows
    assert cx["columns"] == ["z"] and list(cx["changed"]) == ["z"]
    assert cx["params"]["scale"] <= 0.1  # shrunk below or at the declared scale
    assert cx["prediction"]["original"] != cx["prediction"]["changed"]
    assert "paste into a minimum_functionality cases file" in result.message
    # The pasted case is a regression test the model fails: its label is the truth.
    cases = yaml.safe_load(cx["paste"])
    mft = minimum_functionality_check(thresholds_noise, task="binary", cases=cases)
    assert mft.status is Status.FAILED


def test_evidence_is_small_and_json(tmp_path, bimodal):
    check = {**CHECK, "max_examples": 3, "shrink": 0}
    result = run_check(tmp_path, check, thresholds_noise, bimodal)
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert len(text) < 8000
    assert len(result.evidence["examples"].rows) == 3


def test_same_seed_same_result_other_seed_other_draws(tmp_path, bimodal):
    a, b = (run_check(tmp_path, CHECK, thresholds_noise, bimodal, seed=3) for _ in range(2))
    c = run_check(tmp_path, {**CHECK, "shrink": 0}, thresholds_noise, bimodal, seed=4)
    assert a.evidence["minimal"].rows  # the shrunk counterexample is reproducible too
    assert a.to_dict() == b.to_dict()
    assert a.value != c.value


def test_the_data_is_not_modified(tmp_path, bimodal):
    before = bimodal.copy()
    run_check(tmp_path, {**CHECK, "shrink": 0}, thresholds_noise, bimodal)
    pd.testing.assert_frame_equal(bimodal, before)


def test_too_few_rows_is_inconclusive_even_without_flips(tmp_path, bimodal):
    result = run_check(tmp_path, CHECK, smooth, bimodal.iloc[:20])
    assert result.status is Status.INCONCLUSIVE
    assert result.value == 0.0 and "min_samples=30" in result.message


def test_accuracy_drop_agrees_with_sklearn_and_a_paired_t_interval(bimodal):
    """Setting x to 0 makes the sign model predict 0 everywhere (deterministic)."""

    def sign(X):
        return (X["x"].to_numpy() > 0.5).astype(int)

    result = perturbation_check(
        sign,
        bimodal,
        task="binary",
        label="y",
        transform="set",
        columns=["x"],
        params={"value": 0.0},
        variants=1,
        metric="accuracy",
        max_metric_drop=0.05,
    )
    y = bimodal["y"].to_numpy()
    before, after = accuracy_score(y, sign(bimodal)), accuracy_score(y, np.zeros_like(y))
    drop = result.evidence["metric_drop"]
    assert (drop["before"], drop["after"]) == pytest.approx((before, after))
    assert result.value == pytest.approx(before - after)
    per_row = (sign(bimodal) == y).astype(float) - (y == 0).astype(float)
    ref = stats.ttest_1samp(per_row, 0.0).confidence_interval(0.95)
    assert (result.interval.low, result.interval.high) == pytest.approx((ref.low, ref.high))
    assert result.metric == "accuracy_drop" and result.status is Status.FAILED


def test_roc_auc_drop_uses_a_bootstrap_around_the_sklearn_value(bimodal):
    rng = np.random.default_rng(5)
    data = bimodal.assign(y=(bimodal["x"] + rng.normal(0, 3.0, len(bimodal)) > 0).astype(int))
    result = perturbation_check(
        smooth,
        data,
        task="binary",
        label="y",
        transform="set",
        columns=["x"],
        params={"value": 0.0},
        variants=2,
        metric="roc_auc",
        max_metric_drop=0.1,
        n_resamples=300,
        shrink=0,
    )
    y = data["y"].to_numpy()
    expected = roc_auc_score(y, smooth(data)[:, 1]) - 0.5  # all scores tie after the change
    assert 0.2 < expected < 0.4
    assert result.value == pytest.approx(expected)
    assert "bootstrap" in result.interval.method
    assert result.interval.low < expected < result.interval.high
    assert result.interval.high - result.interval.low < 0.1
    assert result.status is Status.FAILED


def test_both_bounds_must_pass(bimodal):
    def noisy_sign(X):
        return (X["x"].to_numpy() > 0).astype(int)

    kw = dict(task="binary", label="y", metric="accuracy", shrink=0)
    ok = perturbation_check(noisy_sign, bimodal, max_flip_rate=0.05, max_metric_drop=0.02, **kw)
    assert ok.status is Status.PASSED, ok.message
    strict = perturbation_check(
        noisy_sign, bimodal, max_flip_rate=0.0001, max_metric_drop=0.02, **kw
    )
    assert strict.status is Status.INCONCLUSIVE  # flips: 0 of 2000, upper bound 0.0019
    assert strict.evidence["metric_drop"]["drop"] == pytest.approx(0.0, abs=0.01)


def test_regression_flip_is_a_move_beyond_the_tolerance(bimodal):
    def value(X):
        return 10.0 * X["x"].to_numpy()

    kw = dict(task="regression", columns=["x"], variants=3, shrink=0)
    # noise sd 0.1·σ(x) ≈ 0.2, so the value moves by about 2 on average
    assert perturbation_check(value, bimodal, max_flip_rate=0.05, tolerance=20.0, **kw).status is (
        Status.PASSED
    )
    assert perturbation_check(value, bimodal, max_flip_rate=0.05, tolerance=0.5, **kw).status is (
        Status.FAILED
    )
    with pytest.raises(ConfigError, match="tolerance"):
        perturbation_check(value, bimodal, max_flip_rate=0.05, **kw)


@pytest.mark.parametrize(
    ("check", "task", "message"),
    [
        ({}, "binary", "give at least one of 'max_flip_rate', 'max_metric_drop'"),
        ({"max_metric_drop": 0.1}, "binary", "'metric' and 'max_metric_drop' go together"),
        ({"metric": "mae", "max_metric_drop": 0.1}, "binary", "does not apply to a binary task"),
        ({"max_flip_rate": 0.1}, "regression", "tolerance: a regression value"),
        ({"max_flip_rate": 0.1, "transform": "noise"}, "binary", "transform: unknown transform"),
        ({"max_flip_rate": 0.1, "params": {"scale": 0}}, "binary", "params.scale"),
        ({"max_flip_rate": 0.1, "variants": 0}, "binary", "variants"),
    ],
)
def test_gate_file_mistakes_are_config_errors_with_key_paths(tmp_path, check, task, message):
    path = write_gate(tmp_path, [{"check": "perturbation", **check}], task=task)
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    assert f"stages.{STAGE}.checks[0]" in str(info.value)
    assert message in str(info.value)


def test_without_hypothesis_the_check_still_judges_and_says_what_to_install(
    tmp_path, bimodal, monkeypatch
):
    import mlgate.checks.behavior.counterexamples as cx_module
    from mlgate.core.errors import MissingDependencyError

    def missing(module, *, extra, feature, package=None):
        raise MissingDependencyError(module, extra=extra, feature=feature)

    monkeypatch.setattr(cx_module, "require", missing)
    result = run_check(tmp_path, CHECK, thresholds_noise, bimodal)
    assert result.status is Status.FAILED and result.evidence["examples"].rows
    assert result.evidence["minimal"].rows == ()
    assert "pip install 'mlgate[hypothesis]'" in result.evidence["minimal_note"]
    assert "counterexamples not shrunk" in result.message


def test_empty_data_is_an_error_not_a_pass(bimodal):
    # The context refuses the empty dataset before anything is perturbed (a gate run reports
    # it as inconclusive).
    with pytest.raises(EmptyDatasetError, match="has no rows"):
        perturbation_check(smooth, bimodal.iloc[:0], task="binary", max_flip_rate=0.05)
