"""The full tabular gate against the physical floor of the same job, measured in one run.

The data set (issue 16): 25 features, 20 numeric and 5 categorical (strings), a binary label;
reference and evaluation of N rows each, written as Parquet. The candidate is a scikit-learn
pipeline (ordinal-encoded categoricals into a 150-iteration ``HistGradientBoostingClassifier``),
the champion the same pipeline with 50 iterations; both are fitted on at most 100,000
reference rows before anything is timed and loaded by the gate through a factory.

The gate is one stage with every tabular check at its default parameters (only the bounds a
check requires are given): metric thresholds (ROC AUC, accuracy, log-loss), baseline,
champion, calibration, confidence, slices, slice discovery, drift on all 25 features, the
schema inferred from the reference, perturbation and invariance. It runs as
``pytest --mlgate`` in a child process; the per-check seconds come from its JUnit XML.

The baseline is one ``predict_proba`` of the candidate over the evaluation rows, one NumPy
statistics pass (moments, quantiles and category counts of every feature, both data sets)
and scikit-learn's ROC AUC, accuracy and log-loss, in a child process of its own, so each
peak RSS (``ru_maxrss``) is one process's. The ratio is the gate's process wall over the
baseline's timed work; "process / process" compares the two processes' walls (imports,
loading and all) and "CPU / CPU" their CPU seconds, which other jobs on a shared machine
inflate less than wall time.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_full_gate.py`` (100k and 1M rows;
``--large`` adds 10M; ``--rows 20000`` for a quick run; ``--profile FILE`` writes a cProfile
of the gate at the last size and prints its top 10 by cumulative time).
Latest figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

N_NUMERIC, N_CATEGORICAL, TRAIN_ROWS = 20, 5, 100_000
CATEGORIES = {"region": 6, "channel": 4, "segment": 8, "device": 3, "group": 2}

GATE = """\
version: 1
name: full-tabular-gate
task: binary
seed: 0
models:
  candidate: {factory: "bench_models:candidate"}
  champion: {factory: "bench_models:champion"}
datasets:
  reference: {path: reference.parquet, label: target, sensitive: [group], slices: [region]}
  evaluation: {path: evaluation.parquet, label: target, sensitive: [group], slices: [region]}
stages:
  full:
    checks:
      - {check: metric_threshold, metric: roc_auc, min: 0.7}
      - {check: metric_threshold, metric: accuracy, min: 0.6}
      - {check: metric_threshold, metric: log_loss, max: 0.7}
      - {check: baseline, metric: accuracy}
      - {check: champion, metrics: [roc_auc], margin: 0.01}
      - {check: calibration, max_ece: 0.05}
      - {check: confidence, threshold: 0.7, min_coverage: 0.3}
      - {check: slices, metric: accuracy, min: 0.6}
      - {check: slice_discovery}
      - {check: drift}
      - {check: data_schema}
      - {check: perturbation, max_flip_rate: 0.2}
      - {check: invariance, max_flip_rate: 0.05}
"""

MODELS = """\
from pathlib import Path

import joblib

HERE = Path(__file__).parent


def candidate():
    return joblib.load(HERE / "candidate.joblib")


def champion():
    return joblib.load(HERE / "champion.joblib")
