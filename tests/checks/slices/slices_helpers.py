"""Helpers for the slice tests (a unique module name; fixtures are in conftest.py): a gate
around one check, and data with a planted weak slice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from mlgate.core.context import GateContext
from mlgate.core.gate import open_gate
from mlgate.core.result import CheckResult
from mlgate.core.runner import run_gate

STAGE = "ci"


def write_gate(folder: Path, checks: list[dict], task: str = "binary", **dataset) -> Path:
    spec = {"factory": "unused:unused", "label": "y", **dataset}
    config = {
        "name": "slices",
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {"evaluation": spec},
        "stages": {STAGE: {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_one(folder: Path, check: dict, model, frame, task="binary", **dataset) -> CheckResult:
    path = write_gate(folder, [check], task, **dataset)
    result = run_gate(path, models={"candidate": model}, datasets={"evaluation": frame})
    (r,) = result.results
    return r


def context(folder: Path, model, frame, task="binary", **dataset) -> GateContext:
    path = write_gate(folder, [{"check": "slice_discovery"}], task, **dataset)
    return GateContext(open_gate(path), models={"candidate": model}, datasets={"evaluation": frame})


def planted(n: int, seed: int, weak_error: float = 0.6, base_error: float = 0.1) -> pd.DataFrame:
    """Features region (A–D), age (0–100), income, device; the label ``y`` is ``truth``
    flipped with probability ``base_error``, or ``weak_error`` where region = B and age ≥ 60.
    The model (:func:`oracle`) predicts ``truth``, so its errors are exactly the flips."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "region": rng.choice(list("ABCD"), n),
            "age": rng.uniform(0, 100, n),
            "income": rng.normal(50, 10, n),
            "device": rng.choice(["ios", "android", "web"], n),
            "truth": rng.integers(0, 2, n),
        }
    )
    weak = (frame["region"] == "B") & (frame["age"] >= 60)
    flip = rng.random(n) < np.where(weak, weak_error, base_error)
    frame["y"] = np.where(flip, 1 - frame["truth"], frame["truth"])
    return frame


def oracle(X: pd.DataFrame) -> np.ndarray:
    """Predicts ``truth`` with confidence 0.8."""
    p = np.where(X["truth"].to_numpy() == 1, 0.8, 0.2)
    return np.column_stack([1 - p, p])
