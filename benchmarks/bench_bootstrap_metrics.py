"""Bootstrap interval of a metric: mlgate's encoded NumPy metrics vs calling scikit-learn on
each resample (the baseline, measured in the same run on the same resampled indices).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_bootstrap_metrics.py``
Prints seconds per interval and the speed-up over the baseline; latest figures are in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
from sklearn import metrics as skm

from mlgate.stats.bootstrap import percentile_bootstrap
from mlgate.stats.metrics import get_metric


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.7 * y + rng.normal(0.15, 0.25, n), 0, 1)
    scores = np.column_stack([1 - p, p])
    return y, scores, (p > 0.5).astype(int)


def _ours(idx, *, metric, y, output) -> float:
    return metric.compute(y[idx], output[idx], 2)


def _sklearn_accuracy(idx, *, y, labels) -> float:
    return skm.accuracy_score(y[idx], labels[idx])


def _sklearn_roc_auc(idx, *, y, scores) -> float:
    return skm.roc_auc_score(y[idx], scores[idx, 1])


def _interval(statistic, n: int, resamples: int) -> tuple[float, tuple[float, float]]:
    start = time.perf_counter()
    out = percentile_bootstrap(statistic, n, rng=np.random.default_rng(1), n_resamples=resamples)
    return time.perf_counter() - start, (out.interval.low, out.interval.high)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'metric':<10}{'rows':>9}{'mlgate s':>11}{'sklearn s':>11}{'speed-up':>10}  same CI")
    for n in args.rows:
        y, scores, labels = _data(n)
        cases = {
            "accuracy": (labels, partial(_sklearn_accuracy, y=y, labels=labels)),
            "roc_auc": (scores, partial(_sklearn_roc_auc, y=y, scores=scores)),
        }
        for name, (output, reference) in cases.items():
            ours = partial(_ours, metric=get_metric(name), y=y, output=output)
            t_ours, ci_ours = _interval(ours, n, args.resamples)
            t_ref, ci_ref = _interval(reference, n, args.resamples)
            same = np.allclose(ci_ours, ci_ref, rtol=0, atol=1e-12)
            print(f"{name:<10}{n:>9}{t_ours:>11.3f}{t_ref:>11.3f}{t_ref / t_ours:>9.1f}x  {same}")


if __name__ == "__main__":
    main()
