"""parity: an exact copy passes, a planted slice-specific degradation is caught where it is,
the intervals are the shared ones, and a variant that does not match its original is a clear
error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.serving.parity import PARITY
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status

N_A, N_B, N_C = 600, 200, 60


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    group = np.array(["a"] * N_A + ["b"] * N_B + ["c"] * N_C)
    x = rng.normal(size=len(group))
    y = (x + 0.5 * rng.normal(size=len(group)) > 0).astype(int)
    return pd.DataFrame({"x": x, "group": group, "y": y})


class Model:
    """P(y = 1) = sigmoid(3x); ``flip`` of the rows of group ``group`` get the other label
    (their probabilities mirrored), ``noise`` moves every probability a little."""

    def __init__(self, flip: float = 0.0, group: str = "b", noise: float = 0.0) -> None:
        self.flip, self.group, self.noise = flip, group, noise
        self.classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-3 * np.asarray(X["x"], dtype=float)))
        p = np.clip(p + self.noise * np.sin(np.arange(len(p))), 0, 1)
        rows = np.flatnonzero(np.asarray(X["group"]) == self.group)
        flipped = rows[: round(self.flip * len(rows))]
        p[flipped] = 1 - p[flipped]
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def make_ctx(variant, *, original=None, slices=("group",), task="binary", data=None):
    return GateContext.from_objects(
        models={"candidate": original or Model(), "candidate_int8": variant},
        datasets={
            "evaluation": {"data": frame() if data is None else data, "slices": list(slices)}
        },
        task=task,
        label="y",
    )


BOUNDS = {
    "min_agreement": 0.95,
    "max_abs_diff": 0.05,
    "max_mean_abs_diff": 0.01,
    "max_metric_drop": 0.02,
    "slice_min_agreement": 0.9,
    "slice_max_metric_drop": 0.1,
    "min_slice_rows": 5,
}


def test_an_exact_copy_passes_everywhere():
    r = PARITY(make_ctx(Model()), variant="candidate_int8", **BOUNDS)
    assert r.status is Status.PASSED, r.message
    summary = {row["quantity"]: row for row in r.evidence["summary"].rows}
    assert summary["label agreement"]["value"] == 1.0
    assert summary["max |Δ score|"]["value"] == 0.0
    assert (summary["accuracy change"]["low"], summary["accuracy change"]["high"]) == (0.0, 0.0)
    assert [row["slice"] for row in r.evidence["per_slice"].rows] == [
        "group=a",
        "group=b",
        "group=c",
    ]
    assert r.evidence["agreement_per_slice"].over == "slice"
    assert r.evidence["metric_change_per_slice"].values == (0.0, 0.0, 0.0)
    assert r.check_id == "parity-candidate_int8"


def test_a_planted_degradation_of_one_slice_is_caught_in_that_slice():
    r = PARITY(make_ctx(Model(flip=0.4, group="b")), variant="candidate_int8", **BOUNDS)
    assert r.status is Status.FAILED
    per_slice = {row["slice"]: row for row in r.evidence["per_slice"].rows}
    assert per_slice["group=b"]["status"] == "failed"
    assert per_slice["group=a"]["status"] == "passed"
    assert per_slice["group=b"]["agreement"] == pytest.approx(0.6)
    assert per_slice["group=b"]["change_high"] < 0  # the variant is surely worse there
    assert r.message.startswith("label agreement >= 0.95: 'candidate_int8' vs 'candidate': 780")


def test_a_degradation_only_the_slices_show_fails_on_the_slice():
    """Two of 200 rows of b flipped: the overall agreement (858 of 860) passes 0.95, the
    slice's own bound does not."""
    bounds = {"min_agreement": 0.95, "slice_min_agreement": 0.999}
    r = PARITY(make_ctx(Model(flip=0.01, group="b")), variant="candidate_int8", **bounds)
    summary = {row["quantity"]: row for row in r.evidence["summary"].rows}
    assert summary["label agreement"]["status"] == "passed"
    assert r.status is Status.FAILED
    assert "slice group=b: agreement" in r.message


def test_agreement_interval_is_scipys_wilson_interval():
    r = PARITY(make_ctx(Model(flip=0.4, group="b")), variant="candidate_int8", min_agreement=0.5)
    agree = N_A + N_C + N_B - 80
    ref = stats.binomtest(agree, N_A + N_B + N_C).proportion_ci(0.95, method="wilson")
    assert r.value == pytest.approx(agree / (N_A + N_B + N_C))
    assert (r.interval.low, r.interval.high) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_the_bootstrap_is_seeded_by_the_gate():
    one = PARITY(make_ctx(Model(noise=0.02)), variant="candidate_int8", **BOUNDS).to_dict()
    two = PARITY(make_ctx(Model(noise=0.02)), variant="candidate_int8", **BOUNDS).to_dict()
    assert one == two
    mean = next(r for r in one["evidence"]["summary"]["rows"] if r["quantity"] == "mean |Δ score|")
    assert mean["low"] < mean["value"] < mean["high"]


