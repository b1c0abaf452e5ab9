"""Metric definitions: what each metric needs from a model, which way is better, its mergeable
accumulator (:mod:`mlgate.stats.accumulators`) and its resampling statistic
(:mod:`mlgate.stats.cells`). Each agrees with scikit-learn to 1e-9 (tests/stats).

Classification metrics work on *encoded* inputs, so a bootstrap encodes labels once:
``y`` and predicted labels are integer codes into ``classes`` (``-1`` for a label the model
does not know), scores are an (n, k) array whose columns follow ``classes``. For a binary task
the positive class is the last one (code 1).

A metric that is undefined on the data it is given (ROC AUC with one class, R² on a
constant target, average precision without positives) raises :class:`UndefinedMetricError`;
checks turn that into ``inconclusive``, never into a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlgate.core.task import Task
from mlgate.stats import confusion, losses, ranking
from mlgate.stats.accumulators import Accumulator, UndefinedMetricError
from mlgate.stats.cells import CellStatistic

__all__ = ["METRICS", "MetricDef", "UndefinedMetricError", "encode_labels", "get_metric"]

Needs = Literal["labels", "scores", "values"]
_CLS = frozenset({Task.BINARY, Task.MULTICLASS})
_REG = frozenset({Task.REGRESSION})


@dataclass(frozen=True)
class MetricDef:
    """A metric. ``accumulator(k)`` makes its mergeable state for ``k`` classes (0 for
    regression); ``statistic(y, output, k)`` its resampling statistic over cells; ``output``
    is the array named by ``needs`` (label codes, class scores, or regression values)."""

    name: str
    higher_is_better: bool
    tasks: frozenset[Task]
    needs: Needs
    accumulator: Callable[[int], Accumulator]
    statistic: Callable[[np.ndarray, np.ndarray, int], CellStatistic]
    description: str
    wilson: bool = False  # a plain proportion of rows: a Wilson interval applies
    delong: bool = False  # binary ROC AUC: a DeLong interval applies
    #: The values the metric can take: a bound outside them can never be met.
    bounds: tuple[float, float] = (0.0, 1.0)

    def unreachable(self, op: str, bound: float) -> str | None:
        """Why ``metric op bound`` can never hold (None when it can): ``>= 1.5`` for accuracy,
        ``<= -1`` for a loss."""
        low, high = self.bounds
        if op == ">=" and bound > high:
            return f"{self.name} is at most {high:g}, so min {bound:g} can never be met"
        if op == "<=" and bound < low:
            return f"{self.name} is at least {low:g}, so max {bound:g} can never be met"
        return None

    def compute(self, y: Any, output: Any, k: int) -> float:
        """The metric of all rows. Raises :class:`UndefinedMetricError` when it has none."""
        return self.accumulator(k).update(y, output).compute()


def encode_labels(values: Any, classes: Sequence[Any]) -> np.ndarray:
    """Integer codes of ``values`` in ``classes``; ``-1`` where a value is not a class."""
    return pd.Index(list(classes)).get_indexer(np.asarray(values, dtype=object))


# -- builders per family ------------------------------------------------------------------
def _label(name: str, fn, reason: str, description: str, wilson: bool = False) -> MetricDef:
    return MetricDef(
        name,
        True,
        _CLS,
        "labels",
        lambda k: confusion.ConfusionAccumulator(name, k, fn, reason),
        lambda y, out, k: confusion.confusion_statistic(name, fn, y, out, k),
        description,
        wilson=wilson,
    )


def _ranking(name: str, curve: ranking.Curve, average: ranking.Average, text: str) -> MetricDef:
    def statistic(y, scores, k):
        if k == 2:
            return ranking.binary_statistic(name, curve, y, scores)
        return ranking.one_vs_rest_statistic(name, curve, average, y, scores)

    return MetricDef(
        name,
        True,
        _CLS,
        "scores",
        lambda k: ranking.ScoreAccumulator(name, k, curve, average),
        statistic,
        text,
        delong=curve == "roc_auc",
    )


def _mean_loss(
    name: str, rows: losses.LossFn, tasks, needs: Needs, text: str, root: bool = False
) -> MetricDef:
    return MetricDef(
        name,
        False,
        tasks,
        needs,
        lambda k: losses.MeanLossAccumulator(name, k, rows, root),
        lambda y, out, k: losses.mean_loss_statistic(name, rows(y, out, k), root),
        text,
        bounds=(0.0, 2.0) if name == "brier" else (0.0, float("inf")),
    )


def _pinball(alpha: float, name: str | None = None) -> MetricDef:
    name = name or f"pinball_loss_{alpha:g}"
    return _mean_loss(
        name,
        losses.pinball_rows(alpha),
        _REG,
        "values",
        f"mean pinball (quantile) loss at quantile {alpha:g}",
    )


def _label_metrics() -> list[MetricDef]:
    none = "no rows"
    defs = [
        _label(
            "accuracy",
            confusion.accuracy,
            "accuracy of no rows",
            "fraction of correct labels",
            True,
        ),
        _label(
            "balanced_accuracy",
            confusion.balanced_accuracy,
            "balanced accuracy needs at least one labelled row",
            "mean recall over the classes present",
        ),
        _label(
            "f1",
            confusion.averaged("f1", "binary"),
            f"F1 of {none}",
            "F1 of the positive (last) class if binary, else macro F1",
        ),
    ]
    for score in ("precision", "recall"):
        defs.append(
            _label(
                score,
                confusion.averaged(score, "binary"),
                f"{score} of {none}",
                f"{score} of the positive (last) class if binary, else macro {score}",
                wilson=True,
            )
        )
    for score in ("precision", "recall", "f1"):
        for average in ("micro", "macro", "weighted"):
            defs.append(
                _label(
                    f"{score}_{average}",
                    confusion.averaged(score, average),
                    f"{score} of {none}",
                    f"{average}-averaged {score} over the classes that occur",
                )
            )
    return defs


METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        *_label_metrics(),
        _ranking("roc_auc", "roc_auc", "macro", "ROC AUC (binary) or macro one-vs-rest ROC AUC"),
        _ranking(
            "roc_auc_weighted",
            "roc_auc",
            "weighted",
            "ROC AUC (binary) or prevalence-weighted one-vs-rest ROC AUC",
        ),
        _ranking(
            "average_precision",
            "average_precision",
            "macro",
            "average precision / PR AUC (binary) or macro one-vs-rest",
        ),
        _ranking(
            "average_precision_weighted",
            "average_precision",
            "weighted",
            "average precision / PR AUC (binary) or prevalence-weighted one-vs-rest",
        ),
        _mean_loss(
            "log_loss", losses.log_loss_rows, _CLS, "scores", "cross-entropy of class scores"
        ),
        _mean_loss("brier", losses.brier_rows, _CLS, "scores", "Brier score of class scores"),
        _mean_loss("mae", losses.abs_rows, _REG, "values", "mean absolute error"),
        _mean_loss(
            "rmse", losses.squared_rows, _REG, "values", "root mean squared error", root=True
        ),
        _mean_loss(
            "mape", losses.ape_rows, _REG, "values", "mean absolute percentage error (fraction)"
        ),
        _pinball(0.5, "pinball_loss"),
        MetricDef(
            "r2",
            True,
            _REG,
            "values",
            lambda k: losses.R2Accumulator("r2", k),
            lambda y, out, k: losses.r2_statistic(y, out),
            "coefficient of determination",
            bounds=(float("-inf"), 1.0),
        ),
    )
}

_PINBALL = re.compile(r"^pinball_loss_(0?\.\d+)$")


def get_metric(name: str) -> MetricDef:
    """The metric called ``name``: one of :data:`METRICS`, or ``pinball_loss_<alpha>`` for the
    pinball loss of another quantile (e.g. ``pinball_loss_0.9``). Raises KeyError listing the
    known ones."""
    if name in METRICS:
        return METRICS[name]
    match = _PINBALL.match(name)
    if match and 0.0 < float(match.group(1)) < 1.0:
        return _pinball(float(match.group(1)), name)
    raise KeyError(
        f"unknown metric {name!r}; known metrics: {', '.join(METRICS)}, "
        "and pinball_loss_<alpha> for a quantile alpha in (0, 1)"
    )
