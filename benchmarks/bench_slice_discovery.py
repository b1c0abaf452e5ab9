"""Slice discovery on a million rows × 20 numeric features (binned), against one
``predict_proba`` pass of a scikit-learn HistGradientBoostingClassifier over the same rows,
measured in the same run.

The classifier is trained (untimed) on 20,000 rows; its errors on all rows feed the search.
Discovery is timed end to end: binning every feature into quantile bins and the level-2
lattice search with its tests and multiple-testing correction. Peak memory is the whole
process's (``ru_maxrss``: data, model and search together). Target: ≤ 30× the predict pass,
under 4 GiB.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_slice_discovery.py`` (``--rows``,
``--features``, ``--max-level`` to change the size). Latest figures: docs/checks/slices.md.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

GIB = 1024**3


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _data(n: int, k: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)).astype(np.float32)
    logit = X[:, 0] + 0.5 * X[:, 1] - 0.5 * X[:, 2] * X[:, 3]
    # a weak slice the model cannot learn: labels are noisier where x4 > 1 and x5 < 0
    noise = np.where((X[:, 4] > 1.0) & (X[:, 5] < 0.0), 3.0, 1.0)
    y = (logit + noise * rng.logistic(size=n) > 0).astype(np.int8)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(k)])
    return frame, y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--max-level", type=int, default=2)
    args = ap.parse_args()

    from sklearn.ensemble import HistGradientBoostingClassifier

    from mlgate.checks.slices.discovery import bin_features, discover

    frame, y = _data(args.rows, args.features)
    train = slice(0, min(20_000, args.rows))
    model = HistGradientBoostingClassifier(random_state=0).fit(frame.iloc[train], y[train])

    t0 = time.perf_counter()
    proba = model.predict_proba(frame)
    t_predict = time.perf_counter() - t0
    errors = ((proba[:, 1] >= 0.5).astype(np.int8) != y).astype(float)

    t0 = time.perf_counter()
    binned = bin_features(frame, list(frame.columns), n_bins=5)
    found = discover(errors, binned, min_size=100, max_level=args.max_level, max_seconds=600)
    t_discovery = time.perf_counter() - t0
    peak = _rss()

    print(f"rows={args.rows:,} features={args.features} max_level={args.max_level}")
    print(f"HistGradientBoostingClassifier.predict_proba: {t_predict:8.3f} s   1.00x")
    ratio = t_discovery / t_predict
    print(f"mlgate slice discovery (bin + search + tests): {t_discovery:8.3f} s  {ratio:5.2f}x")
    print(f"slices evaluated: {found.n_evaluated:,}  flagged: {found.n_flagged:,}")
    top = found.slices[0] if found.slices else None
    if top:
        print(f"top slice: {top['slice']} (error {top['value']:.3f} vs {top['rest']:.3f})")
    print(f"peak RSS (whole process): {peak / GIB:.2f} GiB")
    print(f"ratio {ratio:.2f}x (target <= 30x); peak {peak / GIB:.2f} GiB (target < 4 GiB)")


if __name__ == "__main__":
    main()
