"""mlgate.checks.behavior without the optional packages: it imports, the checks run, and a
feature that needs torch or Hypothesis names the extra to install. torch and hypothesis
are hidden from the import system in a subprocess, as if not installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

HIDE = """
import sys

class _Hide:
    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in ("torch", "hypothesis"):
            return None
        find = getattr(self._finder, "find_spec", None)
        return None if find is None else find(fullname, path, target)

    def __getattr__(self, attr):
        return getattr(self._finder, attr)

sys.meta_path[:] = [_Hide(f) for f in sys.meta_path]
"""

SCRIPT = """
import numpy as np, pandas as pd
from mlgate.checks.behavior import perturbation_check
from mlgate.checks.behavior.variants import resolve_transform
from mlgate.core.errors import MissingDependencyError

rng = np.random.default_rng(0)
X = pd.DataFrame({"z": rng.normal(size=500)})
result = perturbation_check(lambda X: (X["z"] > 0).astype(int).to_numpy(), X, task="binary",
                            max_flip_rate=0.01)
assert result.status.value == "failed", result.message
print("NOTE", result.evidence["minimal_note"])
pixels = pd.DataFrame(rng.random((3, 4)), columns=list("abcd"))
try:
    resolve_transform("brightness", pixels)(pixels, rng, pixels)
except MissingDependencyError as exc:
    print("TORCH", exc)
assert "torch" not in sys.modules and "hypothesis" not in sys.modules
"""


@pytest.mark.slow  # a fresh interpreter importing pandas, scikit-learn and scipy
def test_checks_run_and_missing_extras_are_named():
    code = HIDE + textwrap.dedent(SCRIPT)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "NOTE shrinking counterexamples needs the optional package 'hypothesis'" in proc.stdout
    assert "pip install 'mlgate[hypothesis]'" in proc.stdout
    assert "TORCH image transformations needs the optional package 'torch'" in proc.stdout
    assert "pip install 'mlgate[torch]'" in proc.stdout
