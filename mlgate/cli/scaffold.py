"""``mlgate init``: a starting gate file inferred from a dataset (and a model)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from mlgate.cli.inputs import InputError
from mlgate.config.schema import DatasetSpec, ModelSpec
from mlgate.core.data import Dataset, read_table
from mlgate.core.task import Task
from mlgate.stats.bootstrap import percentile_bootstrap
from mlgate.stats.metrics import METRICS, UndefinedMetricError, encode_labels

_METRICS = {
    Task.BINARY: ("accuracy", "balanced_accuracy", "roc_auc"),
    Task.MULTICLASS: ("accuracy", "balanced_accuracy"),
    Task.REGRESSION: ("r2", "mae"),
}


def infer_task(y: pd.Series) -> Task:
    """Two values → binary; up to 20 values that are not floats → multiclass; numbers
    otherwise → regression. Raises InputError when the label fits none."""
    n = y.nunique(dropna=True)
    if n == 2:
        return Task.BINARY
    if pd.api.types.is_float_dtype(y) and n > 20:
        return Task.REGRESSION
    if n <= 20:
        return Task.MULTICLASS
    if pd.api.types.is_numeric_dtype(y):
        return Task.REGRESSION
    raise InputError(f"label {y.name!r} has {n} distinct non-numeric values; pass --task")


def scaffold_gate(*, data: Path, label: str, model: str | None, task: str, gate_dir: Path) -> str:
    """The text of a gate file for ``data`` (relative paths are written from ``gate_dir``)."""
    frame = read_table(data, name="evaluation")
    if label not in frame.columns:
        raise InputError(f"{data}: no column {label!r}; columns: {list(map(str, frame.columns))}")
    task_ = infer_task(frame[label]) if task == "auto" else Task(task)
    data_ref = os.path.relpath(data.resolve(), gate_dir)
    lines = [
        f"# Gate scaffolded by `mlgate init` from {data.name}. Review every threshold.",
        "version: 1",
        f"name: {_yaml_str(data.stem)}-gate",
        f"task: {task_.value}",
        "seed: 0",
        "",
        "models:",
        "  candidate:",
        *_model_lines(model, gate_dir),
        "",
        "datasets:",
        "  evaluation:",
        f"    path: {_yaml_str(data_ref)}",
        f"    label: {_yaml_str(label)}",
        "    # Inferred schema of the columns (data checks can build on it):",
        *(f"    #   {line}" for line in _schema_lines(frame)),
        "",
        "stages:",
        "  staging:",
        "    checks:",
    ]
    thresholds, origin = _thresholds(frame, label, task_, model, data, gate_dir)
    lines.append(f"      # thresholds {origin}")
    for name, (op, bound) in thresholds.items():
        lines.append(f"      - {{check: metric_threshold, metric: {name}, {op}: {bound}}}")
    return "\n".join(lines) + "\n"


def _model_lines(model: str | None, gate_dir: Path) -> list[str]:
    if model is None:
        return ["    factory: my_project.models:load_candidate  # TODO: your model"]
    if ":" in model and not Path(model).exists():
        return [f"    factory: {_yaml_str(model)}"]
    return [f"    path: {_yaml_str(os.path.relpath(Path(model).resolve(), gate_dir))}"]


def _schema_lines(frame: pd.DataFrame) -> list[str]:
    out = []
    for col in frame.columns:
        s = frame[col]
        nulls = f", {s.isna().mean():.1%} null" if s.isna().any() else ""
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out.append(f"{col}: {s.dtype}, range [{s.min():.4g}, {s.max():.4g}]{nulls}")
        else:
            out.append(f"{col}: {s.dtype}, {s.nunique()} distinct values{nulls}")
    return out


def _thresholds(frame, label, task, model, data, gate_dir) -> tuple[dict, str]:
    if model is not None:
        return _from_model(frame, label, task, model, data, gate_dir)
    y = frame[label]
    if task is Task.REGRESSION:
        return {"r2": ("min", 0.1)}, "from a mean-predicting baseline (R² = 0): beat it"
    majority = float(y.value_counts(normalize=True).iloc[0])
    acc = min(0.99, _round(majority + 0.05, up=True))
    out = {
        "accuracy": ("min", acc),
        "balanced_accuracy": ("min", _round(1 / y.nunique() + 0.1, up=True)),
    }
    if task is Task.BINARY:
        out["roc_auc"] = ("min", 0.7)
    return out, (
        f"from the zero-rule baseline (majority class = {majority:.3f} of rows) plus a margin"
    )


def _from_model(frame, label, task, model, data, gate_dir) -> tuple[dict, str]:
    from mlgate.models import load_model

    spec_kw = (
        {"factory": model}
        if ":" in model and not Path(model).exists()
        else {"path": str(Path(model).resolve())}
    )
    adapter = load_model(
        ModelSpec(**spec_kw), name="candidate", base_dir=gate_dir, task=task, seed=0
    )
    ds = Dataset("evaluation", frame, DatasetSpec(path=str(data), label=label))
    preds = adapter.predict(ds.X).validate(len(ds), source="model 'candidate'")
    out = {}
    rng = np.random.default_rng(0)
    for name in _METRICS[task]:
        metric = METRICS[name]
        if task is Task.REGRESSION:
            y, output, k = np.asarray(ds.y, float), preds.values, 0
        else:
            classes = preds.classes
            y = encode_labels(ds.y, classes)
            raw = getattr(preds, metric.needs)
            if raw is None:
                continue
            output = encode_labels(raw, classes) if metric.needs == "labels" else raw
            k = len(classes)
        try:
            boot = percentile_bootstrap(
                lambda idx, m=metric, y=y, o=output, k=k: m.compute(y[idx], o[idx], k),
                len(y),
                rng=rng,
                n_resamples=300,
            )
        except UndefinedMetricError:
            continue
        if boot.interval is None:
            continue
        if metric.higher_is_better:
            out[name] = ("min", _round(boot.interval.low - 0.01, up=False))
        else:
            out[name] = ("max", _round(boot.interval.high * 1.05, up=True))
    return out, (
        "from the model's current performance (the 95% bootstrap bound, with a "
        "margin): the gate fails if a later candidate does worse"
    )


def _round(x: float, *, up: bool) -> float:
    return (math.ceil if up else math.floor)(x * 100) / 100


def _yaml_str(text: str) -> str:
    import yaml

    return yaml.safe_dump(text, default_style=None).strip().removesuffix("...").strip()
