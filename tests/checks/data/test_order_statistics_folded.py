"""``median`` / ``quantile`` expectations fold into a value sketch: NumPy's number while the
column has at most the sketch's capacity of distinct values (infinities included), bounds that
contain NumPy's number above it, and a verdict on those bounds that is never more confident
than the exact one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.data.evaluate import evaluate, order_bounds, outcomes_of
from mlgate.checks.data.fold import merge_states, scan
from mlgate.checks.data.spec import parse_expectations
from mlgate.core.result import Status
from mlgate.stats.sketches import ValueSketch


def _spec(statistic: str, **bounds):
    extra = {"q": 0.9} if statistic == "quantile" else {}
    return parse_expectations(
        [{"expect": "statistic", "column": "x", "statistic": statistic, **extra, **bounds}]
    )


@pytest.mark.parametrize("statistic", ["median", "quantile"])
@pytest.mark.parametrize("extra", [[], [np.inf], [-np.inf, -np.inf], [np.nan, np.inf]])
def test_the_exact_sketch_gives_numpys_number(statistic, extra):
    rng = np.random.default_rng(0)
    x = np.concatenate([np.round(rng.normal(size=3001), 2), extra])
    frame = pd.DataFrame({"x": x})
    (outcome,) = evaluate(frame, _spec(statistic, min=-1e9))
    present = x[~np.isnan(x)]
    want = np.median(present) if statistic == "median" else np.quantile(present, 0.9)
    assert outcome.observed == float(want) or (np.isnan(want) and np.isnan(outcome.observed))


@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 0.999, 1.0])
@pytest.mark.parametrize("infinities", [(0, 0), (3, 5)])
def test_bucketed_bounds_contain_numpys_quantile(q, infinities):
    rng = np.random.default_rng(1)
    finite = rng.lognormal(size=20_000)  # every value distinct: far above a capacity of 64
    sketch = ValueSketch(64).update(finite)
    assert not sketch.exact
    neg, pos = infinities
    low, high = order_bounds(sketch, neg, pos, q)
    allv = np.concatenate([np.full(neg, -np.inf), finite, np.full(pos, np.inf)])
    with np.errstate(invalid="ignore"):
        want = np.quantile(allv, q)  # NaN at q = 0 / 1 beside infinities (-inf - -inf)
    assert low <= want <= high or (np.isnan(want) and not np.isfinite(low))
    if np.isfinite(want):
        assert high - low < 0.2 * max(1.0, abs(want))  # the buckets bound it usefully


def test_a_sketched_verdict_passes_fails_or_is_inconclusive_on_its_bounds(monkeypatch):
    import mlgate.checks.data.fold as fold

    class Small(ValueSketch):
        def __init__(self, capacity: int = 32, *a, **k) -> None:
            super().__init__(32, *a, **k)

    monkeypatch.setattr(fold, "ValueSketch", Small)
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(10.0, 1.0, 5000)})
    median = float(np.median(frame["x"]))

    def judge(**bounds):
        specs = _spec("median", **bounds)
        states = [
            scan(part, start, specs, 10)
            for start, part in ((0, frame[:2000]), (2000, frame[2000:]))
        ]
        (outcome,) = outcomes_of(merge_states(*states), specs)
        return outcome

    inside = judge(min=5.0, max=15.0)
    low, high = inside.details["bounds"]
    assert inside.status is Status.PASSED and low <= median <= high and low < high
    assert judge(min=median + 5).status is Status.FAILED
    straddle = judge(min=median)  # the exact median is on the bound: not decidable here
    assert straddle.status is Status.INCONCLUSIVE and "lies in" in straddle.message
