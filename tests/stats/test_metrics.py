"""Each metric of ``mlgate.stats.metrics`` against ``sklearn.metrics`` as the reference.

Classification metrics take integer codes into ``classes``; the tests encode labels with
``encode_labels`` exactly as the metric-threshold check does. For binary tasks the positive
class is the last of ``classes`` (sklearn's ``pos_label=classes[-1]``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from mlgate.core.task import Task
from mlgate.stats.metrics import METRICS, UndefinedMetricError, encode_labels, get_metric

TOL = 1e-9
LABEL_SETS = {
    "int": [3, 7, 10, 42],  # labels that are not their own codes
    "str": ["ant", "bee", "cat", "dog"],
}
HYPOTHESIS = settings(max_examples=60, deadline=None)


def compute(name: str, y, output, classes) -> float:
    """mlgate's value of metric ``name``: labels are encoded like the check encodes them."""
    metric = get_metric(name)
    codes = encode_labels(y, classes)
    if metric.needs == "labels":
        output = encode_labels(output, classes)
    return metric.compute(codes, np.asarray(output), len(classes))


def sklearn_quiet(fn, *args, **kwargs):
    """Call a sklearn metric with its warnings (ill-defined, classes absent) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@st.composite
def labelled_case(draw, ks=(2, 3, 4), min_size=1, max_size=40):
    """(classes, y_true, y_pred): any class may be missing from truth or predictions."""
    k = draw(st.sampled_from(ks))
    classes = sorted(LABEL_SETS[draw(st.sampled_from(sorted(LABEL_SETS)))][:k])
    n = draw(st.integers(min_size, max_size))
    codes = st.lists(st.integers(0, k - 1), min_size=n, max_size=n)
    pick = np.asarray(classes)  # int or str dtype, as a label column would be
    return classes, pick[draw(codes)], pick[draw(codes)]


# -- label metrics ------------------------------------------------------------------------


@HYPOTHESIS
@given(labelled_case())
def test_accuracy_matches_sklearn(case):
    classes, y, pred = case
    assert compute("accuracy", y, pred, classes) == pytest.approx(
        skm.accuracy_score(y, pred), abs=TOL
    )


@HYPOTHESIS
@given(labelled_case())
def test_balanced_accuracy_matches_sklearn(case):
    # sklearn averages recall over the classes present in y_true, even when predictions
    # contain a class that truth lacks (it warns; the warning is silenced here).
    classes, y, pred = case
    expected = sklearn_quiet(skm.balanced_accuracy_score, y, pred)
    assert compute("balanced_accuracy", y, pred, classes) == pytest.approx(expected, abs=TOL)


@HYPOTHESIS
@given(labelled_case(ks=(2,)))
def test_binary_f1_is_f1_of_the_last_class(case):
    classes, y, pred = case
    expected = sklearn_quiet(
        skm.f1_score, y, pred, pos_label=classes[-1], average="binary", zero_division=0.0
    )
    assert compute("f1", y, pred, classes) == pytest.approx(expected, abs=TOL)


@HYPOTHESIS
@given(labelled_case(ks=(3, 4)))
def test_multiclass_f1_is_sklearn_macro_f1(case):
    classes, y, pred = case
    expected = sklearn_quiet(skm.f1_score, y, pred, average="macro", zero_division=0.0)
    assert compute("f1", y, pred, classes) == pytest.approx(expected, abs=TOL)


def test_balanced_accuracy_ignores_a_predicted_class_absent_from_truth():
    classes = ["ant", "bee", "cat"]
    y = np.array(["ant", "ant", "bee", "bee"])
    pred = np.array(["ant", "cat", "bee", "cat"])
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        expected = skm.balanced_accuracy_score(y, pred)
    assert expected == 0.5  # mean of the recalls of ant and bee, not of three classes
    assert compute("balanced_accuracy", y, pred, classes) == pytest.approx(expected, abs=TOL)


def test_macro_f1_ignores_a_model_class_absent_from_truth_and_predictions():
    # Regression test: a class the model knows but no row has or gets added a 0 to the mean,
    # where sklearn's average="macro" averages over the labels that occur.
    classes = ["ant", "bee", "cat", "dog"]
    y = np.array(["ant", "bee", "ant", "bee", "cat"])
    pred = np.array(["ant", "ant", "ant", "bee", "bee"])
    expected = sklearn_quiet(skm.f1_score, y, pred, average="macro")
    assert compute("f1", y, pred, classes) == pytest.approx(expected, abs=TOL)
    assert expected == pytest.approx((0.8 + 0.5 + 0.0) / 3)


def test_accuracy_does_not_match_two_unknown_labels():
    # Regression test: labels outside ``classes`` all encode to -1, so an unknown true label
    # and a different unknown prediction compared equal and counted as correct.
    classes = ["ant", "bee"]
    y = np.array(["ant", "cow", "bee"])
    pred = np.array(["ant", "elk", "ant"])
    assert compute("accuracy", y, pred, classes) == pytest.approx(1 / 3, abs=TOL)


def test_encode_labels_gives_codes_and_minus_one_for_unknown():
    codes = encode_labels(np.array(["cat", "ant", "emu"]), ["ant", "bee", "cat"])
    assert codes.tolist() == [2, 0, -1]


# -- score metrics ------------------------------------------------------------------------


@st.composite
def binary_scores(draw, max_size=50):
    """(classes, y, scores (n, 2)) with both classes present and scores rounded to one
    decimal, so ties are frequent."""
    classes = sorted(LABEL_SETS[draw(st.sampled_from(sorted(LABEL_SETS)))][:2])
    n = draw(st.integers(2, max_size))
    codes = draw(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda c: 0 < sum(c) < len(c))
    )
    p = np.round(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)), 1)
    y = np.asarray(classes)[codes]
    return classes, y, np.column_stack([1.0 - p, p])


@st.composite
def multiclass_probabilities(draw, max_size=50):
    """(classes, y, probabilities (n, k)) for k = 3 or 4 with every class in y; rows are
    small integer weights normalised to sum to 1, so tied scores are frequent."""
    k = draw(st.sampled_from((3, 4)))
    classes = sorted(LABEL_SETS[draw(st.sampled_from(sorted(LABEL_SETS)))][:k])
    n = draw(st.integers(k, max_size))
    codes = draw(
        st.permutations(range(k)).flatmap(
            lambda head: st.lists(st.integers(0, k - 1), min_size=n - k, max_size=n - k).map(
                lambda tail: list(head) + tail
            )
        )
    )
    w = np.asarray(draw(st.lists(st.integers(1, 3), min_size=n * k, max_size=n * k)), float)
    w = w.reshape(n, k)
    y = np.asarray(classes)[codes]
    return classes, y, w / w.sum(axis=1, keepdims=True)


@HYPOTHESIS
@given(binary_scores())
def test_binary_roc_auc_matches_sklearn_with_ties(case):
    classes, y, scores = case
    expected = skm.roc_auc_score(y == classes[-1], scores[:, 1])
    assert compute("roc_auc", y, scores, classes) == pytest.approx(expected, abs=TOL)


@HYPOTHESIS
@given(multiclass_probabilities())
def test_multiclass_roc_auc_is_sklearn_macro_one_vs_rest(case):
    classes, y, probs = case
    expected = skm.roc_auc_score(y, probs, multi_class="ovr", average="macro", labels=classes)
    assert compute("roc_auc", y, probs, classes) == pytest.approx(expected, abs=TOL)


def test_roc_auc_with_one_class_is_undefined_not_a_number():
    classes = [0, 1]
    y = np.array([1, 1, 1, 1])
    scores = np.column_stack([np.full(4, 0.6), np.full(4, 0.4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reference = skm.roc_auc_score(y, scores[:, 1])
        except ValueError:
            reference = float("nan")
    assert np.isnan(reference)  # sklearn has no value either
    with pytest.raises(UndefinedMetricError, match="both classes"):
        compute("roc_auc", y, scores, classes)


def test_one_vs_rest_roc_auc_with_an_absent_class_is_undefined():
    classes = ["ant", "bee", "cat"]
    y = np.array(["ant", "bee", "ant", "bee"])
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.5, 0.4, 0.1], [0.1, 0.8, 0.1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reference = skm.roc_auc_score(y, probs, multi_class="ovr", labels=classes)
        except ValueError:
            reference = float("nan")
    assert np.isnan(reference)
    with pytest.raises(UndefinedMetricError, match=r"absent"):
        compute("roc_auc", y, probs, classes)


@pytest.mark.parametrize("k", [2, 3, 4], ids=lambda k: f"k={k}")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_loss_matches_sklearn_including_exact_zero_and_one(k, seed):
    rng = np.random.default_rng(seed)
    n = 40
    classes = LABEL_SETS["str"][:k]
    codes = rng.integers(0, k, size=n)
    probs = rng.dirichlet(np.ones(k), size=n)
    # Rows that put probability exactly 1 on the true class, and exactly 0 on it: both are
    # clipped to [eps, 1 - eps] by sklearn, so the loss is finite.
    probs[:5] = np.eye(k)[codes[:5]]
    probs[5:8] = np.eye(k)[(codes[5:8] + 1) % k]
    y = np.asarray(classes)[codes]
    expected = skm.log_loss(y, probs, labels=classes)
    assert np.isfinite(expected)
    assert compute("log_loss", y, probs, classes) == pytest.approx(expected, rel=TOL, abs=TOL)


def test_log_loss_with_only_one_true_class_uses_the_given_classes():
    classes = [0, 1, 2]
    y = np.array([1, 1, 1])
    probs = np.array([[0.2, 0.7, 0.1], [0.0, 1.0, 0.0], [0.5, 0.25, 0.25]])
    expected = skm.log_loss(y, probs, labels=classes)
    assert compute("log_loss", y, probs, classes) == pytest.approx(expected, rel=TOL)


def test_log_loss_of_a_label_without_a_score_column_is_undefined():
    probs = np.array([[0.3, 0.7], [0.9, 0.1]])
    with pytest.raises(UndefinedMetricError):
        compute("log_loss", np.array(["ant", "cow"]), probs, ["ant", "bee"])


# -- regression ---------------------------------------------------------------------------

REFERENCE = {
    "mae": skm.mean_absolute_error,
    "rmse": skm.root_mean_squared_error,
    "r2": skm.r2_score,
}


def _regression_cases():
    rng = np.random.default_rng(11)
    y = rng.normal(3.0, 2.0, size=200)
    yield "gaussian", y, y + rng.normal(0, 0.5, size=200)
    yield "large-scale", 1e6 * y, 1e6 * (y + rng.normal(0, 3.0, size=200))
    ints = rng.integers(0, 4, size=60).astype(float)  # heavy ties in truth and predictions
    yield "tied-integers", ints, rng.integers(0, 4, size=60).astype(float)
    yield "worse-than-mean", y[:30], -y[:30]
    yield "perfect", y[:10], y[:10].copy()
    yield "two-rows", np.array([1.0, 2.0]), np.array([1.5, 1.5])


@pytest.mark.parametrize("name", sorted(REFERENCE))
@pytest.mark.parametrize(
    ("case", "y", "values"), list(_regression_cases()), ids=[c[0] for c in _regression_cases()]
)
def test_regression_metric_matches_sklearn(name, case, y, values):
    expected = REFERENCE[name](y, values)
    got = get_metric(name).compute(y, values, 0)
    assert got == pytest.approx(expected, rel=TOL, abs=TOL)


def test_r2_on_a_constant_target_is_undefined_not_sklearns_substitute():
    y = np.full(5, 2.0)
    values = np.array([2.0, 2.1, 1.9, 2.0, 2.2])
    assert skm.r2_score(y, values) == 0.0  # force_finite: a stand-in, not an R²
    with pytest.raises(UndefinedMetricError, match="constant"):
        get_metric("r2").compute(y, values, 0)


# -- definitions --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["accuracy", "balanced_accuracy", "f1"])
def test_label_metrics_of_no_rows_are_undefined(name):
    empty = np.array([], dtype=int)
    with pytest.raises(UndefinedMetricError):
        get_metric(name).compute(empty, empty, 2)


@pytest.mark.parametrize(
    ("name", "higher", "needs", "tasks"),
    [
        ("accuracy", True, "labels", {Task.BINARY, Task.MULTICLASS}),
        ("balanced_accuracy", True, "labels", {Task.BINARY, Task.MULTICLASS}),
        ("f1", True, "labels", {Task.BINARY, Task.MULTICLASS}),
        ("roc_auc", True, "scores", {Task.BINARY, Task.MULTICLASS}),
        ("log_loss", False, "scores", {Task.BINARY, Task.MULTICLASS}),
        ("mae", False, "values", {Task.REGRESSION}),
        ("rmse", False, "values", {Task.REGRESSION}),
        ("r2", True, "values", {Task.REGRESSION}),
    ],
)
def test_metric_definitions(name, higher, needs, tasks):
    metric = METRICS[name]
    assert (metric.higher_is_better, metric.needs, set(metric.tasks)) == (higher, needs, tasks)


def test_unknown_metric_names_the_known_ones():
    with pytest.raises(KeyError, match="known metrics: accuracy"):
        get_metric("acuracy")
