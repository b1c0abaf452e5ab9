"""The Dask engine against the in-process engine, check by check, measured in the same run.

A logistic regression scores N synthetic rows (10 features, binary label) held as P Parquet
files, and a reference set of R rows (for drift) as its own files. The in-process run reads
the same rows as pandas frames; the Dask run reads the files on a LocalCluster (W
single-threaded worker processes on 127.0.0.1). On a fresh context per engine (so prediction
is counted once, in the first check), each check that folds batches runs as the kernel runs it:

1. ``prediction_rate`` (two counts; includes predicting every row);
2. ``metric_threshold`` accuracy with ``interval: poisson``;
3. ``calibration`` with ``interval: poisson`` (equal-width bins, Poisson bootstrap);
4. ``drift`` of the 10 features against the reference (value sketches, ``sketch: true`` on
   both engines so that both compute the same thing).

Printed: seconds per check per engine, rows/s, the ratio Dask / in-process, whether the two
results are the same, and the peak resident memory of each worker process. The cluster's
start-up is timed apart (paid once per session).

``--large``: 10,000,000 rows on Dask in 100 files, against 1,000,000 rows in process (the
ratio is then of seconds per row); the files are written one at a time, so the benchmark
itself never holds the 10 million rows.

``--sizes 1000000,3000000,10000000``: memory as rows grow. For each size, the same checks
on Dask only, on files of ``--rows-per-part`` rows (so the partitions grow in number, not in
size), each size on a fresh cluster; printed per size: seconds, the peak resident memory of
each worker process and of the gate's process. Flat per-worker figures are what the engine
promises (the prediction cache is on disk); ``--cache memory`` keeps it in the workers'
memory instead, to compare.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_dask.py`` (``--rows``, ``--parts``,
``--local-rows``, ``--reference-rows``, ``--resamples``, ``--workers``, ``--large``,
``--sizes``, ``--rows-per-part``, ``--cache``).
Latest figures: docs/benchmarks.md ("Dask"), docs/scale.md, and docs/dask.md ("Measured":
memory per worker by size).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

N_FEATURES = 10
FEATURES = [f"x{i}" for i in range(N_FEATURES)]


def make_part(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """``n`` rows whose label follows a noisy linear score of the features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(shift, 1.0, size=(n, N_FEATURES))
    logit = X @ np.linspace(1.0, -1.0, N_FEATURES) + 0.5 * rng.normal(size=n)
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["y"] = (logit > 0).astype(int)
    return frame


def write_parts(folder: Path, rows: int, parts: int, seed: int) -> list[int]:
    """``rows`` rows as ``parts`` Parquet files (one generated at a time); their sizes."""
    folder.mkdir(parents=True)
    sizes = [len(a) for a in np.array_split(np.arange(rows), parts)]
    for i, n in enumerate(sizes):
        make_part(n, seed + i).to_parquet(folder / f"part-{i:04d}.parquet", index=False)
    return sizes


def read_rows(folder: Path, rows: int) -> pd.DataFrame:
    """The first ``rows`` rows of the files in ``folder`` (the in-process run's data)."""
    frames, have = [], 0
    for path in sorted(folder.glob("*.parquet")):
        if have >= rows:
            break
        frames.append(pd.read_parquet(path))
        have += len(frames[-1])
    return pd.concat(frames, ignore_index=True).iloc[:rows]


def write_gate(folder: Path) -> Path:
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: bench\ntask: binary\nseed: 0\nengine: dask\n"
        "models: {candidate: {factory: 'x:y'}}\n"
        "datasets: {evaluation: {path: parts, label: y}, reference: {path: ref, label: y}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def checks(resamples: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("prediction_rate (incl. predict)", "prediction_rate", {"max": 0.9}),
        (
            f"metric_threshold accuracy, poisson {resamples}",
            "metric_threshold",
            {"metric": "accuracy", "min": 0.5, "interval": "poisson", "n_resamples": resamples},
        ),
        (
            f"calibration, poisson {resamples}",
            "calibration",
            {"max_ece": 0.05, "interval": "poisson", "n_resamples": resamples},
        ),
        # sketch: true in both runs (in memory drift is exact by default; on Dask above
        # max_collect_rows it sketches): the same computation on both engines
        ("drift (10 features, sketched)", "drift", {"sketch": True}),
    ]


