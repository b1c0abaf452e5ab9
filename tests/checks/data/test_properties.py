"""Property tests: on arbitrary columns (nulls, infinities, ties) every row-wise count and
every offending row agrees with a plain Python loop, and the frame is left untouched."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.checks.data import evaluate, parse_expectations
from mlgate.core.result import Status

values = st.lists(
    st.one_of(
        st.floats(min_value=-5, max_value=5, allow_nan=False),
        st.just(math.nan),
        st.sampled_from([-math.inf, math.inf, 0.0, 1.0]),
    ),
    min_size=1,
    max_size=60,
)


def present(v: float) -> bool:
    return not math.isnan(v)


@settings(max_examples=60, deadline=None)
@given(xs=values, lo=st.floats(-3, 0), hi=st.floats(0, 3), mostly=st.floats(0, 1))
def test_between_matches_a_loop(xs, lo, hi, mostly):
    df = pd.DataFrame({"x": xs})
    before = df.copy()
    spec = {"expect": "between", "column": "x", "min": lo, "max": hi, "mostly": mostly}
    (out,) = evaluate(df, parse_expectations([spec]), sample=1000)
    judged = [i for i, v in enumerate(xs) if present(v)]
    bad = [i for i in judged if not (lo <= xs[i] <= hi)]
    assert out.element_count == len(judged)
    assert out.unexpected_count == len(bad)
    assert [r["row"] for r in out.failing_rows] == bad
    if not judged:
        assert out.status is Status.INCONCLUSIVE
    else:
        ok = (len(judged) - len(bad)) / len(judged) >= mostly
        assert out.status is (Status.PASSED if ok else Status.FAILED)
    pd.testing.assert_frame_equal(df, before)


@settings(max_examples=60, deadline=None)
@given(a=values, b=values, op=st.sampled_from([">", ">=", "<", "<=", "==", "!="]))
def test_compare_matches_a_loop(a, b, op):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    df = pd.DataFrame({"a": a, "b": b})
    (out,) = evaluate(
        df,
        parse_expectations([{"expect": "compare", "left": "a", "op": op, "right": "b"}]),
        sample=1000,
    )
    ops = {
        ">": float.__gt__,
        ">=": float.__ge__,
        "<": float.__lt__,
        "<=": float.__le__,
        "==": float.__eq__,
        "!=": float.__ne__,
    }
    judged = [i for i in range(n) if present(a[i]) and present(b[i])]
    bad = [i for i in judged if not ops[op](float(a[i]), float(b[i]))]
    assert out.unexpected_count == len(bad)
    assert [r["row"] for r in out.failing_rows] == bad


@settings(max_examples=60, deadline=None)
@given(
    xs=st.lists(
        st.one_of(st.sampled_from(["a", "b", "c", "d"]), st.none()), min_size=1, max_size=60
    ),
    allowed=st.sets(st.sampled_from(["a", "b", "c", "d"]), min_size=1),
)
def test_in_set_unique_and_nulls_match_a_loop(xs, allowed):
    df = pd.DataFrame({"s": pd.Series(xs, dtype=object)})
    specs = parse_expectations(
        [
            {"expect": "in_set", "column": "s", "values": sorted(allowed)},
            {"expect": "unique", "column": "s"},
            {"expect": "nulls", "column": "s"},
        ]
    )
    in_set, unique, nulls = evaluate(df, specs, sample=1000)
    assert [r["row"] for r in in_set.failing_rows] == [
        i for i, v in enumerate(xs) if v is not None and v not in allowed
    ]
    counts = pd.Series([v for v in xs if v is not None]).value_counts()
    assert [r["row"] for r in unique.failing_rows] == [
        i for i, v in enumerate(xs) if v is not None and counts[v] > 1
    ]
    assert nulls.unexpected_count == sum(v is None for v in xs)
    assert (nulls.status is Status.PASSED) == (None not in xs)


@settings(max_examples=40, deadline=None)
@given(xs=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=80), q=st.floats(0, 1))
def test_statistics_match_numpy(xs, q):
    df = pd.DataFrame({"x": xs})
    specs = parse_expectations(
        [
            {
                "expect": "statistic",
                "column": "x",
                "statistic": s,
                "min": -1e12,
                "max": 1e12,
                **({"q": q} if s == "quantile" else {}),
            }
            for s in ("mean", "median", "std", "quantile")
        ]
    )
    mean, median, std, quant = (o.observed for o in evaluate(df, specs))
    arr = np.asarray(xs)
    assert np.isclose(mean, arr.mean(), rtol=1e-9, atol=1e-6)
    assert np.isclose(median, np.median(arr), rtol=1e-12, atol=0)
    assert np.isclose(std, arr.std(ddof=1), rtol=1e-7, atol=1e-6)
    assert np.isclose(quant, np.quantile(arr, q), rtol=1e-12, atol=1e-9)