def test_a_slice_too_small_to_judge_is_inconclusive():
    r = PARITY(make_ctx(Model()), variant="candidate_int8", **{**BOUNDS, "min_slice_rows": 100})
    assert r.status is Status.INCONCLUSIVE
    assert "slice group=c" in r.message and "only 60 rows (min_slice_rows=100)" in r.message


def test_slices_named_in_the_check_replace_the_dataset_s():
    r = PARITY(make_ctx(Model(), slices=()), variant="candidate_int8", min_agreement=0.9)
    assert "per_slice" not in r.evidence and "none declared" in r.evidence["slices"]
    with pytest.raises(Exception, match="slice column 'region' is not in the dataset"):
        PARITY(make_ctx(Model()), variant="candidate_int8", min_agreement=0.9, slices=["region"])


class Relabelled(Model):
    def __init__(self, classes) -> None:
        super().__init__()
        self.classes_ = np.array(classes)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.mark.parametrize(
    ("classes", "match"),
    [
        ([1, 0], "orders the same classes differently"),
        (["no", "yes"], "has other classes"),
    ],
)
def test_a_variant_with_other_classes_is_an_error_naming_it(classes, match):
    with pytest.raises(ConfigError, match=rf"variant: variant 'candidate_int8' {match}"):
        PARITY(make_ctx(Relabelled(classes)), variant="candidate_int8", min_agreement=0.9)


def test_declared_classes_that_differ_are_refused_before_anything_runs():
    from mlgate.config.load import parse_gate
    from mlgate.core.registry import parse_params

    config = parse_gate(
        {
            "name": "g",
            "task": "binary",
            "models": {
                "candidate": {"factory": "m:a", "classes": [0, 1]},
                "candidate_int8": {"factory": "m:b", "classes": [1, 0]},
            },
            "datasets": {"evaluation": {"path": "e.csv", "label": "y"}},
            "stages": {"s": {"checks": [{"check": "python"}]}},
        },
        source="test",
    )
    with pytest.raises(ConfigError, match=r"variant: models.candidate_int8.classes \[1, 0\]"):
        parse_params(PARITY, config, {"variant": "candidate_int8", "min_agreement": 0.9})


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"min_agreement": 0.9}, "variant: required key is missing"),
        ({"variant": "candidate_int8"}, "give at least one bound"),
        ({"variant": "onnx", "min_agreement": 0.9}, r"variant: no model 'onnx'; declared"),
        ({"variant": "candidate", "min_agreement": 0.9}, "variant: the variant is the model"),
        ({"variant": "candidate_int8", "min_agreement": 1.5}, "less than or equal to 1"),
        ({"variant": "candidate_int8", "max_metric_drop": -0.1}, "greater than or equal to 0"),
        ({"variant": "candidate_int8", "max_metric_drop": 0.1, "metric": "r2"}, "does not apply"),
        ({"variant": "candidate_int8", "min_agreement": 0.9, "n_resamples": 10**7}, "100000"),
    ],
)
def test_bad_parameters_are_config_errors_naming_the_key(params, match):
    with pytest.raises(ConfigError, match=match):
        PARITY(make_ctx(Model()), **params)


def test_score_bounds_need_scores_from_both_models():
    labels_only = lambda X: (np.asarray(X["x"]) > 0).astype(int)  # noqa: E731
    with pytest.raises(ConfigError, match="max_abs_diff: model 'candidate_int8' gives labels"):
        PARITY(make_ctx(labels_only), variant="candidate_int8", max_abs_diff=0.1)
    r = PARITY(make_ctx(labels_only), variant="candidate_int8", min_agreement=0.9)
    assert r.status is Status.PASSED


def test_regression_parity_compares_values():
    data = frame().assign(y=lambda d: 2 * d["x"])
    original = lambda X: 2 * np.asarray(X["x"])  # noqa: E731
    variant = lambda X: 2 * np.asarray(X["x"]) + 0.01  # noqa: E731
    ctx = make_ctx(variant, original=original, task="regression", data=data)
    r = PARITY(ctx, variant="candidate_int8", max_abs_diff=0.02, max_metric_drop=0.02)
    assert r.status is Status.PASSED, r.message
    summary = {row["quantity"]: row for row in r.evidence["summary"].rows}
    assert summary["max |Δ score|"]["value"] == pytest.approx(0.01)
    assert summary["mae change"]["value"] == pytest.approx(-0.01)
    with pytest.raises(ConfigError, match="min_agreement: label agreement needs a classification"):
        PARITY(ctx, variant="candidate_int8", min_agreement=0.9)
