"""Without torch, the training package imports, the scikit-learn check works, and the torch
checks report which extra to install (torch is hidden from a subprocess's import system)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

HIDE_TORCH = """
import sys

class _Hide:
    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] == "torch":
            return None
        find = getattr(self._finder, "find_spec", None)
        return None if find is None else find(fullname, path, target)

    def __getattr__(self, attr):
        return getattr(self._finder, attr)

sys.meta_path[:] = [_Hide(finder) for finder in sys.meta_path]
"""

SCRIPT = """
import importlib.util
from pathlib import Path

import numpy as np
import yaml
from sklearn.tree import DecisionTreeClassifier

assert importlib.util.find_spec("torch") is None
import mlgate.checks.training as training
from mlgate.core.errors import MissingDependencyError
from mlgate.core.runner import run_gate

try:
    training.check_training(object, object, object, ([[1.0]], [0]))
except MissingDependencyError as exc:
    assert "pip install 'mlgate[torch]'" in str(exc), exc
    print("check_training: MissingDependencyError")

X = np.arange(60.0).reshape(30, 2)
y = np.arange(30) % 2
print("sklearn:", training.check_overfit_sample(DecisionTreeClassifier(), X, y).status.value)

refs = {"model": "m:f", "loss": "m:f", "optimizer": "m:f", "batch": "m:f"}
Path("mlgate.yaml").write_text(yaml.safe_dump({
    "name": "t", "task": "binary",
    "models": {"candidate": {"factory": "m:f"}},
    "datasets": {"evaluation": {"factory": "m:f", "label": "y"}},
    "stages": {"ci": {"checks": [{"check": "torch_overfit_batch", **refs}]}},
}))
(result,) = run_gate("mlgate.yaml").results
print("gate:", result.status.value, "|", result.message)
"""


@pytest.mark.slow
def test_training_without_torch_names_the_extra(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    env["PYTHONSAFEPATH"] = "1"
    source = HIDE_TORCH + textwrap.dedent(SCRIPT)
    proc = subprocess.run(
        [sys.executable, "-c", source],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "check_training: MissingDependencyError"
    assert lines[1] == "sklearn: passed"
    assert lines[2].startswith("gate: error | ")
    assert "PyTorch training checks needs the optional package 'torch'" in lines[2]
