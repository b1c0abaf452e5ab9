"""Helpers for the calibration and confidence tests (a unique module name; the fixtures are in
conftest.py): a gate file around one check, and data whose true probabilities are known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.special import expit, softmax

from mlgate.core.context import GateContext
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult
from mlgate.core.runner import run_gate

STAGE = "ci"


def write_gate(folder: Path, checks: list[dict], task: str, datasets=("evaluation",)) -> Path:
    config = {
        "name": "calibration",
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {name: {"factory": "unused:unused", "label": "y"} for name in datasets},
        "stages": {STAGE: {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_one(folder: Path, check: dict, model, data: dict, task: str = "binary") -> CheckResult:
    """Run one check through ``run_gate`` and return its result."""
    path = write_gate(folder, [check], task, datasets=tuple(data))
    result = run_gate(path, models={"candidate": model}, datasets=data)
    (r,) = result.results
    return r


def context(folder: Path, model, data: dict, task: str = "binary") -> GateContext:
    check = (
        {"check": "calibration"}
        if task == "regression"
        else {"check": "calibration", "max_ece": 0.1}
    )
    path = write_gate(folder, [check], task, tuple(data))
    return GateContext(open_gate(path), models={"candidate": model}, datasets=data)


def binary_frame(n: int, seed: int) -> pd.DataFrame:
    """A feature ``z`` (the true log-odds) and labels drawn with P(y = 1) = σ(z)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, n)
    y = (rng.random(n) < expit(z)).astype(int)
    return pd.DataFrame({"z": z, "y": y})


def multiclass_frame(n: int, seed: int, k: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, (n, k))
    p = softmax(z, axis=1)
    y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    frame = pd.DataFrame(z, columns=[f"z{j}" for j in range(k)])
    frame["y"] = y
    return frame


def binary_model(scale: float):
    """P(y = 1) = σ(scale · z): 1 is calibrated, > 1 sharpened, < 1 squashed (same ranking)."""

    def predict(X: pd.DataFrame) -> np.ndarray:
        p = expit(scale * X["z"].to_numpy())
        return np.column_stack([1.0 - p, p])

    return predict


def multiclass_model(scale: float):
    def predict(X: pd.DataFrame) -> np.ndarray:
        return softmax(scale * X.to_numpy(dtype=float), axis=1)

    return predict
