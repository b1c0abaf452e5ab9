"""Known verdicts: the healthy MLP passes every probe, and each planted bug is caught by the
probe meant for it, with a message naming the bug."""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from training_nets import Net, adam, make_net

from mlgate.checks.training import ALL_PROBES, check_training
from mlgate.core.evidence import Block, Curve, Table
from mlgate.core.result import Status

CE = torch.nn.CrossEntropyLoss()


def probes_of(result) -> dict[str, dict]:
    """Each probe's status, message, plain evidence and blocks, from a result of several."""
    table = result.evidence["probes"]
    assert isinstance(table, Table) and table.columns == ("probe", "status", "message")
    out = {row["probe"]: {**row, **result.evidence.get(row["probe"], {})} for row in table.rows}
    for key, value in result.evidence.items():
        probe, dot, name = key.partition(".")
        if dot:
            assert isinstance(value, Block), key
            out[probe][name] = value
    return out


def failed(result) -> set[str]:
    return {name for name, p in probes_of(result).items() if p["status"] == "failed"}


@pytest.fixture(scope="module")
def healthy(digits_batch):
    return check_training(make_net, CE, adam, digits_batch, seed=0, device="cpu")


def test_healthy_model_passes_every_probe(healthy):
    assert healthy.status is Status.PASSED, healthy.message
    assert set(probes_of(healthy)) == set(ALL_PROBES)
    assert all(p["status"] == "passed" for p in probes_of(healthy).values())
    assert (healthy.metric, healthy.value, healthy.sample_size) == ("failed_probes", 0, 64)
    overfit = probes_of(healthy)["overfit"]
    assert overfit["step_reached"] <= 200
    assert overfit["batch_accuracy"] == 1.0
    curve = overfit["loss_curve"]
    assert (curve.xlabel, curve.ylabel) == ("step", "loss")
    assert curve.x[0] == 0 and curve.x[-1] == overfit["step_reached"]
    assert curve.y[-1] <= 0.01 < curve.y[0]


def test_evidence_of_several_probes_keeps_blocks_at_the_top_level(healthy):
    # The report draws only top-level blocks: a probe's curve or table nested inside its
    # mapping would never be drawn. Plain values stay under the probe's name.
    evidence = healthy.evidence
    assert [row["probe"] for row in evidence["probes"].rows] == list(ALL_PROBES)
    for key, value in evidence.items():
        if key in ALL_PROBES:
            assert not any(isinstance(v, Block) for v in value.values()), key
    assert isinstance(evidence["overfit.loss_curve"], Curve)
    assert isinstance(evidence["loss_decreases.loss_curve"], Curve)
    assert evidence["gradients.problems"].rows == ()
    assert json.loads(json.dumps(healthy.to_dict()))["evidence"]["overfit.loss_curve"]["type"] == (
        "curve"
    )


def test_parameters_without_gradient_are_a_table(digits_batch):
    result = check_training(
        functools.partial(make_net, frozen=True), CE, adam, digits_batch, probes=["gradients"]
    )
    assert result.status is Status.FAILED
    problems = result.evidence["problems"]
    assert isinstance(problems, Table) and problems.columns == ("parameter", "problem")
    assert [row["parameter"] for row in problems.rows] == ["hidden.weight"]


# Each case: (bug, setup pieces, the probe that must fail, what its message must say).
def _detached(out, y):
    return CE(out.detach(), y)


def _lr0(model):
    return torch.optim.SGD(model.parameters(), lr=0.0)


def _other_instance(model):
    return torch.optim.Adam(Net().parameters(), lr=1e-2)  # not the model being trained


def _nll_of_log_softmax_times_1000(out, y):
    probs = torch.softmax(out * 1000.0, dim=1)  # underflows to exactly 0 for most classes
    return -(F.one_hot(y, 10) * torch.log(probs)).sum(dim=1).mean()  # 0 * log(0) = NaN


def _leaky(digits_batch):
    X, y = digits_batch
    return np.column_stack([X, y / 9.0]).astype(np.float32), y


