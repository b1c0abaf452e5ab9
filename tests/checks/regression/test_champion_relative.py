"""``champion`` with a relative margin (``margin: {relative: 0.02}``: "at most 2% of the
champion's MAE worse"): the relative improvement's paired bootstrap checked against SciPy,
and known verdicts for an equal, a slightly worse, a clearly worse and a better candidate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlgate.checks.regression.champion import CHAMPION
from mlgate.checks.regression.relative import relative_compare
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.result import Status
from mlgate.core.runner import run_gate
from mlgate.stats.metrics import get_metric

MAE = get_metric("mae")


def frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 2 * x + rng.normal(size=n)})


def line(slope: float, shift: float = 0.0):
    return lambda X: slope * X["x"].to_numpy() + shift


def ctx_of(candidate, champion, data=None) -> GateContext:
    return GateContext.from_objects(
        models={"candidate": candidate, "champion": champion},
        datasets={"evaluation": frame() if data is None else data},
        task="regression",
        label="y",
    )


def test_relative_improvement_agrees_with_scipy():
    data = frame(1500, 3)
    y = data["y"].to_numpy()
    cand, champ = line(2.0)(data), line(1.7)(data)
    cmp = relative_compare(
        MAE,
        y,
        cand,
        champ,
        0,
        boundary=-0.02,
        level=0.95,
        rng=np.random.default_rng(0),
        n_resamples=4000,
    )
    e_c, e_r = np.abs(y - cand), np.abs(y - champ)
    # a loss: the improvement is 1 − candidate / champion
    assert cmp.improvement == pytest.approx(1 - e_c.mean() / e_r.mean())
    ref = stats.bootstrap(
        (e_c, e_r),
        lambda a, b, axis: 1 - a.mean(axis=axis) / b.mean(axis=axis),
        paired=True,
        method="percentile",
        n_resamples=4000,
        rng=np.random.default_rng(1),
    )
    ci = ref.confidence_interval
    assert cmp.interval.low == pytest.approx(ci.low, abs=0.004)
    assert cmp.interval.high == pytest.approx(ci.high, abs=0.004)
    assert cmp.se == pytest.approx(ref.standard_error, rel=0.1)
    assert cmp.details["relative"] is True


def test_an_equal_candidate_is_non_inferior_within_2_percent():
    r = CHAMPION(ctx_of(line(2.0), line(2.0)), metrics=["mae"], margin={"relative": 0.02})
    assert r.status is Status.PASSED, r.message
    assert r.value == 0 and r.threshold.bound == -0.02
    assert "relative improvement" in r.message


def test_a_candidate_10_percent_worse_fails_a_2_percent_margin():
    # shifting predictions by 0.5 raises the MAE of N(0, 1) noise by about 11%
    r = CHAMPION(ctx_of(line(2.0, 0.5), line(2.0)), metrics=["mae"], margin={"relative": 0.02})
    assert r.status is Status.FAILED, r.message
    assert r.value == pytest.approx(-0.11, abs=0.03) and r.interval.high < -0.02


def test_a_candidate_on_the_margin_is_inconclusive_with_the_rows_needed():
    r = CHAMPION(ctx_of(line(2.0, 0.21), line(2.0)), metrics=["mae"], margin={"relative": 0.02})
    assert r.status is Status.INCONCLUSIVE, r.message
    (row,) = r.evidence["metrics"].rows
    assert row["rows_needed"] is None or row["rows_needed"] > 3000


def test_superiority_by_a_relative_margin():
    better, champ = line(2.0), line(1.5)
    r = CHAMPION(
        ctx_of(better, champ), metrics=["mae"], mode="superiority", margin={"relative": 0.02}
    )
    assert r.status is Status.PASSED, r.message
    r = CHAMPION(
        ctx_of(better, champ), metrics=["mae"], mode="superiority", margin={"relative": 0.5}
    )
    assert r.status is Status.FAILED


def test_relative_and_absolute_margins_per_metric(write_gate, tmp_path):
    check = {
        "check": "champion",
        "metrics": ["mae", "rmse"],
        "margin": {"mae": {"relative": 0.02}, "rmse": 0.05},
    }
    path = write_gate(tmp_path, [check], task="regression", datasets=("evaluation",))
    path.write_text(
        path.read_text().replace("models:\n", "models:\n  champion:\n    factory: unused:unused\n")
    )
    out = run_gate(
        path,
        models={"candidate": line(2.0), "champion": line(1.9)},
        datasets={"evaluation": frame()},
    )
    (r,) = out.results
    assert r.status is Status.PASSED, r.message
    rows = {row["metric"]: row for row in r.evidence["metrics"].rows}
    assert rows["mae"]["boundary"] == -0.02 and rows["mae"].get("relative") is True
    assert rows["rmse"]["boundary"] == -0.05 and "relative" not in rows["rmse"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"metrics": ["r2"], "margin": {"relative": 0.02}}, "give its margin in r2's units"),
        ({"metrics": ["mae"], "margin": {"relative": 0}}, "greater than 0"),
        ({"metrics": ["mae"], "margin": {"relativ": 0.02}}, "margin: {relative: 0.02}"),
        ({"metrics": ["mae"], "margin": {"mae": {"share": 0.02}}}, "margin.mae: got"),
        (
            {"metrics": ["mae"], "margin": {"relative": 0.02}, "test": "mcnemar"},
            "tested with a paired bootstrap of the ratio, not 'mcnemar'",
        ),
    ],
)
def test_bad_relative_margins_name_the_key_the_value_and_the_fix(params, says):
    with pytest.raises(ConfigError) as info:
        CHAMPION(ctx_of(line(2.0), line(2.0)), **params)
    assert says in str(info.value)
