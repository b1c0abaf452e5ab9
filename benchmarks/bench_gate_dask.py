"""The full tabular gate on Dask at 10 million rows, against the same gate in process at 1 million.

The data and models are those of ``bench_full_gate.py`` (25 features, 20 numeric and 5 string
categoricals, a binary label; the candidate a 150-iteration ``HistGradientBoostingClassifier``
pipeline, the champion the same with 50 iterations, both fitted on 100,000 rows before
anything is timed). Here the evaluation rows are a directory of Parquet files of
``--file-rows`` rows each (written one at a time, so this script never holds them all), and
the reference a directory of its own.

The gate is one stage with every tabular check that folds batches (docs/scale.md), each with
the parameters under which it folds (``interval: poisson``, ``n_resamples: --resamples``;
``drift`` with ``sketch: true`` so that both engines compute the same thing). The gate file says
``engine: {max_collect_rows: 0}``: on Dask any check that tried to gather the rows would be
refused, so a run that passes shows that every check folded.

Runs, each ``pytest --mlgate`` in a child process:

1. ``--rows`` (default 1,000,000) in process (the local engine reads the same files);
2. the same rows on a fresh ``LocalCluster`` (``--workers`` single-threaded worker processes
   on 127.0.0.1, started by this script, so its start-up is not in the gate's time);
3. ``--large-rows`` (default 10,000,000) on a fresh LocalCluster.

Printed per run: wall, rows/s, the gate process's and each worker's peak RSS (a fresh cluster
per run, so a worker's ``ru_maxrss`` is that run's); the ratio Dask / in process at the same
size and per row at the large size; seconds per check; whether the in-process and Dask
results agree (statuses, values and intervals). Memory per worker is flat when the large run's
peaks stay near the small run's.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_gate_dask.py`` (``--quick``: 200,000 and
1,000,000 rows). Latest figures: docs/benchmarks.md ("Full gate on Dask") and docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_full_gate import (
    MODELS,
    TRAIN_ROWS,
    check_seconds,
    child_gate,
    make_data,
    make_model,
)

GATE = """\
version: 1
name: full-tabular-gate-dask
task: binary
seed: 0
engine: {{name: local, max_collect_rows: 0}}
models:
  candidate: {{factory: "bench_models:candidate"}}
  champion: {{factory: "bench_models:champion"}}
datasets:
  reference: {{path: reference, label: target, sensitive: [group], slices: [region]}}
  evaluation: {{path: evaluation, label: target, sensitive: [group], slices: [region]}}
stages:
  full:
    checks:
{checks}
"""

#: Every check of bench_full_gate.py's gate that folds, with the parameters under which it does.
CHECKS = [
    "{check: prediction_rate, max: 0.9}",
    "{check: metric_threshold, metric: roc_auc, min: 0.7, interval: poisson, n_resamples: R}",
    "{check: metric_threshold, metric: accuracy, min: 0.6, interval: poisson, n_resamples: R}",
    "{check: metric_threshold, metric: log_loss, max: 0.7, interval: poisson, n_resamples: R}",
    "{check: baseline, metric: accuracy, interval: poisson, n_resamples: R}",
    "{check: champion, metrics: [roc_auc], margin: 0.01, interval: poisson, n_resamples: R}",
    "{check: calibration, max_ece: 0.05, interval: poisson, n_resamples: R}",
    "{check: confidence, threshold: 0.7, min_coverage: 0.3}",
    "{check: slices, metric: accuracy, min: 0.6, interval: poisson, n_resamples: R}",
    "{check: slice_discovery}",
    "{check: drift, sketch: true}",
    "{check: data_schema}",
    "{check: perturbation, max_flip_rate: 0.2}",
    "{check: invariance, max_flip_rate: 0.05}",
]


def write_files(folder: Path, rows: int, file_rows: int, seed: int) -> int:
    """``rows`` rows of ``make_data`` as Parquet files of ``file_rows`` rows (one generated at a
    time, each from its own seed); the number of files."""
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [file_rows] * (rows // file_rows) + ([rows % file_rows] if rows % file_rows else [])
    for i, n in enumerate(sizes):
        make_data(n, seed=seed * 100_003 + i).to_parquet(folder / f"part-{i:05d}.parquet")
    return len(sizes)


def prepare(where: Path, rows: int, reference_rows: int, file_rows: int, resamples: int) -> int:
    """The models, their factory module, the reference and the evaluation files and the gate
    file in ``where``; the number of evaluation files."""
    import joblib

    train = make_data(TRAIN_ROWS, seed=1)
    X, y = train.drop(columns="target"), train["target"]
    joblib.dump(make_model(150).fit(X, y), where / "candidate.joblib")
    joblib.dump(make_model(50).fit(X, y), where / "champion.joblib")
    (where / "bench_models.py").write_text(MODELS)
    checks = "\n".join(
        f"      - {c}".replace("n_resamples: R", f"n_resamples: {resamples}") for c in CHECKS
    )
    (where / "mlgate.yaml").write_text(GATE.format(checks=checks))
    (where / "test_placeholder.py").write_text("")  # pytest needs a path to collect
    write_files(where / "reference", reference_rows, file_rows, seed=2)
    return write_files(where / "evaluation", rows, file_rows, seed=3)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_gate(where: Path, workers: int | None) -> dict[str, Any]:
    """One gate run in a child process (on a fresh LocalCluster of ``workers`` when given):
    its wall, exit code, peak RSS, each worker's peak RSS, per-check seconds and result."""
    cluster = client = None
    cmd = [sys.executable, __file__, "--child", "--dir", str(where)]
    if workers:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=0,
        )
        client = Client(cluster)
        cmd += ["--scheduler", cluster.scheduler_address]
    try:
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
            raise SystemExit(f"the gate child failed (exit {done.returncode})")
        out = {**json.loads(lines[-1]), "wall": wall}
        out["workers_mb"] = sorted(client.run(_peak_rss_mb).values()) if client else []
    finally:
        if client is not None:
            client.close()
            cluster.close()
    out["per_check"] = check_seconds(where)
    out["result"] = json.loads((where / "reports" / "result.json").read_text())
    return out