BUGS = {
    "frozen-layer": (
        dict(model_factory=functools.partial(make_net, frozen=True)),
        "gradients",
        r"'hidden\.weight' \(frozen: requires_grad=False",
    ),
    "detached-loss": (
        dict(loss_fn=_detached),
        "gradients",
        r"detached loss: the loss is detached: the model's output requires grad but the loss",
    ),
    "learning-rate-0": (
        dict(optimizer_factory=_lr0),
        "updates",
        r"4 of 4 trainable parameters were not updated .*learning rate is 0 in every "
        r"parameter group",
    ),
    "optimizer-over-other-parameters": (
        dict(optimizer_factory=_other_instance),
        "updates",
        r"does not hold 4 of the model's 4 trainable parameters but holds 4 tensor\(s\) that "
        r"are not the model's: it was built over other parameters",
    ),
    "log-of-zero-in-the-model": (
        dict(model_factory=functools.partial(make_net, log_inputs=True)),
        "finite",
        r"step 0: module 'log' \(Log\) is the first to produce non-finite values \(\d+ -inf",
    ),
    "log-of-zero-in-the-loss": (
        dict(loss_fn=_nll_of_log_softmax_times_1000),
        "finite",
        r"step 0: the loss is nan although every model output is finite: the loss function "
        r"made it \(log\(0\)",
    ),
    "labels-leaked-into-inputs": (
        dict(model_factory=functools.partial(make_net, n_in=65), batch=_leaky),
        "input_dependence",
        r"input column\(s\) 64 determine the target on the batch .*labels leaked into the inputs",
    ),
    "model-ignores-its-inputs": (
        dict(model_factory=functools.partial(make_net, by_position=True)),
        "input_dependence",
        r"with inputs zeroed the loss is .*the model ignores its inputs",
    ),
    "dropout-left-on-at-evaluation": (
        dict(model_factory=functools.partial(make_net, dropout_in_eval=True)),
        "eval_mode",
        r"in eval mode two forward passes on the same batch differ .*dropout .* stays on at "
        r"evaluation .*the forward code of the model itself \(Net\), outside its submodules, "
        r"just before submodule 'out'",
    ),
}


@pytest.mark.parametrize(("pieces", "probe", "pattern"), BUGS.values(), ids=BUGS.keys())
def test_planted_bug_is_caught_by_its_probe_with_a_message_naming_it(
    digits_batch, pieces, probe, pattern
):
    given = dict(model_factory=make_net, loss_fn=CE, optimizer_factory=adam, batch=digits_batch)
    given.update(pieces)
    if callable(given["batch"]):
        given["batch"] = given["batch"](digits_batch)
    result = check_training(**given, seed=0, device="cpu")
    assert result.status is Status.FAILED, result.message
    assert probe in failed(result), result.message
    assert result.value == len(failed(result))
    message = probes_of(result)[probe]["message"]
    assert re.search(pattern, message), message
    assert probe in result.message  # the check's own message names the failing probe


def test_frozen_layer_listed_in_expect_frozen_is_not_a_problem(digits_batch):
    result = check_training(
        functools.partial(make_net, frozen=True),
        CE,
        adam,
        digits_batch,
        probes=["gradients", "updates"],
        expect_frozen=["hidden.weight"],
    )
    assert result.status is Status.PASSED, result.message
    assert probes_of(result)["gradients"]["checked_parameters"] == 3


def test_learning_rate_0_also_fails_loss_decreases_and_overfit_naming_the_rate(digits_batch):
    result = check_training(make_net, CE, _lr0, digits_batch, max_steps=50)
    assert {"overfit", "loss_decreases", "updates"} <= failed(result)
    for probe in ("overfit", "loss_decreases"):
        assert "learning rate is 0" in probes_of(result)[probe]["message"]
    # Without learning, input dependence cannot be judged: never a pass.
    assert probes_of(result)["input_dependence"]["status"] == "inconclusive"


def test_too_small_a_step_budget_fails_overfit_with_its_curve(digits_batch):
    result = check_training(make_net, CE, adam, digits_batch, probes=["overfit"], max_steps=5)
    assert result.status is Status.FAILED
    assert result.message.startswith("overfit: could not overfit one batch of 64 rows in 5 steps")
    assert result.evidence["step_reached"] is None
    assert result.evidence["loss_curve"].x == (0, 1, 2, 3, 4)
    assert (result.threshold.op, result.threshold.bound) == ("<=", 0.01)
