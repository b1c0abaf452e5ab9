"""Run a deepchecks tabular suite (or one check wrapped in a suite) on gate datasets and turn
its condition results into one mlgate CheckResult.

Each deepchecks condition becomes a row: PASS → passed, WARN → warned, FAIL → failed,
ERROR → error. A check deepchecks could not run because the data lacks what it needs (no
datetime or index column, no model) is listed as ``not_run`` and does not count; one that
had too few samples makes the result ``inconclusive``; any other failure is an ``error``.
The overall status is the worst condition's (``Status.worst``: failed > error > inconclusive >
warned > passed), and a run in which no condition was judged is ``inconclusive``, never
passed.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlgate.api import CheckResult, Status, Table, Task, Threshold, dtype_kind
from mlgate_deepchecks._require import deepchecks_module
from mlgate_deepchecks.convert import condition_status, plain

KIND = "data"
#: deepchecks errors meaning "this check does not apply to this data", not a finding
NOT_APPLICABLE = frozenset(
    {
        "DatasetValidationError",
        "DeepchecksNotSupportedError",
        "ModelValidationError",
        "DeepchecksNotImplementedError",
    }
)
TOO_FEW = frozenset({"NotEnoughSamplesError"})


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """deepchecks' progress bars and info logs off for the run; the level is restored."""
    logger = logging.getLogger("deepchecks")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            # deepchecks 0.19's own pandas deprecation noise, not the user's concern
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


def to_deepchecks(
    frame: pd.DataFrame,
    *,
    label: str | None,
    features: Sequence[str],
    cat_features: Sequence[str] | None,
) -> Any:
    """A deepchecks tabular ``Dataset`` over a copy of ``frame``. Categorical features are
    the text, category and boolean columns unless given."""
    deepchecks_module()
    from deepchecks.tabular import Dataset

    if cat_features is None:
        kinds = {c: dtype_kind(frame[c]) for c in features}
        cat_features = [c for c, k in kinds.items() if k in ("string", "category", "bool")]
    return Dataset(
        frame.copy(), label=label, features=list(features), cat_features=list(cat_features)
    )


def predictions_kwargs(preds: Any, task: Task, which: str) -> dict[str, Any]:
    """``y_pred_<which>`` / ``y_proba_<which>`` for ``Suite.run`` from mlgate Predictions
    (the kernel's cached predictions, so the model is not called again)."""
    if task is Task.REGRESSION:
        return {f"y_pred_{which}": np.asarray(preds.values)}
    out = {f"y_pred_{which}": np.asarray(preds.labels)}
    if preds.scores is not None:
        out[f"y_proba_{which}"] = np.asarray(preds.scores)
    return out


def run_suite(suite: Any, *, train: Any, test: Any | None, **kwargs: Any) -> Any:
    """``suite.run`` without display or progress bars; one dataset runs as ``train_dataset``
    (deepchecks' convention for single-dataset runs)."""
    with quiet():
        if test is None:
            return suite.run(train_dataset=train, with_display=False, **kwargs)
        return suite.run(train_dataset=train, test_dataset=test, with_display=False, **kwargs)


def _needs_feature_importance(exc: BaseException) -> bool:
    """deepchecks computes feature importance only from a model object; mlgate passes the
    kernel's cached predictions instead, so checks built on it do not apply."""
    return "Feature Importance is not available" in str(exc)


def _rows(results: Sequence[Any]) -> tuple[list[dict], list[dict], dict[str, Any]]:
    from deepchecks.core.check_result import CheckFailure

    conditions: list[dict[str, Any]] = []
    not_run: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for res in results:
        if isinstance(res, CheckFailure):
            exc = type(res.exception).__name__
            row = {"check": res.header, "exception": exc, "message": str(res.exception)[:300]}
            if exc in NOT_APPLICABLE or _needs_feature_importance(res.exception):
                not_run.append(row)
            else:
                status = Status.INCONCLUSIVE if exc in TOO_FEW else Status.ERROR
                conditions.append(
                    {
                        "check": res.header,
                        "condition": "(check ran)",
                        "status": status.value,
                        "details": f"{exc}: {str(res.exception)[:300]}",
                    }
                )
            continue
        header = res.get_header()
        values[header] = plain(res.value)
        if not res.conditions_results:
            not_run.append(
                {
                    "check": header,
                    "exception": None,
                    "message": "no condition: shown for information only",
                }
            )
        for cond in res.conditions_results:
            conditions.append(
                {
                    "check": header,
                    "condition": cond.name,
                    "status": condition_status(cond.category).value,
                    "details": cond.details,
                }
            )
    return conditions, not_run, values


def to_check_result(
    suite_result: Any,
    *,
    check_id: str,
    what: str,
    dataset: str,
    n_rows: int,
    evidence: dict[str, Any] | None = None,
) -> CheckResult:
    """One CheckResult from a deepchecks ``SuiteResult`` (see the module docstring)."""
    version = deepchecks_module().__version__
    conditions, not_run, values = _rows(suite_result.results)
    status = Status.worst(c["status"] for c in conditions)  # none judged: inconclusive
    bad = [c for c in conditions if c["status"] != "passed"]
    counts = {s.value: sum(c["status"] == s.value for c in conditions) for s in Status}
    head = (
        f"deepchecks {what} on {dataset!r}: {counts['passed']} of {len(conditions)} "
        f"condition(s) passed"
    )
    if not conditions:
        head += "; no condition was judged, so nothing can pass"
    lines = [f"{c['check']}: {c['status']}: {c['condition']} ({c['details']})" for c in bad[:8]]
    return CheckResult(
        check_id=check_id,
        kind=KIND,
        status=status,
        metric="deepchecks conditions not passed",
        value=float(len(bad)),
        threshold=Threshold("<=", 0.0),
        sample_size=n_rows,
        method=f"deepchecks {version} {what} (conditions as deepchecks defines them)",
        message=head + (". " + "; ".join(lines) if lines else "."),
        evidence={
            "dataset": dataset,
            "deepchecks_version": version,
            "counts": counts,
            "conditions": Table.of(conditions, title="deepchecks conditions"),
            "not_run": Table.of(not_run, title="checks that did not apply"),
            "values": values,
            **(evidence or {}),
        },
    )
