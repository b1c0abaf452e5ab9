"""Shared fixtures: a tiny gate on synthetic data, written into a folder on demand."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

import mlgate.checks.performance.metric_threshold

# pytester's in-process runs restore sys.modules afterwards; NumPy cannot be imported twice
# in one process, so load the gate's heavy modules once, before any in-process run.
import mlgate.plugin.session  # noqa: F401

try:
    # pandas registers its Arrow extension types when its Parquet support is first imported;
    # imported inside an in-process run, the module is dropped when pytester restores
    # sys.modules and a later import registers the types twice (ArrowKeyError). Import it
    # once, before any in-process run.
    import pandas.core.arrays.arrow.extension_types  # noqa: F401
    import pyarrow.parquet  # noqa: F401
except ImportError:  # no pyarrow: the Parquet tests skip
    pass

# A module the tiny gate's factories live in. Written next to each gate file; the module
# name is unique per gate folder, so in-process runs never reuse a stale cached module.
GATE_MODULE = '''
import numpy as np
import pandas as pd

CALLS = []


def data(n=400, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    y = (x + 0.3 * rng.normal(size=n) > 0).astype(int)
    return pd.DataFrame({"x": x, "z": z, "y": y})


def _proba(col, counter):
    def predict(X):
        if counter:
            with open(counter, "a") as fh:
                fh.write("call\\n")
        p = 1.0 / (1.0 + np.exp(-5.0 * X[col].to_numpy()))
        return np.column_stack([1.0 - p, p])
    return predict


def good(counter=None):
    """Scores from the informative feature x: accuracy about 0.9."""
    return _proba("x", counter)


def bad(counter=None):
    """Scores from the noise feature z: accuracy about 0.5."""
    return _proba("z", counter)
'''


def default_stages() -> dict:
    return {
        "staging": {
            "checks": [
                {"check": "metric_threshold", "metric": "accuracy", "min": 0.8},
                {"check": "metric_threshold", "metric": "roc_auc", "min": 0.85},
            ]
        },
        "production": {
            "checks": [
                {"check": "metric_threshold", "metric": "accuracy", "min": 0.82},
                {"check": "metric_threshold", "metric": "log_loss", "max": 0.1, "severity": "warn"},
            ]
        },
    }


class GateWriter:
    """Writes a gate file and its factory module into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.module = "gatefix_" + "".join(ch if ch.isalnum() else "_" for ch in folder.name)

    def config(
        self,
        *,
        candidate: str = "good",
        stages: dict | None = None,
        counter: Path | None = None,
        **extra,
    ) -> dict:
        args = {"counter": str(counter)} if counter else {}
        cfg = {
            "name": "tiny",
            "task": "binary",
            "seed": 0,
            "models": {
                "candidate": {"factory": f"{self.module}:{candidate}", "args": args},
                "champion": {"factory": f"{self.module}:good"},
            },
            "datasets": {
                "reference": {"factory": f"{self.module}:data", "label": "y", "args": {"seed": 1}},
                "evaluation": {"factory": f"{self.module}:data", "label": "y", "args": {"seed": 7}},
            },
            "stages": stages if stages is not None else default_stages(),
        }
        cfg.update(extra)
        return cfg

    def write(self, name: str = "mlgate.yaml", config: dict | str | None = None, **kw) -> Path:
        (self.folder / f"{self.module}.py").write_text(GATE_MODULE)
        cfg = self.config(**kw) if config is None else config
        text = cfg if isinstance(cfg, str) else yaml.safe_dump(cfg, sort_keys=False)
        path = self.folder / name
        path.write_text(textwrap.dedent(text))
        return path


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch):
    """Tests run as on a developer's machine even when CI runs them under GitHub Actions
    (tox passes ``GITHUB_*`` through): no annotations unless a test asks for them, and no
    pytester run appends its summary to the real job summary."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def gate_writer(tmp_path: Path) -> GateWriter:
    return GateWriter(tmp_path)


@pytest.fixture(scope="session")
def gate_writer_class() -> type[GateWriter]:
    """The GateWriter class, for module- or session-scoped fixtures."""
    return GateWriter


def write_passed_in_gate(
    folder: Path,
    checks: list[dict],
    *,
    task: str = "binary",
    label: str | None = "y",
    time: str | None = None,
    datasets: tuple[str, ...] = ("reference", "evaluation"),
    name: str = "passed-in",
) -> Path:
    """A gate file with one stage ``ci`` whose models and datasets the test passes in
    (``run_gate(path, models=..., datasets=...)``): their factories are never called."""
    spec: dict = {"factory": "unused:unused"}
    if label:
        spec["label"] = label
    if time:
        spec["time"] = time
    config = {
        "name": name,
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {role: dict(spec) for role in datasets},
        "stages": {"ci": {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def write_gate():
    """``write_gate(folder, checks, task=..., label=..., time=...)`` → the gate file's path."""
    return write_passed_in_gate
