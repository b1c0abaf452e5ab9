"""What the statistics checks share: encoding predictions for a metric and checking a metric
name against the task. (Validating model and dataset names is public, in
:mod:`mlgate.core.registry`, for plugins too; rounding evidence and combining statuses belong
to the kernel: :func:`mlgate.core.result.rounded`, :meth:`mlgate.core.result.Status.worst`.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlgate.core.errors import ConfigError, DataError
from mlgate.core.task import Task
from mlgate.models.base import Predictions
from mlgate.stats.metrics import METRICS, MetricDef, encode_labels, get_metric


# -- validation ------------------------------------------------------------------------------
def check_metric(name: str, task: Task, path: str = "metric") -> MetricDef:
    """The metric ``name`` if it applies to ``task``; ConfigError at ``path`` otherwise."""
    try:
        metric = get_metric(name)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]), path=path) from None
    if task not in metric.tasks:
        allowed = sorted(n for n, m in METRICS.items() if task in m.tasks)
        raise ConfigError(
            f"metric {name!r} does not apply to a {task.value} task; use one of {allowed}",
            path=path,
        )
    return metric


# -- encoding --------------------------------------------------------------------------------
def seen_classes(*arrays: Any) -> tuple[Any, ...]:
    """The sorted classes seen in ``arrays`` (sorted like scikit-learn, so the last is the
    positive class of a binary task)."""
    seen: set[Any] = set()
    for arr in arrays:
        seen |= set(np.asarray(arr).tolist())
    try:
        return tuple(sorted(seen))
    except TypeError:  # mixed types: any stable order
        return tuple(sorted(seen, key=repr))


def output_of(preds: Predictions, metric: MetricDef, model: str) -> np.ndarray:
    """The array ``metric`` needs from ``preds``. Raises DataError when the model lacks it."""
    out = getattr(preds, metric.needs)
    if out is None:
        raise DataError(
            f"{metric.name} needs class scores but model {model!r} gives only labels "
            "(no predict_proba)"
        )
    return out


def _classes(
    task: Task, preds: Sequence[Predictions], y: np.ndarray, where: str, models: Sequence[str]
) -> tuple:
    given = [p.classes for p in preds if p.classes is not None]
    if given:
        classes = tuple(given[0])
        for other in given[1:]:
            if set(other) != set(classes):
                raise DataError(
                    f"{where}: the models know different classes ({list(classes)} vs "
                    f"{list(other)}); a paired comparison needs the same classes"
                )
    else:
        classes = seen_classes(y, *[p.labels for p in preds])
    if task is Task.BINARY and len(classes) != 2:
        raise DataError(
            f"binary task, but {where} shows classes {list(classes)}; declare both under "
            f"models.{models[0]}.classes (the last one is the positive class)"
        )
    return classes


def encode(
    y: np.ndarray,
    preds: Sequence[Predictions],
    metric: MetricDef,
    task: Task,
    *,
    models: Sequence[str],
    dataset: str,
) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Encode labels once for ``metric``: (y codes, one output per model, k). Every model's
    scores are put in the same class order. Raises DataError for labels a model does not know,
    or a binary task whose two classes cannot be told apart."""
    outputs = [output_of(p, metric, m) for p, m in zip(preds, models, strict=True)]
    if metric.needs == "values":
        return np.asarray(y, dtype=float), [np.asarray(o, dtype=float) for o in outputs], 0
    where = f"model(s) {', '.join(map(repr, models))} on {dataset!r}"
    classes = _classes(task, preds, y, where, models)
    codes = encode_labels(y, classes)
    if (codes < 0).any():
        unknown = sorted({repr(v) for v in np.asarray(y, dtype=object)[codes < 0]})
        raise DataError(
            f"dataset {dataset!r} has label(s) {', '.join(unknown[:5])} that model "
            f"{models[0]!r} does not know (its classes: {list(classes)}); metrics would be "
            "meaningless. Fix the labels or the model's classes."
        )
    encoded = []
    for p, out in zip(preds, outputs, strict=True):
        if metric.needs == "labels":
            encoded.append(encode_labels(out, classes))
        else:
            order = encode_labels(classes, p.classes) if p.classes is not None else None
            scores = np.asarray(out, dtype=float)
            encoded.append(scores[:, order] if order is not None else scores)
    return codes, encoded, len(classes)


# -- wording ---------------------------------------------------------------------------------
def orient(metric: MetricDef) -> str:
    return "higher is better" if metric.higher_is_better else "lower is better"


def known_labels(labels: Any, classes: Sequence[Any], *, model: str, dataset: str) -> np.ndarray:
    """``labels`` encoded as codes of ``classes`` (a fixed encoding, the same in every batch of
    a fold). Raises DataError naming the labels the model does not know."""
    y = encode_labels(labels, classes)
    if (y < 0).any():
        unknown = sorted({repr(v) for v in np.asarray(labels, dtype=object)[y < 0]})
        raise DataError(
            f"dataset {dataset!r} has label(s) {', '.join(unknown[:5])} that model "
            f"{model!r} does not know (its classes: {list(classes)})"
        )
    return y


def fixed_scores(
    labels: Any,
    preds: Predictions | None,
    classes: Sequence[Any],
    *,
    model: str,
    dataset: str,
    check: str,
) -> tuple[np.ndarray, np.ndarray]:
    """(class codes, scores (n, k) in the order of ``classes``) of one batch, the same for
    every batch whatever classes it happens to hold. Raises DataError for a model without
    scores (naming ``check``) or a label outside the classes."""
    if preds is None or preds.scores is None:
        raise DataError(
            f"{check} needs class scores but model {model!r} gives only labels (no predict_proba)"
        )
    y = known_labels(labels, classes, model=model, dataset=dataset)
    scores = np.asarray(preds.scores, dtype=float)
    if preds.classes is not None:
        scores = scores[:, encode_labels(classes, preds.classes)]
    return y, scores
