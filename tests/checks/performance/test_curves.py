"""The ROC curve, the precision–recall curve and the confusion matrix that binary metric checks
show, checked against scikit-learn (``roc_curve``, ``precision_recall_curve``,
``confusion_matrix``, ``roc_auc_score``, ``average_precision_score``), and in a gate run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from mlgate.checks.performance import curves
from mlgate.checks.performance.metric_threshold import METRIC_THRESHOLD
from mlgate.core.context import GateContext
from mlgate.core.evidence import Curve, Matrix, block_from_dict
from mlgate.core.task import Task
from mlgate.models import Predictions
from mlgate.stats.metrics import get_metric


def scored(n: int, seed: int = 0, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    s = 1 / (1 + np.exp(-(1.2 * y - 0.6 + rng.normal(size=n))))
    return y, np.round(s, 2) if ties else s


@pytest.mark.parametrize("ties", [False, True])
def test_roc_points_are_scikit_learns(ties):
    y, s = scored(300, ties=ties)
    fpr, tpr = curves.roc_points(y == 1, s)
    ref_fpr, ref_tpr, _ = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)
    keep = curves.roc_corners(*curves._roc_counts(y == 1, s))
    ref_fpr, ref_tpr, _ = roc_curve(y, s, drop_intermediate=True)
    np.testing.assert_allclose(fpr[keep], ref_fpr)
    np.testing.assert_allclose(tpr[keep], ref_tpr)


@pytest.mark.parametrize("ties", [False, True])
def test_pr_points_are_scikit_learns(ties):
    y, s = scored(300, seed=1, ties=ties)
    recall, precision = curves.pr_points(y == 1, s)
    ref_p, ref_r, _ = precision_recall_curve(y, s)
    # scikit-learn orders by increasing threshold and appends (recall 0, precision 1)
    np.testing.assert_allclose(recall, ref_r[:-1][::-1])
    np.testing.assert_allclose(precision, ref_p[:-1][::-1])


def test_titles_give_the_areas_scikit_learn_gives():
    y, s = scored(500, seed=2)
    roc = curves.roc_block(y == 1, s)
    pr = curves.pr_block(y == 1, s, None)
    assert roc.title == f"ROC curve (area {roc_auc_score(y, s):.4g})"
    assert (
        pr.title
        == f"precision–recall curve (average precision {average_precision_score(y, s):.4g})"
    )


def test_a_long_curve_is_thinned_to_the_limit_with_its_ends():
    y, s = scored(20_000, seed=3)
    roc = curves.roc_block(y == 1, s)
    pr = curves.pr_block(y == 1, s, None)
    assert len(roc.x) <= curves.MAX_POINTS and len(pr.x) <= curves.MAX_POINTS
    assert len(roc.x) > curves.MAX_POINTS - 5  # not thinned far below the limit
    assert (roc.x[0], roc.y[0], roc.x[-1], roc.y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert list(roc.x) == sorted(roc.x) and list(pr.x) == sorted(pr.x)
    ref_fpr, ref_tpr, _ = roc_curve(y, s)
    # every point kept is a point of scikit-learn's curve
    ref = {(round(a, 6), round(b, 6)) for a, b in zip(ref_fpr, ref_tpr, strict=True)}
    assert set(zip(roc.x, roc.y, strict=True)) <= ref
    assert len(ref) > curves.MAX_POINTS  # there was something to thin
    assert curves.roc_block(y == 1, s) == roc  # deterministic


def test_thin_keeps_required_points_and_the_limit():
    for n in (201, 250, 1000, 12_345):
        idx = curves.thin(n, keep=(137,))
        assert len(idx) <= curves.MAX_POINTS
        assert {0, n - 1, 137} <= set(idx.tolist())
        assert list(idx) == sorted(set(idx.tolist()))
    assert curves.thin(10).tolist() == list(range(10))


def test_the_operating_point_is_on_the_thinned_pr_curve():
    y, s = scored(20_000, seed=4)
    labels = (s > 0.5).astype(int)
    pr = curves.pr_block(y == 1, s, labels)
    tp = int(((labels == 1) & (y == 1)).sum())
    recall, precision = tp / int((y == 1).sum()), tp / int((labels == 1).sum())
    assert (round(recall, 6), round(precision, 6)) in set(zip(pr.x, pr.y, strict=True))


def test_labels_that_are_not_thresholded_scores_add_no_point():
    y, s = scored(200, seed=5)
    labels = np.random.default_rng(0).integers(0, 2, size=200)
    assert curves._operating_index(s, labels, np.unique(s)[::-1]) is None
    assert curves.pr_block(y == 1, s, labels) == curves.pr_block(y == 1, s, None)


def test_confusion_matrix_is_scikit_learns_in_class_order():
    rng = np.random.default_rng(6)
    y = rng.choice(["no", "yes"], size=400)
    pred = np.where(rng.random(400) < 0.8, y, np.where(y == "yes", "no", "yes"))
    preds = Predictions(Task.BINARY, labels=pred, classes=("no", "yes"))
    out = curves.binary_plots(get_metric("accuracy"), y, preds, Task.BINARY)
    assert set(out) == {"confusion_matrix"}
    m = out["confusion_matrix"]
    assert m.labels == ("no", "yes")
    assert np.array_equal(np.array(m.counts), confusion_matrix(y, pred, labels=["no", "yes"]))


def test_each_metric_shows_the_plot_of_what_it_measures():
    y, s = scored(300, seed=7)
    preds = Predictions(
        Task.BINARY, labels=(s > 0.5).astype(int), scores=np.c_[1 - s, s], classes=(0, 1)
    )

    def shown(metric):
        return set(curves.binary_plots(get_metric(metric), y, preds, Task.BINARY))

    assert shown("roc_auc") == {"roc_curve"}
    assert shown("average_precision") == {"pr_curve"}
    assert shown("recall") == {"pr_curve", "confusion_matrix"}
    assert shown("f1") == {"confusion_matrix"}
    assert shown("log_loss") == set()
    assert curves.binary_plots(get_metric("accuracy"), y, preds, Task.MULTICLASS) == {}
    labels_only = Predictions(Task.BINARY, labels=(s > 0.5).astype(int), classes=(0, 1))
    assert set(curves.binary_plots(get_metric("precision"), y, labels_only, Task.BINARY)) == {
        "confusion_matrix"
    }


def test_matrix_round_trips_through_json_and_refuses_a_ragged_grid():
    m = Matrix(labels=("a", "b"), counts=((3, 1), (2, 4)), title="confusion matrix")
    back = block_from_dict(json.loads(json.dumps(m.to_dict())))
    assert back == m and m.to_dict()["type"] == "matrix"
    table = m.as_table()
    assert table.columns == ("actual \\ predicted", "a", "b")
    assert table.rows[1] == {"actual \\ predicted": "b", "a": 2, "b": 4}
    with pytest.raises(ValueError, match="2 rows of 2"):
        Matrix(labels=("a", "b"), counts=((1, 2), (3,)))
    # class names that read the same become distinct columns
    assert Matrix(labels=(1, "1"), counts=((1, 0), (0, 1))).as_table().columns[1:] == ("1", "1 (2)")


def test_metric_threshold_evidence_has_the_plots_and_stays_small():
    rng = np.random.default_rng(8)
    n = 50_000
    y = rng.integers(0, 2, size=n)
    x = y + rng.normal(scale=1.5, size=n)
    frame = pd.DataFrame({"x": x, "y": y})

    model = LogisticRegression().fit(frame[["x"]], y)
    ctx = GateContext.from_objects(
        models={"candidate": model}, datasets={"evaluation": frame}, task="binary", label="y"
    )
    auc = METRIC_THRESHOLD(ctx, metric="roc_auc", min=0.7, n_resamples=50)
    rec = METRIC_THRESHOLD(ctx, metric="recall", min=0.5, n_resamples=50)
    roc = auc.evidence["roc_curve"]
    assert isinstance(roc, Curve) and len(roc.x) <= curves.MAX_POINTS
    score = model.predict_proba(frame[["x"]])[:, 1]
    assert roc.title == f"ROC curve (area {roc_auc_score(y, score):.4g})"
    assert isinstance(rec.evidence["confusion_matrix"], Matrix)
    # the judged recall is a point of the curve: the report draws the bound through it
    assert any(abs(x - rec.value) < 1e-6 for x in rec.evidence["pr_curve"].x)
    size = len(json.dumps(auc.to_dict())) + len(json.dumps(rec.to_dict()))
    assert size < 30_000  # bounded whatever the row count
