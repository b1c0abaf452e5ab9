"""ROC AUC with an interval on a million rows: DeLong and a 1,000-resample bootstrap, against
scikit-learn's plain ``roc_auc_score`` on the same data, measured in the same run.

Each method runs in its own subprocess, so its peak memory (``ru_maxrss``) is its own; the
baseline is timed the same way. Prints seconds, the ratio to scikit-learn, and peak memory.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_auc_intervals.py`` (``--rows``,
``--resamples`` to change the size). Latest figures: docs/checks/statistics.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

GIB = 1024**3


def _data(n: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    score = y + rng.normal(0.0, 1.0, n)  # float64, all distinct: the hardest case for AUC state
    return y, score


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _worker(method: str, n: int, resamples: int) -> dict:
    import numpy as np

    y, score = _data(n)
    before = _rss()
    if method == "sklearn":
        from sklearn.metrics import roc_auc_score

        def run():
            return roc_auc_score(y, score), None

        repeats = 3
    elif method == "delong":
        from mlgate.stats.intervals import delong_interval

        def run():
            res = delong_interval(y == 1, score)
            return res.auc, (res.interval.low, res.interval.high)

        repeats = 3
    else:
        from mlgate.stats.bootstrap import bootstrap_interval
        from mlgate.stats.metrics import get_metric

        def run():
            scores = np.column_stack([1.0 - score, score])
            stat = get_metric("roc_auc").statistic(y, scores, 2)
            out = bootstrap_interval(stat, rng=np.random.default_rng(1), n_resamples=resamples)
            return stat.value, (out.interval.low, out.interval.high, out.scheme)

        repeats = 1
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        value, interval = run()
        best = min(best, time.perf_counter() - start)
    return {
        "method": method,
        "seconds": best,
        "auc": float(value),
        "interval": interval,
        "peak_rss": _rss(),
        "rss_before": before,
    }


def _spawn(method: str, n: int, resamples: int) -> dict:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    cmd = [sys.executable, __file__, "--worker", method, "--rows", str(n)]
    out = subprocess.run(
        [*cmd, "--resamples", str(resamples)], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--worker", choices=["sklearn", "delong", "bootstrap"])
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.rows, args.resamples)))
        return
    runs = {m: _spawn(m, args.rows, args.resamples) for m in ("sklearn", "delong", "bootstrap")}
    base = runs["sklearn"]["seconds"]
    print(f"{args.rows:,} rows, {args.resamples:,} bootstrap resamples, OMP_NUM_THREADS=1")
    print(f"{'method':<28}{'seconds':>9}{'× sklearn':>11}{'peak RSS GiB':>14}  interval")
    names = {
        "sklearn": "sklearn roc_auc_score",
        "delong": "mlgate AUC + DeLong CI",
        "bootstrap": f"mlgate AUC + {args.resamples} bootstrap",
    }
    for method, r in runs.items():
        ratio = r["seconds"] / base
        ci = r["interval"]
        shown = (
            "-"
            if ci is None
            else f"[{ci[0]:.4f}, {ci[1]:.4f}]" + (f" {ci[2]}" if len(ci) > 2 else "")
        )
        print(
            f"{names[method]:<28}{r['seconds']:>9.3f}{ratio:>10.2f}×"
            f"{r['peak_rss'] / GIB:>14.3f}  {shown}"
        )
    assert abs(runs["delong"]["auc"] - runs["sklearn"]["auc"]) < 1e-12
    assert abs(runs["bootstrap"]["auc"] - runs["sklearn"]["auc"]) < 1e-12
    print(
        f"ratios: DeLong {runs['delong']['seconds'] / base:.2f}× (target ≤ 3×), "
        f"bootstrap {runs['bootstrap']['seconds'] / base:.2f}× (target ≤ 20×); "
        f"peak memory {max(r['peak_rss'] for r in runs.values()) / GIB:.2f} GiB (target < 2)"
    )


if __name__ == "__main__":
    main()