def _verdicts(result: dict[str, Any]) -> dict[str, tuple]:
    """Per check: status, value and interval (what must agree across engines)."""
    return {c["id"]: (c["status"], c.get("value"), c.get("interval")) for c in result["checks"]}


def _close(a: Any, b: Any) -> bool:
    """Equal, numbers to 1e-12 relative (a float sum's order differs between engines)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-12, atol=0.0))
    return a == b


def _line(label: str, rows: int, run: dict[str, Any]) -> str:
    workers = ", ".join(f"{mb:,.0f}" for mb in run["workers_mb"]) or "-"
    return (
        f"{label:<24}{rows:>12,}{run['wall']:>9.1f}{rows / run['wall']:>12,.0f}"
        f"{run['maxrss_gb'] * 1e3:>12,.0f}   {workers:<16}exit {run['exit_code']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large-rows", type=int, default=10_000_000)
    parser.add_argument("--reference-rows", type=int, default=1_000_000)
    parser.add_argument("--file-rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="200,000 and 1,000,000 rows")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--scheduler", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        extra = ("--mlgate-scheduler", args.scheduler) if args.scheduler else ()
        out = child_gate(Path(args.dir), None, extra)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime
        print(json.dumps({**out, "maxrss_gb": usage.ru_maxrss * 1024 / 1e9, "cpu": cpu}))
        return
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: OMP_NUM_THREADS is not 1; the figures in the docs use one thread")
    small, large = (200_000, 1_000_000) if args.quick else (args.rows, args.large_rows)
    reference = min(args.reference_rows, small)
    print(__doc__.split("\n\n")[0])
    print(
        f"{args.resamples} Poisson resamples, {args.workers} workers, files of "
        f"{args.file_rows:,} rows, reference {reference:,} rows\n"
    )
    runs: dict[str, tuple[int, dict[str, Any]]] = {}
    for rows, engines in ((small, (None, args.workers)), (large, (args.workers,))):
        with tempfile.TemporaryDirectory(prefix="mlgate-gate-dask-") as tmp:
            where = Path(tmp)
            t0 = time.perf_counter()
            files = prepare(where, rows, reference, args.file_rows, args.resamples)
            print(f"[{rows:,} rows in {files} files written in {time.perf_counter() - t0:.0f} s]")
            for workers in engines:
                label = "dask" if workers else "in process"
                runs[f"{label} {rows:,}"] = (rows, run_gate(where, workers))
                print(_line(f"{label} {rows:,}", rows, runs[f"{label} {rows:,}"][1]), flush=True)
    print(
        f"\n{'run':<24}{'rows':>12}{'wall s':>9}{'rows/s':>12}{'gate MB':>12}   {'worker MB':<16}"
    )
    for label, (rows, run) in runs.items():
        print(_line(label, rows, run))
    (n_small, local), (_, dask_small), (n_large, dask_large) = runs.values()
    print(f"\nDask / in process at {n_small:,} rows: {dask_small['wall'] / local['wall']:.2f}×")
    per_row = (dask_large["wall"] / n_large) / (local["wall"] / n_small)
    print(f"Dask at {n_large:,} / in process at {n_small:,}, per row: {per_row:.2f}×")
    growth = [
        b / a for a, b in zip(dask_small["workers_mb"], dask_large["workers_mb"], strict=True)
    ]
    print("worker peak RSS, large / small run: " + ", ".join(f"{g:.2f}×" for g in growth))
    a, b = _verdicts(local["result"]), _verdicts(dask_small["result"])
    close = all(_close(a.get(k), b.get(k)) for k in set(a) | set(b))
    agree = "identical" if a == b else "equal to 1e-12 (float sums)" if close else "DIFFERENT"
    print(f"in-process and Dask results at {n_small:,} rows: {agree}")
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            print(f"  {key}: {a.get(key)} vs {b.get(key)}")
    print(f"\n{'check':<30}" + "".join(f"{lab:>18}" for lab in runs))
    names = list(local["per_check"])
    for name in names:
        cells = "".join(
            f"{r['per_check'].get(name, float('nan')):>18.1f}" for _, r in runs.values()
        )
        print(f"{name:<30}{cells}")
    print("\nstatuses (large run):")
    for c in dask_large["result"]["checks"]:
        print(
            f"  {c['id']:<30}{c['status']}"
            + ("" if c["status"] == "passed" else f": {c['message'][:200]}")
        )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
