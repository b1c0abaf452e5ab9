"""A setup mistake (wrong model path, unimportable factory, missing column) is found before any
check runs and reported once, as a usage error; never a held model repeated on every check."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, SetupError
from mlgate.core.gate import open_gate
from mlgate.core.runner import run_check, run_gate

MODELS_PY = """
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
def fit():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["x0", "x1"])
    return LogisticRegression().fit(X, (X["x0"] > 0).astype(int))
"""


def project(tmp_path: Path, models: str, datasets: str, stages: str | None = None) -> Path:
    # a module name of its own per test: Python caches modules by name
    module = "preflight_models_" + re.sub(r"\W", "_", tmp_path.name)
    (tmp_path / f"{module}.py").write_text(MODELS_PY)
    models = models.replace("gate_models:", f"{module}:")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "y": (X[:, 0] > 0).astype(int)}).to_csv(
        tmp_path / "eval.csv", index=False
    )
    stages = stages or (
        "stages:\n  staging:\n    checks:\n"
        "      - {check: metric_threshold, metric: accuracy, min: 0.8}\n"
        "      - {check: metric_threshold, metric: roc_auc, min: 0.8}\n"
    )
    gate = tmp_path / "mlgate.yaml"
    gate.write_text(f"name: g\ntask: binary\nmodels:\n{models}\ndatasets:\n{datasets}\n{stages}")
    return gate


GOOD_MODEL = "  candidate: {factory: 'gate_models:fit'}"
GOOD_DATA = "  evaluation: {path: eval.csv, label: y}"


def test_a_healthy_gate_passes_preflight(tmp_path):
    run = run_gate(project(tmp_path, GOOD_MODEL, GOOD_DATA))
    assert [d.verdict.value for d in run.decisions] == ["promote"]


@pytest.mark.parametrize(
    ("models", "datasets", "words"),
    [
        ("  candidate: {path: no-such-model.skops}", GOOD_DATA, "models.candidate:"),
        ("  candidate: {factory: 'no_such_module:fit'}", GOOD_DATA, "cannot import module"),
        (GOOD_MODEL, "  evaluation: {path: eval.csv, label: target}", "['target']"),
        (GOOD_MODEL, "  evaluation: {path: missing.csv, label: y}", "file not found"),
    ],
)
def test_a_setup_mistake_is_one_setup_error_before_any_check(tmp_path, models, datasets, words):
    with pytest.raises(SetupError) as info:
        run_gate(project(tmp_path, models, datasets))
    text = str(info.value)
    assert isinstance(info.value, ConfigError)  # the plugin and the CLI exit 4 on it
    assert "1 setup problem(s), found before any check ran" in text
    assert words in text
    assert text.count("\n") == 1, "one problem, one line"


def test_every_setup_problem_is_listed_at_once(tmp_path):
    gate = project(
        tmp_path,
        "  candidate: {path: nope.skops}",
        "  evaluation: {path: missing.csv, label: y}",
    )
    with pytest.raises(SetupError, match=r"2 setup problem\(s\)") as info:
        run_gate(gate)
    assert "models.candidate" in str(info.value) and "datasets.evaluation" in str(info.value)


def test_a_model_only_an_unselected_stage_uses_is_not_loaded(tmp_path):
    stages = (
        "stages:\n  staging:\n    checks:\n"
        "      - {check: metric_threshold, metric: accuracy, min: 0.8}\n"
        "  production:\n    checks:\n"
        "      - {check: champion, metrics: [accuracy], margin: 0.05}\n"
    )
    models = GOOD_MODEL + "\n  champion: {path: not-there.skops}"
    gate = project(tmp_path, models, GOOD_DATA, stages)
    run = run_gate(gate, stages=["staging"])
    assert [d.verdict.value for d in run.decisions] == ["promote"]
    with pytest.raises(SetupError, match=r"models\.champion"):
        run_gate(gate, stages=["production"])


def test_a_failure_seen_by_many_checks_does_not_grow_its_traceback(tmp_path):
    gate = open_gate(project(tmp_path, "  candidate: {path: nope.skops}", GOOD_DATA))
    ctx = GateContext(gate)
    depths = []
    for _ in range(3):
        try:
            ctx.model("candidate")
        except Exception as exc:
            depths.append(len(traceback.extract_tb(exc.__traceback__)))
    assert len(set(depths)) == 1, depths
    results = [run_check(ctx, c) for c in gate.checks]
    first, second = (r.message for r in results)
    assert first == second
