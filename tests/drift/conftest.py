"""Helpers for the drift tests: a gate file whose data and models are passed in."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


def _write_gate(
    folder: Path,
    checks: list[dict],
    *,
    task: str = "binary",
    label: str | None = "y",
    time: str | None = None,
    datasets: tuple[str, ...] = ("reference", "evaluation"),
) -> Path:
    spec: dict = {"factory": "unused:unused"}
    if label:
        spec["label"] = label
    if time:
        spec["time"] = time
    config = {
        "name": "drift",
        "task": task,
        "seed": 0,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {name: dict(spec) for name in datasets},
        "stages": {"ci": {"checks": checks}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture
def write_gate():
    """``write_gate(folder, checks, task=..., label=..., time=...)`` → the gate file's path."""
    return _write_gate
