"""Per-feature drift of 25 features (20 numeric, 5 categorical) at 1,000,000 rows per side:
mlgate's ``compare_columns`` (KS + Wasserstein + PSI + Jensen–Shannon per numeric feature,
chi-squared + PSI + Jensen–Shannon + Cramér's V per categorical one, BH correction, effect-size
rule) against the plain SciPy calls on the same data in the same run: ``scipy.stats.ks_2samp``
per numeric feature and ``chi2_contingency`` per categorical one (its 2 × k table built with
pandas' ``value_counts``, the fastest counting at hand).

The target is a ratio of at most 1.5. Each side is timed ``--repeats`` times (best kept), in
the same process, on the same frames, alternating.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_drift.py`` (``--rows`` to change the size).
Latest figures: docs/checks/drift.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def make_frames(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cats = np.array([f"cat{k}" for k in range(8)], dtype=object)
    probs = np.linspace(1, 2, 8) / np.linspace(1, 2, 8).sum()

    def side(shift: float) -> pd.DataFrame:
        cols = {f"num{j}": rng.normal(shift if j < 2 else 0.0, 1.0, n) for j in range(20)}
        for j in range(5):
            cols[f"cat{j}"] = cats[rng.choice(8, size=n, p=probs)]
        return pd.DataFrame(cols)

    return side(0.0), side(0.02)


def scipy_baseline(ref: pd.DataFrame, cur: pd.DataFrame) -> list[float]:
    from scipy import stats

    out = []
    for col in ref.columns:
        if col.startswith("num"):
            out.append(stats.ks_2samp(ref[col].to_numpy(), cur[col].to_numpy()).pvalue)
        else:
            a = ref[col].value_counts(sort=False)
            b = cur[col].value_counts(sort=False).reindex(a.index.union(cur[col].unique()))
            table = np.vstack([a.reindex(b.index).fillna(0).to_numpy(), b.fillna(0).to_numpy()])
            out.append(stats.chi2_contingency(table).pvalue)
    return out


def mlgate_drift(ref: pd.DataFrame, cur: pd.DataFrame) -> list[float]:
    from mlgate.checks.drift.table import DriftRule, compare_columns

    return [c.result.p_value for c in compare_columns(ref, cur, DriftRule())]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    ref, cur = make_frames(args.rows)
    mlgate_drift(ref.head(1000), cur.head(1000))  # imports and warm-up, not timed
    times: dict[str, float] = {"scipy": float("inf"), "mlgate": float("inf")}
    results = {}
    for _ in range(args.repeats):
        for name, fn in (("scipy", scipy_baseline), ("mlgate", mlgate_drift)):
            t0 = time.perf_counter()
            results[name] = fn(ref, cur)
            times[name] = min(times[name], time.perf_counter() - t0)
    agree = np.allclose(results["scipy"], results["mlgate"], rtol=1e-9, atol=1e-12)
    print(f"{args.rows:,} rows per side, 20 numeric + 5 categorical features")
    print(f"scipy ks_2samp + chi2_contingency : {times['scipy']:7.3f} s")
    print(f"mlgate drift (all statistics)     : {times['mlgate']:7.3f} s")
    ratio = times["mlgate"] / times["scipy"]
    print(f"ratio mlgate / scipy              : {ratio:7.2f}x (target <= 1.5x)")
    print(f"p-values agree to 1e-9            : {agree}")


if __name__ == "__main__":
    main()
