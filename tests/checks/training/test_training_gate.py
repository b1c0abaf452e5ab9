"""The training checks from a gate file: registration, references resolved from the gate's
folder, validation before anything runs, the demo gate, and the Python API in a marker test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch  # noqa: F401  (imported before any in-process pytester run)
import yaml

from mlgate.checks.training.checks import TORCH_OVERFIT_BATCH, TORCH_TRAINING_SANITY
from mlgate.core.context import GateContext
from mlgate.core.decision import ExitCode, Verdict
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.registry import CheckRegistry
from mlgate.core.result import Status
from mlgate.core.runner import run_gate

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "suites" / "torch_digits"

FACTORIES = """
import torch
from sklearn.datasets import load_digits
from torch import nn


def make_mlp(n_in=64, frozen=False):
    model = nn.Sequential(nn.Linear(n_in, 32), nn.ReLU(), nn.Linear(32, 10))
    if frozen:
        model[0].weight.requires_grad_(False)
    return model


def make_optimizer(model, lr=0.01):
    return torch.optim.Adam(model.parameters(), lr=lr)


def batch(rows=64, seed=None):
    BATCH_SEEDS.append(seed)
    d = load_digits()
    return (d.data[:rows] / 16.0).astype("float32"), d.target[:rows]


BATCH_SEEDS = []
"""


def write_gate(folder: Path, checks: list[dict], task: str = "multiclass") -> Path:
    module = "trainfix_" + "".join(ch if ch.isalnum() else "_" for ch in folder.name)
    (folder / f"{module}.py").write_text(FACTORIES)
    refs = {
        "model": f"{module}:make_mlp",
        "loss": "torch.nn:CrossEntropyLoss",
        "optimizer": f"{module}:make_optimizer",
        "batch": f"{module}:batch",
    }
    config = {
        "name": "training",
        "task": task,
        "seed": 5,
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {"evaluation": {"factory": "unused:unused", "label": "y"}},
        "stages": {"ci": {"checks": [{**refs, **c} for c in checks]}},
    }
    path = folder / "mlgate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_checks_are_registered_through_entry_points():
    registry = CheckRegistry.from_entry_points()
    for name in ("torch_overfit_batch", "torch_training_sanity", "sklearn_overfit_sample"):
        check = registry.get(name)
        assert (check.name, check.kind) == (name, "training")
        assert check.summary and check.validate is not None


def test_gate_file_training_checks_pass_on_a_healthy_setup(tmp_path):
    path = write_gate(
        tmp_path,
        [
            {"check": "torch_overfit_batch", "min_accuracy": 1.0},
            {"check": "torch_training_sanity"},
            {"check": "torch_training_sanity", "probes": ["gradients", "updates"]},
        ],
    )
    run = run_gate(path)
    assert [r.check_id for r in run.results] == [
        "torch-overfit-batch",
        "torch-training-sanity",
        "torch-training-gradients-updates",
    ]
    assert all(r.status is Status.PASSED for r in run.results), [r.message for r in run.results]
    assert all(r.kind == "training" and r.evidence["seed"] == 5 for r in run.results)
    assert run.decisions[0].verdict is Verdict.PROMOTE
    overfit = run.results[0]
    assert overfit.evidence["batch_accuracy"] == 1.0
    assert overfit.evidence["model"].endswith(":make_mlp")
    json.dumps(overfit.to_dict())  # evidence is JSON-able


def test_gate_file_arguments_reach_the_factories(tmp_path):
    path = write_gate(
        tmp_path,
        [
            {
                "check": "torch_training_sanity",
                "probes": ["gradients", "updates"],
                "model_args": {"frozen": True},
                "optimizer_args": {"lr": 0.0},
                "batch_args": {"rows": 32},
            }
        ],
    )
    (result,) = run_gate(path).results
    assert result.status is Status.FAILED
    assert result.sample_size == 32
    messages = {row["probe"]: row["message"] for row in result.evidence["probes"].rows}
    assert "'0.weight' (frozen: requires_grad=False" in messages["gradients"]
    assert "learning rate is 0 in every parameter group" in messages["updates"]
    assert result.evidence["gradients.problems"].rows[0] == {
        "parameter": "0.weight",
        "problem": "frozen: requires_grad=False (list it in expect_frozen if meant)",
    }


def test_optimizer_class_and_loss_function_references(tmp_path):
    path = write_gate(
        tmp_path,
        [
            {
                "check": "torch_training_sanity",
                "probes": ["loss_decreases", "updates"],
                "optimizer": "torch.optim:SGD",
                "optimizer_args": {"lr": 0.5},
                "loss": "torch.nn.functional:cross_entropy",
                "loss_args": {"label_smoothing": 0.1},
            }
        ],
    )
    (result,) = run_gate(path).results
    assert result.status is Status.PASSED, result.message


def test_batch_factory_gets_the_gate_seed(tmp_path):
    path = write_gate(tmp_path, [{"check": "torch_training_sanity", "probes": ["gradients"]}])
    run_gate(path, seed=9)
    module = __import__("trainfix_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name))
    assert module.BATCH_SEEDS == [9]


def test_overfit_one_batch_at_three_seeds_all_must_pass(tmp_path):
    path = write_gate(tmp_path, [{"check": "torch_overfit_batch", "seeds": [1, 2, 3]}])
    (result,) = run_gate(path).results
    module = __import__("trainfix_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name))
    assert module.BATCH_SEEDS == [1, 2, 3]  # each seed was a fresh run of the check
    assert result.status is Status.PASSED, result.message
    assert [row["seed"] for row in result.evidence["seeds"].rows] == [1, 2, 3]
    assert result.evidence["seed"] == 1  # the headline is the first of the (equal) worst


def test_check_type_called_from_python_gives_the_gate_file_result(tmp_path):
    check = {"check": "torch_training_sanity", "probes": ["gradients", "eval_mode"]}
    path = write_gate(tmp_path, [check])
    (from_gate,) = run_gate(path).results
    declared = yaml.safe_load(path.read_text())["stages"]["ci"]["checks"][0]
    params = {k: v for k, v in declared.items() if k != "check"}
    ctx = GateContext(open_gate(path))
    called = TORCH_TRAINING_SANITY(ctx, **params)
    assert called.check_id == "torch-training-gradients-eval-mode"
    for field in ("status", "value", "threshold", "sample_size", "message", "evidence"):
        assert getattr(called, field) == getattr(from_gate, field), field
    refs = {k: params[k] for k in ("model", "loss", "optimizer", "batch")}
    with pytest.raises(ConfigError, match="max_steps"):
        TORCH_OVERFIT_BATCH(ctx, **refs, max_steps=0)


def test_missing_module_is_an_error_naming_the_reference(tmp_path):
    path = write_gate(tmp_path, [{"check": "torch_overfit_batch", "model": "nowhere:make"}])
    (result,) = run_gate(path).results
    assert result.status is Status.ERROR
    assert "training model: 'nowhere:make'" in result.message
    assert "cannot import module 'nowhere'" in result.message


@pytest.mark.parametrize(
    ("check", "task", "where", "says"),
    [
        ({"model": "no_colon"}, "multiclass", "model", "String should match pattern"),
        ({"probes": ["gradient"]}, "multiclass", "probes[0]", "got 'gradient': Input should be"),
        ({"probes": ["finite", "finite"]}, "multiclass", "probes", "listed more than once"),
        ({"probes": []}, "multiclass", "probes", "at least 1 item"),
        ({"steps": 1}, "multiclass", "steps", "greater than or equal to 2"),
        ({"max_step": 3}, "multiclass", "max_step", "unknown key"),
        ({"expect_frozen": [" "]}, "multiclass", "", "empty parameter name pattern"),
        ({"min_accuracy": 0.9}, "regression", "min_accuracy", "applies to classification"),
        ({"model_args": {"seed": 1}}, "multiclass", "model_args", "do not pass 'seed'"),
    ],
    ids=[
        "reference-without-colon",
        "unknown-probe",
        "repeated-probe",
        "no-probe",
        "too-few-steps",
        "misspelt-key",
        "blank-pattern",
        "accuracy-on-regression",
        "seed-in-args",
    ],
)
def test_bad_parameters_are_rejected_before_anything_runs(tmp_path, check, task, where, says):
    path = write_gate(tmp_path, [{"check": "torch_training_sanity", **check}], task=task)
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    text = str(info.value)
    assert f"stages.ci.checks[0]{'.' + where if where else ''}" in text
    assert says in text


# -- the demo -----------------------------------------------------------------------------


@pytest.mark.slow
def test_torch_digits_demo_promotes_and_its_buggy_twin_is_held():
    run = run_gate(DEMO / "mlgate.yaml")
    assert [d.verdict for d in run.decisions] == [Verdict.PROMOTE, Verdict.PROMOTE]
    by_id = {r.check_id: r for r in run.results}
    assert by_id["torch-overfit-batch"].evidence["step_reached"] <= 300
    assert by_id["accuracy"].interval.low >= 0.95

    buggy = run_gate(DEMO / "mlgate-buggy.yaml")
    staging = buggy.decisions[0]
    assert staging.verdict is Verdict.HOLD
    (reason,) = staging.reasons
    assert reason.startswith("torch-training-sanity failed: 1 failed of 7 training probes")
    assert "eval_mode failed: in eval mode two forward passes" in reason
    assert "just before submodule 'out'" in reason


# -- the Python API in a marker test ------------------------------------------------------

MARKER_TESTS = """
import functools
import pytest
import torch
from mlgate.checks.training import check_training
from {module} import batch, make_mlp, make_optimizer


