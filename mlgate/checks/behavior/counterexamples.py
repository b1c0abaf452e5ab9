"""Minimal counterexamples: shrink a perturbation that breaks a model's expected behaviour
with Hypothesis, down to the fewest changed columns and the smallest strength.

For one row, Hypothesis searches the transformation's family: which of its columns to
change (a subset; all pixels of an image stay together), how strong the change is
(``strength × j / 64`` for a float strength; for an integer strength each value from 1 up,
in turn) and the seed of its random draws. ``hypothesis.find`` with ``derandomize=True``
finds a violating perturbation and shrinks it: fewer columns, smaller ``j``, smaller seed.
Every tried perturbation is one model call on one row, bounded by ``budget``. The result
can be printed as cases to paste into a minimum-functionality file. From Python,
:func:`mlgate.checks.behavior.find_counterexample` shrinks one row of a model and data given
directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mlgate.checks.behavior.compare import Compare
from mlgate.checks.behavior.evidence import jsonable_row, jsonable_value
from mlgate.checks.behavior.variants import AppliedTransform, rows_changed
from mlgate.core.errors import require
from mlgate.models import ModelAdapter, Predictions

STEPS = 64  # float strengths are searched on a grid of 1/64 of the declared strength
MAX_PASTE_COLUMNS = 50


@dataclass(frozen=True)
class Counterexample:
    """The smallest violating perturbation found for one row."""

    row: Any
    transform: str
    columns: tuple[str, ...]
    params: dict[str, Any]
    seed: int
    original: pd.Series
    changed: pd.Series
    original_prediction: Any
    changed_prediction: Any
    model_calls: int

    @property
    def changed_columns(self) -> list[str]:
        diff = rows_changed_by_column(self.original, self.changed)
        return [c for c, d in zip(self.original.index, diff, strict=True) if d]

    def paste(self, truth: Any = None) -> str | None:
        """Cases for a minimum-functionality file (YAML list items), or None for rows of more
        than 50 columns (images).

        With the row's true label ``truth``, every row of the pair the model gets wrong,
        expecting ``truth``; for a regression value, the changed row expecting ``truth``.
        Without it, the changed row expecting the model's prediction on the original row
        (the answer an invariant model keeps).
        """
        if truth is None:
            return paste_cases([(self.changed, self.original_prediction)])
        pairs = [(self.original, self.original_prediction), (self.changed, self.changed_prediction)]
        wrong = [(row, truth) for row, got in pairs if not _same(got, truth)]
        regression = isinstance(truth, float) and not float(truth).is_integer()
        return paste_cases([(self.changed, truth)] if regression or not wrong else wrong)

    def to_dict(self, truth: Any = None) -> dict[str, Any]:
        """JSON-able evidence; ``paste`` as described for :meth:`paste`."""
        return {
            "row": jsonable_value(self.row),
            "transform": self.transform,
            "columns": list(self.columns),
            "params": jsonable_value(self.params),
            "seed": self.seed,
            "original": jsonable_row(self.original),
            "changed": jsonable_row(self.changed[self.changed_columns]),
            "prediction": {
                "original": jsonable_value(self.original_prediction),
                "changed": jsonable_value(self.changed_prediction),
            },
            "paste": self.paste(truth),
            "model_calls": self.model_calls,
        }


def paste_cases(rows: list[tuple[pd.Series, Any]]) -> str | None:
    """Rows with their expected outputs as YAML list items, one per line, values exact."""
    if any(len(row) > MAX_PASTE_COLUMNS for row, _ in rows):
        return None
    lines = []
    for row, expected in rows:
        case = {str(k): jsonable_value(v, digits=None) for k, v in row.items()}
        case["expected"] = jsonable_value(expected, digits=None)
        text = yaml.safe_dump(case, default_flow_style=True, sort_keys=False, width=10**6)
        lines.append("- " + text.strip())
    return "\n".join(lines)


def _same(a: Any, b: Any) -> bool:
    return bool(a == b) or str(a) == str(b)


def rows_changed_by_column(a: pd.Series, b: pd.Series) -> list[bool]:
    return [
        not ((x == y) or (pd.isna(x) and pd.isna(y))) if np.ndim(x) == 0 else True
        for x, y in zip(a.to_numpy(dtype=object), b.to_numpy(dtype=object), strict=True)
    ]


def shrink(
    adapter: ModelAdapter,
    X: pd.DataFrame,
    position: int,
    applied: AppliedTransform,
    *,
    original: Predictions,
    compare: Compare,
    max_examples: int = 100,
    budget: int = 200,
) -> Counterexample | None:
    """The minimal violating perturbation of row ``position`` of ``X`` (``original``: the
    model's prediction for that row alone), or None when none is found within the budget.
    ``X`` is the reference for the transformation's statistics.

    Raises:
        MissingDependencyError: Hypothesis is not installed.
    """
    hypothesis = require("hypothesis", extra="hypothesis", feature="shrinking counterexamples")
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    row = X.iloc[[position]].reset_index(drop=True)
    rows = np.array([0])
    columns = list(applied.columns)
    strength = applied.transform.strength_param(applied.params)
    full = applied.params.get(strength) if strength else None
    is_int = isinstance(full, int)
    # An integer strength (typos, pixels) changes which draws the seed makes, so shrinking
    # it alone would keep a seed that no longer breaks anything: search each value from 1
    # up instead. A float strength scales one draw, so its grid step shrinks directly.
    if is_int:
        step_options = [st.just(k) for k in range(1, int(full) + 1)]
    else:
        step_options = [st.integers(1, STEPS) if strength else st.just(STEPS)]
    if len(columns) > 1 and applied.transform.modality != "image":
        # One flag per column (shrinking a flag to False drops that column); at least one on.
        flags = st.tuples(*[st.booleans()] * len(columns)).filter(any)
        subsets = flags.map(lambda f: [c for c, on in zip(columns, f, strict=True) if on])
    else:
        subsets = st.just(columns)
    calls = [0]
    seen: dict[tuple, tuple[pd.DataFrame, Predictions, dict[str, Any]]] = {}

    def params_for(step: int) -> dict[str, Any]:
        if strength is None:
            return {}
        return {strength: step if is_int else full * step / STEPS}

    def violates(drawn: tuple[list[str], int, int]) -> bool:
        cols, step, seed = drawn
        if calls[0] >= budget:
            return False
        trial = applied.with_changes(**params_for(step))
        changed = trial(row, np.random.default_rng(seed), X)
        # The draw covers every column; columns outside the subset are put back, so a
        # column's change does not depend on which others are in the subset.
        keep = [c for c in columns if c not in cols]
        if keep:
            changed[keep] = row[keep]
        if not rows_changed(row, changed)[0]:
            return False
        calls[0] += 1
        preds = adapter.predict(changed).validate(1, source="model on a shrunk perturbation")
        bad, _ = compare(original, rows, preds)
        if bool(bad[0]):
            seen[(tuple(cols), step, seed)] = (changed, preds, trial.params)
            return True
        return False

    settings = hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    for steps in step_options:
        search = st.tuples(subsets, steps, st.integers(0, 2**16 - 1))
        try:
            cols, step, seed = hypothesis.find(search, violates, settings=settings)
            break
        except NoSuchExample:
            if calls[0] >= budget:
                return None
    else:
        return None
    changed, preds, params = seen[(tuple(cols), step, seed)]
    return Counterexample(
        row=X.index[position],
        transform=applied.name,
        columns=tuple(cols),
        params=dict(params),
        seed=int(seed),
        original=X.iloc[position],
        changed=changed.iloc[0],
        original_prediction=_prediction(original, 0),
        changed_prediction=_prediction(preds, 0),
        model_calls=calls[0],
    )


def _prediction(preds: Predictions, i: int) -> Any:
    """What to show for row ``i``: the label (classification) or the value (regression)."""
    return preds.values[i] if preds.values is not None else preds.labels[i]
