"""The metrics added for evaluation statistics (precision / recall / F1 averages, weighted ROC
AUC, average precision, Brier, MAPE, pinball loss) against scikit-learn, to 1e-9, with ties and
absent classes; and where scikit-learn raises or returns a stand-in, an UndefinedMetricError."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

from mlgate.stats.metrics import UndefinedMetricError, encode_labels, get_metric

TOL = 1e-9
HYPOTHESIS = settings(max_examples=40, deadline=None)
CLASSES = {"int": [3, 7, 10, 42], "str": ["ant", "bee", "cat", "dog"]}


def ours(name, y, output, classes):
    metric = get_metric(name)
    codes = encode_labels(y, classes)
    if metric.needs == "labels":
        output = encode_labels(output, classes)
    return metric.compute(codes, np.asarray(output), len(classes))


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@st.composite
def labelled(draw, ks=(2, 3, 4)):
    k = draw(st.sampled_from(ks))
    classes = sorted(CLASSES[draw(st.sampled_from(sorted(CLASSES)))][:k])
    n = draw(st.integers(1, 40))
    codes = st.lists(st.integers(0, k - 1), min_size=n, max_size=n)
    pick = np.asarray(classes)
    return classes, pick[draw(codes)], pick[draw(codes)]


@st.composite
def scored(draw, ks=(2, 3, 4), all_classes=True):
    """(classes, y, probabilities) with small integer weights, so scores tie often."""
    k = draw(st.sampled_from(ks))
    classes = sorted(CLASSES[draw(st.sampled_from(sorted(CLASSES)))][:k])
    n = draw(st.integers(k, 40))
    head = list(draw(st.permutations(range(k)))) if all_classes else []
    tail = draw(st.lists(st.integers(0, k - 1), min_size=n - len(head), max_size=n - len(head)))
    w = np.asarray(draw(st.lists(st.integers(1, 3), min_size=n * k, max_size=n * k)), float)
    w = w.reshape(n, k)
    return classes, np.asarray(classes)[head + tail], w / w.sum(axis=1, keepdims=True)


# -- precision / recall / F1 ----------------------------------------------------------------
SK_SCORE = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}


@pytest.mark.parametrize("score", ["precision", "recall", "f1"])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_averaged_label_scores_match_sklearn(score, average):
    @HYPOTHESIS
    @given(labelled())
    def check(case):
        classes, y, pred = case
        expected = quiet(SK_SCORE[score], y, pred, average=average, zero_division=0.0)
        assert ours(f"{score}_{average}", y, pred, classes) == pytest.approx(expected, abs=TOL)

    check()


@pytest.mark.parametrize("score", ["precision", "recall"])
def test_plain_precision_and_recall_are_the_positive_class_or_macro(score):
    @HYPOTHESIS
    @given(labelled())
    def check(case):
        classes, y, pred = case
        if len(classes) == 2:
            kw = {"average": "binary", "pos_label": classes[-1]}
        else:
            kw = {"average": "macro"}
        expected = quiet(SK_SCORE[score], y, pred, zero_division=0.0, **kw)
        assert ours(score, y, pred, classes) == pytest.approx(expected, abs=TOL)

    check()


# -- ranking --------------------------------------------------------------------------------
def value_or_nan(fn, *args, **kwargs) -> float:
    try:
        return float(quiet(fn, *args, **kwargs))
    except ValueError:
        return float("nan")


@HYPOTHESIS
@given(scored(all_classes=False))
def test_weighted_roc_auc_matches_sklearn_including_absent_classes(case):
    # A class absent from the truth has weight 0 in scikit-learn's weighted average; when the
    # truth has a single class there is no value at all.
    classes, y, probs = case
    if len(classes) == 2:
        expected = value_or_nan(skm.roc_auc_score, y == classes[-1], probs[:, 1])
    else:
        expected = value_or_nan(
            skm.roc_auc_score, y, probs, multi_class="ovr", average="weighted", labels=classes
        )
    if np.isnan(expected):
        with pytest.raises(UndefinedMetricError):
            ours("roc_auc_weighted", y, probs, classes)
    else:
        assert ours("roc_auc_weighted", y, probs, classes) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_average_precision_matches_sklearn(average):
    @HYPOTHESIS
    @given(scored())
    def check(case):
        classes, y, probs = case
        if len(classes) == 2:
            expected = skm.average_precision_score(y == classes[-1], probs[:, 1])
        else:
            onehot = label_binarize(y, classes=classes)
            expected = skm.average_precision_score(onehot, probs, average=average)
        name = "average_precision" + ("" if average == "macro" else "_weighted")
        assert ours(name, y, probs, classes) == pytest.approx(expected, abs=TOL)

    check()


def test_multiclass_average_precision_matches_sklearns_multiclass_input():
    y = np.array([0, 0, 1, 1, 2, 2])
    scores = np.array(
        [[0.7, 0.2, 0.1], [0.4, 0.3, 0.3], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2],
         [0.1, 0.2, 0.7]]
    )  # fmt: skip
    assert skm.average_precision_score(y, scores) == pytest.approx(7 / 9)  # its docstring example
    assert ours("average_precision", y, scores, [0, 1, 2]) == pytest.approx(
        skm.average_precision_score(y, scores), abs=TOL
    )


def test_average_precision_without_positives_is_undefined_not_sklearns_zero():
    y = np.array(["ant", "ant", "ant"])
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])
    with pytest.warns(UserWarning, match="No positive class found"):
        assert skm.average_precision_score(y == "bee", probs[:, 1]) == 0.0  # a stand-in
    with pytest.raises(UndefinedMetricError, match="at least one positive"):
        ours("average_precision", y, probs, ["ant", "bee"])


def test_one_vs_rest_with_an_absent_class_macro_is_undefined_weighted_leaves_it_out():
    classes = ["ant", "bee", "cat"]
    y = np.array(["ant", "bee", "ant", "bee"])
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.5, 0.4, 0.1], [0.1, 0.8, 0.1]])
    weighted = quiet(
        skm.roc_auc_score, y, probs, multi_class="ovr", average="weighted", labels=classes
    )
    assert weighted == 1.0  # 'cat' (no rows) has weight 0
    assert ours("roc_auc_weighted", y, probs, classes) == pytest.approx(weighted, abs=TOL)
    with pytest.raises(UndefinedMetricError, match=r"class codes \[2\] absent"):
        ours("roc_auc", y, probs, classes)


# -- probabilistic losses -------------------------------------------------------------------
@HYPOTHESIS
@given(scored(all_classes=False))
def test_brier_matches_sklearn(case):
    classes, y, probs = case
    if len(classes) == 2:
        expected = skm.brier_score_loss(y == classes[-1], probs[:, 1])
    else:
        expected = skm.brier_score_loss(y, probs, labels=classes)
    assert ours("brier", y, probs, classes) == pytest.approx(expected, abs=TOL)


def test_brier_of_a_label_without_a_score_column_is_undefined():
    with pytest.raises(UndefinedMetricError):
        ours("brier", np.array(["ant", "cow"]), np.array([[0.3, 0.7], [0.9, 0.1]]), ["ant", "bee"])


# -- regression -----------------------------------------------------------------------------
def _regression_cases():
    rng = np.random.default_rng(5)
    y = rng.normal(3.0, 2.0, 200)
    yield "gaussian", y, y + rng.normal(0, 0.5, 200)
    yield "with-zeros", np.array([0.0, 1.0, -2.0, 0.0, 4.0]), np.array([0.5, 1.0, -1.0, 0.0, 3.0])
    ints = rng.integers(-2, 3, 60).astype(float)
    yield "tied-integers", ints, rng.integers(-2, 3, 60).astype(float)
    yield "large-scale", 1e6 * y, 1e6 * y + rng.normal(0, 1e5, 200)


CASES = list(_regression_cases())


@pytest.mark.parametrize(("case", "y", "values"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("mape", skm.mean_absolute_percentage_error),
        ("pinball_loss", lambda y, v: skm.mean_pinball_loss(y, v, alpha=0.5)),
        ("pinball_loss_0.9", lambda y, v: skm.mean_pinball_loss(y, v, alpha=0.9)),
        ("pinball_loss_0.05", lambda y, v: skm.mean_pinball_loss(y, v, alpha=0.05)),
    ],
)
def test_regression_losses_match_sklearn(case, y, values, name, reference):
    assert get_metric(name).compute(y, values, 0) == pytest.approx(
        reference(y, values), rel=TOL, abs=TOL
    )


@pytest.mark.parametrize("name", ["pinball_loss_1.5", "pinball_loss_0", "pinball_loss_x"])
def test_pinball_loss_needs_a_quantile_in_zero_one(name):
    with pytest.raises(KeyError, match="pinball_loss_<alpha>"):
        get_metric(name)