@pytest.mark.mlgate(kind="training", id="healthy-training")
def test_healthy(mlgate, mlgate_record):
    mlgate_record(check_training(make_mlp, torch.nn.CrossEntropyLoss(), make_optimizer,
                                 batch(), seed=mlgate.seed, probes=["gradients", "updates"]))


@pytest.mark.mlgate(kind="training", id="frozen-training")
def test_frozen(mlgate, mlgate_record):
    mlgate_record(check_training(functools.partial(make_mlp, frozen=True),
                                 torch.nn.CrossEntropyLoss(), make_optimizer, batch(),
                                 seed=mlgate.seed, probes=["gradients"]))
"""


@pytest.mark.slow
def test_check_training_result_recorded_from_a_marker_test(pytester):
    path = write_gate(pytester.path, [{"check": "torch_training_sanity", "probes": ["eval_mode"]}])
    module = next(p.stem for p in pytester.path.glob("trainfix_*.py"))
    pytester.makepyfile(test_marker_training=MARKER_TESTS.format(module=module))
    result = pytester.runpytest("--mlgate", "--mlgate-file", str(path), "-p", "no:cacheprovider")
    assert result.ret == ExitCode.HOLD
    result.stdout.fnmatch_lines(
        [
            "*PASSED*block ci::healthy-training failed_probes=0*",
            "*FAILED*block ci::frozen-training*'0.weight' (frozen: requires_grad=False*",
            "stage ci: HOLD",
        ]
    )