def run_checks(ctx, resamples: int, after=None) -> tuple[dict[str, float], dict[str, Any]]:
    """Seconds of each check on ``ctx`` and each result's dict; ``after(label)`` is called
    after each check."""
    from mlgate.core.registry import CheckRegistry, parse_params

    registry = CheckRegistry.from_entry_points()
    seconds: dict[str, float] = {}
    results: dict[str, Any] = {}
    for label, name, raw in checks(resamples):
        check_type = registry.get(name)
        params = parse_params(check_type, ctx.gate.config, raw)
        t = time.perf_counter()
        with ctx.running(check_type, params):
            result = check_type.run(ctx, params)
        seconds[label] = time.perf_counter() - t
        results[label] = result.to_dict()
        if after is not None:
            after(label)
    return seconds, results


def _reset_peak_rss() -> None:
    """Start this process's peak resident memory afresh (Linux; elsewhere it keeps growing)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _start_cluster(workers: int):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )
    return cluster, Client(cluster)


def memory_by_size(args: argparse.Namespace) -> None:
    """The folding checks on Dask at each of ``args.sizes`` rows, each on a fresh cluster:
    seconds and peak resident memory per worker process and of this process."""
    from mlgate.core.context import GateContext
    from mlgate.core.engines.dask import DaskEngine
    from mlgate.core.gate import open_gate

    sizes = [int(x) for x in args.sizes.split(",")]
    train = make_part(10_000, 10**6)
    model = LogisticRegression(max_iter=500).fit(train[FEATURES], train["y"])
    print(
        f"Dask only, {args.workers} worker processes x 1 thread, files of "
        f"{args.rows_per_part:,} rows, reference {args.reference_rows:,} rows, "
        f"resamples={args.resamples}, prediction cache: {args.cache}"
    )
    head = f"{'rows':>12s} {'files':>6s} {'checks s':>9s} {'peak MB per worker':>20s}"
    print(f"{head} {'gate MB':>8s}  largest worker peak after each check (MB)")
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            parts = max(1, -(-rows // args.rows_per_part))
            write_parts(folder / "parts", rows, parts, seed=0)
            write_parts(folder / "ref", args.reference_rows, 2, seed=10**7)
            gate = open_gate(write_gate(folder))
            cluster, client = _start_cluster(args.workers)
            try:
                _reset_peak_rss()
                engine = DaskEngine(
                    client, max_collect_rows=10_000, spill=args.cache == "disk"
                )  # nothing may be gathered
                ctx = GateContext(gate, models={"candidate": model}, engine=engine)
                steps: list[float] = []
                t = time.perf_counter()
                run_checks(ctx, args.resamples, lambda _, s=steps, c=client: s.append(_worst(c)))
                total = time.perf_counter() - t
                workers = client.run(_peak_rss_mb)
                ctx.close()
            finally:
                client.close()
                cluster.close()
        peaks = ", ".join(f"{mb:,.0f}" for mb in workers.values())
        after = " / ".join(f"{mb:,.0f}" for mb in steps)
        print(f"{rows:12,d} {parts:6d} {total:9.1f} {peaks:>20s} {_peak_rss_mb():8,.0f}  {after}")


def _worst(client) -> float:
    """The largest peak resident memory of the workers so far (MB)."""
    return max(client.run(_peak_rss_mb).values())


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM on Linux; else ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--local-rows", type=int, default=None, help="default: --rows")
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--large", action="store_true", help="10,000,000 rows on Dask vs 1,000,000 in process"
    )
    parser.add_argument(
        "--sizes", default=None, help="comma-separated row counts: peak memory per worker"
    )
    parser.add_argument("--rows-per-part", type=int, default=100_000)
    parser.add_argument("--cache", choices=["disk", "memory"], default="disk")
    args = parser.parse_args()
    if args.sizes:
        memory_by_size(args)
        return
    if args.large:
        args.rows, args.parts = 10_000_000, 100
        args.local_rows = args.local_rows or 1_000_000
    local_rows = min(args.local_rows or args.rows, args.rows)

    from distributed import Client, LocalCluster

    from mlgate.core.context import GateContext
    from mlgate.core.engines.dask import DaskEngine
    from mlgate.core.gate import open_gate

    train = make_part(10_000, 10**6)
    model = LogisticRegression(max_iter=500).fit(train[FEATURES], train["y"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        write_parts(folder / "parts", args.rows, args.parts, seed=0)
        write_parts(folder / "ref", args.reference_rows, 2, seed=10**7)
        written = time.perf_counter() - t
        gate = open_gate(write_gate(folder))

        data = {"evaluation": read_rows(folder / "parts", local_rows)}
        data["reference"] = read_rows(folder / "ref", args.reference_rows)
        local = GateContext(gate, models={"candidate": model}, datasets=data, engine="local")
        in_memory, local_results = run_checks(local, args.resamples)
        del local, data

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
            engine = DaskEngine(  # nothing may be gathered
                client, max_collect_rows=10_000, spill=args.cache == "disk"
            )
            ctx = GateContext(gate, models={"candidate": model}, engine=engine)
            on_dask, dask_results = run_checks(ctx, args.resamples)
            workers = client.run(_peak_rss_mb)
        finally:
            client.close()
            cluster.close()

    per_row = local_rows != args.rows
    print(
        f"dask: {args.rows:,} rows in {args.parts} files; in process: {local_rows:,} rows; "
        f"reference {args.reference_rows:,} rows; {args.workers} worker processes x 1 thread; "
        f"resamples={args.resamples}; files written in {written:.1f} s, cluster start-up "
        f"{startup:.2f} s (neither counted)"
    )
    head = "ratio/row" if per_row else "ratio"
    print(
        f"{'check':38s} {'in-proc s':>9s} {'dask s':>8s} {'rows/s in-proc':>14s} "
        f"{'rows/s dask':>12s} {head:>9s} {'same':>5s}"
    )
    for label, seconds in in_memory.items():
        d = on_dask[label]
        ratio = (d / args.rows) / (seconds / local_rows)
        same = "-" if per_row else _same(local_results[label], dask_results[label])
        print(
            f"{label:38s} {seconds:9.2f} {d:8.2f} {local_rows / seconds:14,.0f} "
            f"{args.rows / d:12,.0f} {ratio:9.2f} {same:>5s}"
        )
    total_l, total_d = sum(in_memory.values()), sum(on_dask.values())
    ratio = (total_d / args.rows) / (total_l / local_rows)
    print(
        f"{'total':38s} {total_l:9.2f} {total_d:8.2f} {local_rows / total_l:14,.0f} "
        f"{args.rows / total_d:12,.0f} {ratio:9.2f}"
    )
    peaks = ", ".join(f"{mb:,.0f} MB" for mb in workers.values())
    print(f"peak resident memory per worker process: {peaks}")
    print(f"peak resident memory of this (the gate's) process: {_peak_rss_mb():,.0f} MB")


def _same(a: dict[str, Any], b: dict[str, Any]) -> str:
    """``yes`` for identical results (the engine field aside), ``verdict`` when only numbers
    differ (a BLAS product in the model may differ in the last bit between processes)."""
    if json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True):
        return "yes"
    return "verdict" if a.get("status") == b.get("status") else "NO"


if __name__ == "__main__":
    main()
