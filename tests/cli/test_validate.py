"""``mlgate validate``: everything a run checks before its first check, without running one."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate.cli import main
from mlgate.core.decision import ExitCode

REPO = Path(__file__).resolve().parents[2]


def gate(
    tmp_path: Path, models: str, data: str = "{path: eval.csv, label: y}", check: str = ""
) -> Path:
    module = "validate_models_" + re.sub(r"\W", "_", tmp_path.name)
    (tmp_path / f"{module}.py").write_text(
        "class M:\n"
        "    def predict(self, X):\n"
        "        raise AssertionError('validate never predicts')\n"
        "def fit():\n"
        "    return M()\n"
    )
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=50), "y": np.arange(50) % 2}).to_csv(
        tmp_path / "eval.csv", index=False
    )
    path = tmp_path / "mlgate.yaml"
    path.write_text(
        f"name: g\ntask: binary\nmodels: {{candidate: {models.replace('MOD', module)}}}\n"
        f"datasets: {{evaluation: {data}}}\n"
        "stages: {s: {checks: [{check: metric_threshold, metric: accuracy, min: 0.8"
        f"{check}}}]}}}}\n"
    )
    return path


def test_the_demo_gates_are_valid(capsys):
    files = [str(REPO / "suites" / "demo" / name) for name in ("mlgate.yaml", "mlgate-worse.yaml")]
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count(": valid") == 2


def test_a_valid_gate_loads_its_model_but_never_predicts(tmp_path, capsys):
    assert main(["validate", str(gate(tmp_path, "{factory: 'MOD:fit'}"))]) == 0


@pytest.mark.parametrize(
    ("models", "data", "check", "words"),
    [
        ("{path: nope.skops}", "{path: eval.csv, label: y}", "", "models.candidate"),
        ("{factory: 'MOD:fit'}", "{path: eval.csv, label: target}", "", "['target']"),
        ("{factory: 'MOD:fit'}", "{path: eval.csv, label: y}", ", n_resamples: 0", "n_resamples"),
    ],
)
def test_every_setup_or_gate_file_problem_is_exit_4_with_one_message(
    tmp_path, capsys, models, data, check, words
):
    assert main(["validate", str(gate(tmp_path, models, data, check))]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert words in err
    assert err.startswith("mlgate validate: ")


def test_schema_only_loads_nothing(tmp_path, capsys):
    path = gate(tmp_path, "{path: nope.skops}")
    assert main(["validate", "--schema-only", str(path)]) == 0


def test_the_pre_commit_hook_runs_the_schema_only_validation():
    import yaml

    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "mlgate-validate"
    assert hook["entry"] == "mlgate validate --schema-only"
    assert re.search(hook["files"], "gates/mlgate-prod.yaml")


def test_compare_outside_a_project_creates_no_database(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "run:1", "run:2"]) == ExitCode.USAGE_ERROR
    assert "no history database" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_output_into_a_closed_pipe_is_not_an_error(tmp_path):
    """`mlgate ... | head -1`: the reader leaves after one line."""
    import subprocess
    import sys

    code = (
        "import sys; from mlgate.cli import main; "
        f"sys.exit(main(['validate'] + [{str(REPO / 'suites/demo/mlgate.yaml')!r}] * 2000 "
        "+ ['--schema-only']))"
    )
    proc = subprocess.run(
        f'{sys.executable} -c "{code}" | head -1',
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.stdout.count("valid") == 1
    assert "BrokenPipeError" not in proc.stderr and "Traceback" not in proc.stderr
