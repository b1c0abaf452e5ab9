"""The ``columns:`` shorthand carries the inferred tolerance (what ``mlgate init`` writes): a
range learnt from n reference values tolerates the few new rows outside it that a healthy
dataset shows, and still fails a block of them; without the tolerance the rule is exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from mlgate.checks.data.checks import DATA_EXPECTATIONS
from mlgate.checks.data.spec import ColumnRule, expand_columns
from mlgate.core.context import GateContext
from mlgate.core.result import Status

TOLERANCE = {"alpha": 0.01, "rows": 10_000, "nulls": 0, "values": 10_000}


def run(x: np.ndarray, rule: dict):
    ctx = GateContext.from_objects(
        models={"candidate": lambda X: np.zeros(len(X))},
        datasets={"evaluation": pd.DataFrame({"x": x})},
        task="regression",
    )
    return DATA_EXPECTATIONS(ctx, columns={"x": rule})


def test_a_few_rows_past_a_learnt_range_pass_with_the_tolerance_and_fail_without():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 10_000)
    x[:2] = 1.5  # two rows past the range: what a healthy dataset shows now and then
    exact = {"min": 0.0, "max": 1.0}
    assert run(x, exact).status is Status.FAILED
    assert run(x, exact | {"tolerance": TOLERANCE}).status is Status.PASSED
    x[:200] = 1.5  # 2% of the rows: a defect, not chance
    assert run(x, exact | {"tolerance": TOLERANCE}).status is Status.FAILED


def test_the_tolerance_reaches_the_null_range_and_set_rules():
    rule = ColumnRule(
        nullable=False, min=0, max=1, values=[0, 1], tolerance=TOLERANCE | {"values": 9_000}
    )
    _columns, nulls, between, in_set = expand_columns({"x": rule})
    assert (nulls.reference_rows, nulls.reference_nulls, nulls.alpha) == (10_000, 0, 0.01)
    assert (between.reference_rows, between.alpha) == (9_000, 0.01)
    assert (in_set.reference_rows, in_set.alpha) == (9_000, 0.01)


@pytest.mark.parametrize(
    "tolerance",
    [
        {"alpha": 0.0, "rows": 10, "values": 10},
        {"alpha": 0.01, "rows": 10, "nulls": 11},
        {"alpha": 0.01, "rows": 10, "values": 11},
        {"alpha": 0.01, "values": 10},
    ],
)
def test_an_impossible_tolerance_is_refused(tolerance):
    with pytest.raises(ValidationError):
        ColumnRule(min=0, tolerance=tolerance)