"""


def make_data(n: int, seed: int) -> pd.DataFrame:
    """``n`` rows: 20 numeric features (some informative, some correlated), 5 string
    categoricals (two informative) and a binary ``target`` from a noisy nonlinear score."""
    rng = np.random.default_rng(seed)
    num = rng.standard_normal((n, N_NUMERIC)).astype(np.float64)
    num[:, 10:15] += 0.5 * num[:, :5]  # correlated features
    frame = pd.DataFrame(num, columns=[f"x{i:02d}" for i in range(N_NUMERIC)])
    for name, k in CATEGORIES.items():
        frame[name] = np.array([f"{name}_{j}" for j in range(k)], dtype=object)[
            rng.integers(0, k, n)
        ]
    region = frame["region"].str[-1].astype(int).to_numpy()
    score = (
        num[:, 0]
        + 0.8 * num[:, 1] * num[:, 2]
        - 0.6 * num[:, 3]
        + 0.4 * np.sin(2 * num[:, 4])
        + 0.3 * (region - 2.5) / 2.5
        + 0.2 * (frame["segment"].str[-1].astype(int).to_numpy() % 2)
        + rng.normal(0, 1.0, n)
    )
    frame["target"] = (score > 0).astype(int)
    return frame


def make_model(max_iter: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    cats = list(CATEGORIES)
    encode = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), cats)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    hgb = HistGradientBoostingClassifier(
        max_iter=max_iter,
        categorical_features=list(range(len(cats))),
        early_stopping=False,
        random_state=0,
    )
    return Pipeline([("encode", encode), ("model", hgb)])


def prepare(n: int, where: Path) -> None:
    """Write the data, both fitted models, their factory module and the gate file."""
    import joblib

    reference, evaluation = make_data(n, seed=1), make_data(n, seed=2)
    reference.to_parquet(where / "reference.parquet", index=False)
    evaluation.to_parquet(where / "evaluation.parquet", index=False)
    train = reference.iloc[:TRAIN_ROWS]
    X, y = train.drop(columns="target"), train["target"]
    joblib.dump(make_model(150).fit(X, y), where / "candidate.joblib")
    joblib.dump(make_model(50).fit(X, y), where / "champion.joblib")
    (where / "bench_models.py").write_text(MODELS)
    (where / "mlgate.yaml").write_text(GATE)
    (where / "test_placeholder.py").write_text("")  # pytest needs a path to collect


def child_baseline(where: Path) -> dict:
    """One predict_proba + one statistics pass + scikit-learn's metrics, timed."""
    import joblib
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    reference = pd.read_parquet(where / "reference.parquet")
    evaluation = pd.read_parquet(where / "evaluation.parquet")
    model = joblib.load(where / "candidate.joblib")
    start = time.perf_counter()
    X, y = evaluation.drop(columns="target"), evaluation["target"].to_numpy()
    proba = model.predict_proba(X)
    labels = model.classes_[proba.argmax(axis=1)]
    stats = {}
    for frame in (reference, evaluation):
        numeric = frame[[f"x{i:02d}" for i in range(N_NUMERIC)]].to_numpy()
        stats[id(frame)] = (
            numeric.mean(axis=0),
            numeric.std(axis=0),
            np.quantile(numeric, [0.01, 0.25, 0.5, 0.75, 0.99], axis=0),
            [np.unique(frame[c].to_numpy(dtype=str), return_counts=True) for c in CATEGORIES],
        )
    metrics = (
        roc_auc_score(y, proba[:, 1]),
        accuracy_score(y, labels),
        log_loss(y, proba),
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "metrics": [float(m) for m in metrics]}


def child_gate(where: Path, profile: str | None, extra: tuple[str, ...] = ()) -> dict:
    """The gate through pytest, in this process (optionally under cProfile); ``extra``: more
    pytest arguments (``--mlgate-scheduler …``)."""
    import pytest

    argv = [
        "--mlgate",
        "--mlgate-file",
        str(where / "mlgate.yaml"),
        "--mlgate-report-dir",
        str(where / "reports"),
        "--junitxml",
        str(where / "junit.xml"),
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(where),
        str(where),
        *extra,
    ]
    start = time.perf_counter()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        code = prof.runcall(pytest.main, argv)
        prof.dump_stats(profile)
    else:
        code = pytest.main(argv)
    return {"seconds": time.perf_counter() - start, "exit_code": int(code)}


def run_child(role: str, where: Path, profile: str | None = None) -> dict:
    """Run this script as ``--child role`` and return its JSON line, wall and peak RSS."""
    cmd = [sys.executable, __file__, "--child", role, "--dir", str(where)]
    if profile:
        cmd += ["--profile", profile]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"the {role} child failed (exit {done.returncode})")
    return {**json.loads(lines[-1]), "wall": wall}


