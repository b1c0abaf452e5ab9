"""The Dask engine against the in-process engine on the same rows, measured in the same run.

A logistic regression scores N synthetic rows (10 features, binary label) held as P Parquet
files. The in-process run reads the same rows as one pandas frame; the Dask run reads the
files on a LocalCluster (2 single-threaded worker processes on 127.0.0.1). Each run, on a fresh
context (so prediction is included once):

1. ``prediction_rate`` (folds batches: runs on Dask at any size);
2. accuracy with a 1,000-resample Poisson bootstrap folded over the batches (what
   ``metric_threshold`` gets with ``interval: poisson``, docs/dask.md).

Printed: wall seconds of each step per engine, rows/s, and the ratio Dask / in-process. The
cluster's start-up is timed apart (paid once per session). The default N is small (a laptop
check of the path, not of scale); at this size Dask's per-task overhead dominates and the
ratio is above 1: the engine is for data that does not fit one process.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_dask.py`` (``--rows``, ``--parts``,
``--resamples``, ``--workers``). Latest figures: docs/dask.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

N_FEATURES = 10


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    logit = X @ np.linspace(1.0, -1.0, N_FEATURES) + 0.5 * rng.normal(size=n)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_FEATURES)])
    frame["y"] = (logit > 0).astype(int)
    return frame


def write_gate(folder: Path, frame: pd.DataFrame, parts: int) -> Path:
    data = folder / "parts"
    data.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[rows].to_parquet(data / f"part-{i:04d}.parquet", index=False)
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: bench\ntask: binary\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        "datasets: {evaluation: {path: parts, label: y}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def run_steps(ctx, resamples: int) -> dict[str, float]:
    """Seconds of each step on ``ctx``; the results are returned for comparison too."""
    from mlgate.checks.rates.prediction_rate import PREDICTION_RATE
    from mlgate.core.registry import parse_params
    from mlgate.stats.poisson import (
        PoissonBootstrap,
        PoissonFold,
        SeenLabels,
        poisson_estimate,
        stream_key,
    )

    out: dict[str, float] = {}
    params = parse_params(PREDICTION_RATE, ctx.gate.config, {"max": 0.9})
    t = time.perf_counter()
    with ctx.running(PREDICTION_RATE, params):
        rate = PREDICTION_RATE.run(ctx, params)
    out["prediction_rate (incl. predict)"] = time.perf_counter() - t
    t = time.perf_counter()
    classes = ctx.fold("candidate", "evaluation", SeenLabels.of, SeenLabels.merge).resolve()
    fold = PoissonFold("accuracy", 2, classes, resamples, stream_key(ctx.seed, "bench"))
    boot = ctx.fold("candidate", "evaluation", fold, PoissonBootstrap.merge)
    est = poisson_estimate(boot)
    out[f"poisson bootstrap, {resamples} resamples"] = time.perf_counter() - t
    out["_result"] = (rate.value, est.value, est.interval)  # type: ignore[assignment]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from mlgate.core.context import GateContext
    from mlgate.core.engines.dask import DaskEngine
    from mlgate.core.gate import open_gate

    frame = make_frame(args.rows)
    model = LogisticRegression(max_iter=500).fit(
        frame.iloc[:10_000, :N_FEATURES], frame["y"][:10_000]
    )
    with tempfile.TemporaryDirectory() as tmp:
        gate = open_gate(write_gate(Path(tmp), frame, args.parts))
        local = GateContext(
            gate, models={"candidate": model}, datasets={"evaluation": frame}, engine="local"
        )
        in_memory = run_steps(local, args.resamples)

        t = time.perf_counter()
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        )
        client = Client(cluster)
        startup = time.perf_counter() - t
        try:
            ctx = GateContext(gate, models={"candidate": model}, engine=DaskEngine(client))
            on_dask = run_steps(ctx, args.resamples)
        finally:
            client.close()
            cluster.close()

    same = in_memory.pop("_result") == on_dask.pop("_result")
    print(
        f"rows={args.rows:,} parts={args.parts} workers={args.workers} (processes, 1 thread "
        f"each) resamples={args.resamples}; cluster start-up {startup:.2f} s (not counted)"
    )
    print(f"{'step':42s} {'in-process s':>12s} {'dask s':>8s} {'rows/s dask':>12s} {'ratio':>6s}")
    for step, seconds in in_memory.items():
        d = on_dask[step]
        print(f"{step:42s} {seconds:12.3f} {d:8.3f} {args.rows / d:12,.0f} {d / seconds:6.2f}")
    total_local, total_dask = sum(in_memory.values()), sum(on_dask.values())
    ratio = total_dask / total_local
    print(f"{'total':42s} {total_local:12.3f} {total_dask:8.3f} {'':12s} {ratio:6.2f}")
    print(f"same rate, accuracy and Poisson interval on both engines: {same}")


if __name__ == "__main__":
    main()
