"""Helpers for the behavioral checks' tests: gate files whose models and datasets are given
as objects to ``run_gate`` (the factories are never imported), and small models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.core.result import CheckResult
from mlgate.core.runner import run_gate

STAGE = "ci"


def write_gate(
    folder: Path,
    checks: list[dict],
    *,
    task: str = "binary",
    label: str | None = "y",
    sensitive: list[str] | None = None,
    features: list[str] | None = None,
) -> Path:
    dataset: dict = {"factory": "unused:unused"}
    if label:
        dataset["label"] = label
    if sensitive:
        dataset["sensitive"] = sensitive
    if features:
        dataset["features"] = features
    config = {
        "name": "behavior",
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {"evaluation": dataset},
        "stages": {STAGE: {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_check(
    folder: Path, check: dict, model, data: pd.DataFrame, *, seed: int | None = None, **gate
) -> CheckResult:
    """Run one check declared in a gate file on ``model`` and ``data``."""
    path = write_gate(folder, [check], **gate)
    run = run_gate(path, models={"candidate": model}, datasets={"evaluation": data}, seed=seed)
    (result,) = run.results
    return result


class CountingModel:
    """Wraps a function of the feature frame; counts calls and rows predicted."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.calls = 0
        self.rows = 0

    def __call__(self, X: pd.DataFrame):
        self.calls += 1
        self.rows += len(X)
        return self.fn(X)


def proba(p: np.ndarray) -> np.ndarray:
    return np.column_stack([1.0 - p, p])


@pytest.fixture
def bimodal() -> pd.DataFrame:
    """``x`` far from 0 on almost every row (two clusters at ±2), ``z`` standard normal noise
    (dense at 0), label = sign of x."""
    rng = np.random.default_rng(0)
    n = 2000
    x = np.where(rng.random(n) < 0.5, -2.0, 2.0) + rng.normal(0.0, 0.5, n)
    z = rng.normal(size=n)
    return pd.DataFrame({"x": x, "z": z, "y": (x > 0).astype(int)})
