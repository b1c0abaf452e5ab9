"""Behavioural checks sized by precision (issue 16): at most ``rows`` rows, a seeded stratified
sample reported in the evidence, ``rows: all`` for every row, and honest intervals. The sample
is a stratified bottom-k drawn by folding the data (issue 17; its own properties:
test_bottom_k_sample.py)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from behavior_helpers import CountingModel, proba
from scipy import stats

from mlgate.checks.behavior.checks.common import Target
from mlgate.checks.behavior.checks.invariance import INVARIANCE, InvarianceParams
from mlgate.checks.behavior.checks.perturbation import PERTURBATION, PerturbationParams
from mlgate.checks.behavior.compare import change_compare
from mlgate.checks.behavior.variants import evaluate_variants, resolve_transform, rows_changed
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.task import Task
from mlgate.models.base import Predictions


def group_model(shift: float):
    """P(y=1) = sigmoid(3x + shift·[group == 'b']): the group moves rows near the boundary."""

    def predict(X: pd.DataFrame) -> np.ndarray:
        z = 3 * X["x"].to_numpy() + shift * (X["group"].to_numpy() == "b")
        return proba(1 / (1 + np.exp(-z)))

    return predict


def data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    group = rng.choice(["a", "b"], n)
    return pd.DataFrame({"x": x, "group": group, "y": (x + rng.normal(0, 0.5, n) > 0).astype(int)})


def ctx_for(model, frame: pd.DataFrame, seed: int = 0) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": {"data": frame, "sensitive": ["group"]}},
        task="binary",
        label="y",
        seed=seed,
    )


def regression_ctx(values: np.ndarray) -> GateContext:
    """A regression whose prediction is the feature ``x`` itself."""
    return GateContext.from_objects(
        models={"candidate": lambda X: X["x"].to_numpy(dtype=float)},
        datasets={"evaluation": pd.DataFrame({"x": values, "y": values})},
        task="regression",
        label="y",
    )


def test_regression_strata_are_deciles_of_the_prediction():
    """With at most 4,096 distinct predictions the strata are the exact deciles: a sample of
    400 of 4,000 rows takes 40 rows from each."""
    values = np.random.default_rng(0).normal(size=4_000)
    params = PerturbationParams(columns=["x"], tolerance=0.1, max_flip_rate=0.5, rows=400)
    t = Target.read(regression_ctx(values), params, "perturbation")
    picked = t.original.values
    np.testing.assert_array_equal(picked, values[t.sample.rows])
    deciles = np.quantile(values, np.linspace(0, 1, 11)[1:-1])
    assert np.bincount(np.searchsorted(deciles, picked, side="right")).tolist() == [40] * 10
    assert t.sample.to_dict()["method"].endswith("the predicted value's deciles")


def test_regression_strata_of_many_distinct_predictions_are_near_deciles():
    """Above 4,096 distinct predictions a decile's edge moves to the end of its sketch bucket:
    each of the ten true deciles still holds about a tenth of the sample."""
    values = np.random.default_rng(1).normal(size=50_000)
    params = PerturbationParams(columns=["x"], tolerance=0.1, max_flip_rate=0.5, rows=1_000)
    t = Target.read(regression_ctx(values), params, "perturbation")
    deciles = np.quantile(values, np.linspace(0, 1, 11)[1:-1])
    counts = np.bincount(np.searchsorted(deciles, t.original.values), minlength=10)
    assert len(t.original.values) == 1_000 and np.abs(counts - 100).max() <= 5


def test_invariance_perturbs_at_most_rows_and_says_it_sampled():
    frame = data(5_000)
    model = CountingModel(group_model(1.0))
    result = INVARIANCE(ctx_for(model, frame), max_flip_rate=0.5, rows=1_000)
    assert model.rows == 5_000 + 1_000  # the cached originals once, then the sample only
    sample = result.evidence["sample"]
    assert sample["rows_used"] == 1_000 and sample["rows_total"] == 5_000
    assert sample["sampled"] is True and sample["max_rows"] == 1_000
    assert "stratified" in sample["method"] and result.evidence["rows"] == 1_000
    assert "on a stratified sample of 1,000 of 5,000 rows" in result.message
    assert result.sample_size == 1_000
    assert result.evidence["rows_changed"] == 1_000
    again = INVARIANCE(
        ctx_for(CountingModel(group_model(1.0)), frame), max_flip_rate=0.5, rows=1_000
    )
    assert again.to_dict() == result.to_dict()  # seeded


def test_the_sample_keeps_the_predicted_label_mix():
    frame = data(5_000)
    ctx = ctx_for(group_model(1.0), frame)
    t = Target.read(ctx, InvarianceParams(max_flip_rate=0.5, rows=1_000), "invariance")
    full = np.bincount(ctx.predict().labels)
    # largest remainders: each stratum gets the floor or the ceiling of its quota
    assert np.abs(np.bincount(t.original.labels) - full / 5).max() < 1
    assert len(t.original.labels) == 1_000
    np.testing.assert_array_equal(t.labels(), frame["y"].to_numpy()[t.sample.rows])
    np.testing.assert_array_equal(t.X.index, frame.index[t.sample.rows])


def test_rows_all_and_small_data_use_every_row_unchanged():
    frame = data(800)
    every = INVARIANCE(ctx_for(group_model(1.0), frame), max_flip_rate=0.5, rows="all")
    capped = INVARIANCE(ctx_for(group_model(1.0), frame), max_flip_rate=0.5)
    assert every.evidence["sample"] == {
        "rows_used": 800,
        "rows_total": 800,
        "sampled": False,
        "max_rows": "all",
        "method": "every row",
    }
    assert capped.evidence["sample"]["sampled"] is False
    assert (capped.value, capped.interval) == (every.value, every.interval)
    assert "sample" not in capped.message


def test_perturbation_predicts_every_variant_of_the_sample_in_one_call():
    frame = data(6_000)
    model = CountingModel(group_model(1.0))
    result = PERTURBATION(
        ctx_for(model, frame), max_flip_rate=0.5, rows=2_000, variants=5, columns=["x"]
    )
    assert (model.calls, model.rows) == (2, 6_000 + 2_000 * 5)
    assert result.evidence["model_calls"] == 1 and result.evidence["pairs"] == 10_000
    assert result.evidence["sample"]["rows_used"] == 2_000


def test_noise_scale_comes_from_the_reference_dataset_else_the_rows_perturbed():
    """The transformation's statistics (x's spread) come from the gate's ``reference`` dataset
    when one is declared, else from the rows perturbed; either is at most ``rows`` rows (a
    sample on large data: issue 17, every row would have to be gathered in one place); the
    variants take their spread from it."""
    frame = data(4_000)
    params = PerturbationParams(max_flip_rate=0.5, rows=1_000)
    t = Target.read(ctx_for(group_model(0.0), frame), params, "perturbation")
    assert len(t.X) == 1_000 and t.reference is t.X
    declared = GateContext.from_objects(
        models={"candidate": group_model(0.0)},
        datasets={
            "evaluation": {"data": frame, "sensitive": ["group"]},
            "reference": data(3_000, seed=5),
        },
        task="binary",
        label="y",
    )
    t = Target.read(declared, params, "perturbation")
    reference = declared.dataset("reference").frame
    assert len(t.X) == 1_000 and len(t.reference) == 1_000  # a uniform sample of its 3,000
    assert t.reference["x"].tolist() == reference["x"][t.reference.index].tolist()
    assert list(t.reference.columns) == ["x", "group"]
    every = Target.read(declared, params.model_copy(update={"rows": 3_000}), "perturbation")
    assert every.reference["x"].tolist() == reference["x"].tolist()
    X = pd.DataFrame({"x": np.linspace(-1, 1, 2_000)})
    wide = pd.DataFrame({"x": np.linspace(-30, 30, 2_000)})
    applied = resolve_transform("gaussian_noise", X, columns=["x"])
    original = Predictions(task=Task.REGRESSION, values=X["x"].to_numpy())
    seen = []

    def model(frame: pd.DataFrame) -> Predictions:
        seen.append(frame["x"].to_numpy() - X["x"].to_numpy())
        return Predictions(task=Task.REGRESSION, values=frame["x"].to_numpy())

    class Adapter:
        kind = "callable"
        predict = staticmethod(model)

    evaluate_variants(
        Adapter(),
        X,
        applied,
        original=original,
        compare=change_compare(Task.REGRESSION, 0.0),
        rng=np.random.default_rng(0),
        reference=wide,
    )
    assert seen[0].std() == pytest.approx(0.1 * wide["x"].std(ddof=0), rel=0.1)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ("everything", "rows must be a number of rows to perturb at most"),
        (0, "rows"),
        (10, "rows (10) is below min_samples (30)"),
    ],
)
def test_bad_rows_are_refused_up_front(rows, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        INVARIANCE(ctx_for(group_model(1.0), data(100)), max_flip_rate=0.5, rows=rows)


@pytest.mark.slow
def test_sampled_flip_rate_interval_covers_the_full_data_rate():
    """A direct Monte-Carlo of the interval's coverage: swapping the group flips a fixed set of
    rows, so the flip rate over all 20,000 rows is a known number; over 300 seeds, the 95%
    Wilson interval on a 400-row stratified sample must cover it at about the nominal rate
    (at least 95% minus a one-sided 99% binomial margin for 300 runs)."""
    frame = data(20_000)
    model = group_model(0.8)
    before = model(frame)[:, 1] >= 0.5
    swapped = frame.assign(group=np.where(frame["group"] == "a", "b", "a"))
    truth = float(((model(swapped)[:, 1] >= 0.5) != before).mean())
    assert 0.05 < truth < 0.2
    runs, covered = 300, 0
    for seed in range(runs):
        r = INVARIANCE(
            ctx_for(model, frame, seed=seed), max_flip_rate=0.5, rows=400, shrink=0, max_examples=0
        )
        assert r.evidence["sample"]["rows_used"] == 400
        covered += r.interval.low <= truth <= r.interval.high
    floor = stats.binom.ppf(0.01, runs, 0.95) / runs
    assert covered / runs >= floor


class Loud:
    """A value whose comparison raises: comparing it row by row is the bug being tested."""

    def __eq__(self, other):
        raise AssertionError("an untouched column was compared row by row")

    __hash__ = object.__hash__


def test_rows_changed_skips_untouched_object_columns():
    """Only the columns the transformation assigned are compared; an untouched string (object)
    column shares memory with the original and is skipped (it was compared row by row)."""
    base = pd.DataFrame({"x": np.arange(4.0), "name": np.array([Loud()] * 4, dtype=object)})
    out = base.copy(deep=False)
    out["x"] = base["x"].to_numpy() + np.array([0.0, 1.0, 0.0, 2.0])
    assert rows_changed(base, out).tolist() == [False, True, False, True]
    swapped = base.copy(deep=False)
    swapped["name"] = np.array(["a", "b", "c", "d"], dtype=object)  # a new buffer: compared
    with pytest.raises(AssertionError, match="compared row by row"):
        rows_changed(base, swapped)