def check_seconds(where: Path) -> dict[str, float]:
    """Per-check seconds (call phase, setup included) from the gate's JUnit XML."""
    out: dict[str, float] = {}
    for case in ET.parse(where / "junit.xml").getroot().iter("testcase"):
        out[case.get("name", "?").split("::")[-1]] = float(case.get("time", 0.0))
    return out


def statuses(where: Path) -> dict[str, str]:
    """Each check's status, and the message beside it when it did not pass (a gate that
    holds a healthy model is a finding, not only a timing)."""
    doc = json.loads((where / "reports" / "result.json").read_text())
    return {
        c["id"]: c["status"] if c["status"] == "passed" else f"{c['status']}: {c['message'][:300]}"
        for c in doc["checks"]
    }


def bench(n: int, profile: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="mlgate-full-") as tmp:
        where = Path(tmp)
        t0 = time.perf_counter()
        prepare(n, where)
        print(
            f"\n== {n:,} rows a side (data and models prepared in {time.perf_counter() - t0:.1f} s)"
        )
        base = run_child("baseline", where)
        gate = run_child("gate", where, profile)
        if not (where / "junit.xml").exists():
            raise SystemExit(f"the gate did not run (exit {gate['exit_code']})")
        per_check = check_seconds(where)
        status = statuses(where)
    print(
        f"baseline: {base['seconds']:.2f} s timed ({base['wall']:.1f} s process, "
        f"{base['cpu']:.1f} s CPU), peak RSS {base['maxrss_gb']:.2f} GB"
    )
    print(
        f"gate:     {gate['wall']:.1f} s process ({gate['seconds']:.1f} s in pytest, "
        f"{gate['cpu']:.1f} s CPU), peak RSS {gate['maxrss_gb']:.2f} GB, exit {gate['exit_code']}"
    )
    print(
        f"ratio:    {gate['wall'] / base['seconds']:.1f}× (gate process / baseline timed); "
        f"{gate['wall'] / base['wall']:.1f}× process / process; "
        f"{gate['cpu'] / base['cpu']:.1f}× CPU / CPU; "
        f"RSS {gate['maxrss_gb'] / base['maxrss_gb']:.2f}×"
    )
    print(f"{'check':<28}{'seconds':>9}  status")
    for name, sec in sorted(per_check.items(), key=lambda kv: -kv[1]):
        print(f"{name:<28}{sec:>9.2f}  {status.get(name, '?')}")
    if profile:
        import pstats

        print(f"\ncProfile of the gate ({profile}), top 10 by cumulative time:")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", help="sizes (default 100000 1000000)")
    parser.add_argument("--large", action="store_true", help="also 10,000,000 rows")
    parser.add_argument("--profile", help="write a cProfile of the gate (last size) here")
    parser.add_argument("--child", choices=["baseline", "gate"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        where = Path(args.dir)
        out = child_baseline(where) if args.child == "baseline" else child_gate(where, args.profile)
        usage = resource.getrusage(resource.RUSAGE_SELF)  # ru_maxrss in KiB on Linux
        cpu = usage.ru_utime + usage.ru_stime
        print(json.dumps({**out, "maxrss_gb": usage.ru_maxrss * 1024 / 1e9, "cpu": cpu}))
        return
    if os.environ.get("OMP_NUM_THREADS") != "1":
        print("note: OMP_NUM_THREADS is not 1; the figures in the docs use one thread")
    sizes = args.rows or [100_000, 1_000_000]
    if args.large:
        sizes = [*sizes, 10_000_000]
    print(textwrap.fill(__doc__.split("\n\n")[0], 100))
    for i, n in enumerate(sizes):
        bench(n, args.profile if i == len(sizes) - 1 else None)


if __name__ == "__main__":
    main()
