"""The probes' machinery: setup validation, seeding, where non-finite values are named, the
leak test against hand-made cases, and probes on other kinds of targets."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from torch import nn
from training_nets import adam, make_net

from mlgate.checks.training import TrainingSetupError, check_training
from mlgate.checks.training.hooks import max_difference
from mlgate.checks.training.inputs import derangement, label_determining_columns
from mlgate.checks.training.options import default_tolerance
from mlgate.checks.training.probes import CURVE_POINTS, curve
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Curve
from mlgate.core.result import Status

CE = nn.CrossEntropyLoss()


def run(batch, probes, model=make_net, loss=CE, optimizer=adam, **options):
    return check_training(model, loss, optimizer, batch, probes=probes, device="cpu", **options)


# -- seeding and the caller's data ----------------------------------------------------------


def test_global_torch_random_state_is_restored(digits_batch):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    run(digits_batch, ["determinism", "eval_mode"])
    assert torch.equal(torch.get_rng_state(), before)


class _InPlace(nn.Module):
    """Writes into its input (bad manners, but it happens)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = make_net()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x.mul_(1.0001)
        return self.net(x)


def test_the_callers_batch_is_never_modified(digits_batch):
    X, y = digits_batch
    X_t, y_t = torch.from_numpy(X.copy()), torch.from_numpy(y.copy())
    X_before, y_before = X_t.clone(), y_t.clone()
    result = run((X_t, y_t), ["gradients", "eval_mode", "determinism"], model=_InPlace)
    assert result.status is Status.PASSED, result.message
    assert torch.equal(X_t, X_before) and torch.equal(y_t, y_before)


class _NumpyNoise(nn.Module):
    """Adds noise from an unseeded NumPy generator: not reproducible."""

    def __init__(self) -> None:
        super().__init__()
        self.net = make_net()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        noise = np.random.default_rng().normal(0, 0.01, size=x.shape).astype(np.float32)
        return self.net(x + torch.from_numpy(noise))


def test_unseeded_randomness_fails_determinism(digits_batch):
    result = run(digits_batch, ["determinism"], model=_NumpyNoise)
    assert result.status is Status.FAILED
    assert "differ from step 0" in result.message
    assert "not seeded from torch" in result.message
    assert result.evidence["first_difference"]["step"] == 0


def test_same_seed_same_losses_and_other_seed_other_losses(digits_batch):
    a, b, c = (
        run(digits_batch, ["loss_decreases"], seed=s).evidence["loss_curve"] for s in (3, 3, 4)
    )
    assert a == b
    assert a != c


def test_default_tolerance_is_exact_on_cpu_only():
    assert default_tolerance(None, "cpu") == 0.0
    assert default_tolerance(None, "cuda:0") == 1e-5
    assert default_tolerance(0.5, "cpu") == 0.5


# -- where non-finite values arise ---------------------------------------------------------


class _LearnedContrast(nn.Module):
    """sqrt(gain * x) is finite going forward, but at the zero pixels its gradient with
    respect to ``gain`` is inf * 0 = NaN."""

    def __init__(self) -> None:
        super().__init__()
        self.gain = nn.Parameter(torch.tensor(1.0))
        self.net = make_net()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(torch.sqrt(x * self.gain))


def test_non_finite_gradient_is_named_by_parameter(digits_batch):
    result = run(digits_batch, ["finite"], model=_LearnedContrast)
    assert result.status is Status.FAILED
    assert "step 0: the loss" in result.message
    assert "is finite but the gradients of 'gain' are not" in result.message
    assert result.evidence["nonfinite"] == {"step": 0, "stage": "gradient"}


def test_infinite_learning_rate_is_named_at_the_update(digits_batch):
    sgd = functools.partial(torch.optim.SGD, lr=float("inf"))
    result = run(digits_batch, ["finite"], optimizer=sgd)
    assert result.status is Status.FAILED
    assert "step 0: the optimizer step made 'hidden.weight'" in result.message
    assert "learning rate is very large (lr=inf)" in result.message


def test_nan_in_the_batch_is_named_before_any_step(digits_batch):
    X, y = digits_batch
    X = X.copy()
    X[3, 5] = np.nan
    result = run((X, y), ["finite"])
    assert result.status is Status.FAILED
    assert "step 0: the batch's inputs contain 1 NaN" in result.message


def test_max_difference_treats_matching_nan_and_inf_as_equal():
    a = torch.tensor([1.0, float("nan"), float("inf")])
    assert max_difference(a, a.clone()) == 0.0
    assert max_difference(a, torch.tensor([1.5, float("nan"), float("inf")])) == 0.5
    assert max_difference(a, torch.tensor([1.0, 0.0, float("inf")])) == float("inf")


# -- detached graphs --------------------------------------------------------------------------


class _DetachedOutput(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = make_net()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).detach()


def _all_frozen() -> nn.Module:
    return make_net().requires_grad_(False)


@pytest.mark.parametrize(
    ("model", "says"),
    [
        (_DetachedOutput, "the model's output is detached from its parameters"),
        (_all_frozen, "every parameter of the model is frozen"),
    ],
    ids=["output-detached-in-forward", "everything-frozen"],
)
def test_detached_graph_says_where_it_was_cut(digits_batch, model, says):
    result = run(digits_batch, ["gradients", "loss_decreases"], model=model)
    assert result.status is Status.FAILED
    messages = {row["probe"]: row["message"] for row in result.evidence["probes"].rows}
    for probe in ("gradients", "loss_decreases"):
        assert says in messages[probe]


# -- a setup that cannot run is an error, never a pass ------------------------------------


def test_shape_error_is_an_error_naming_the_forward_pass(digits_batch):
    result = run(digits_batch, ["overfit", "gradients"], model=functools.partial(make_net, n_in=5))
    assert result.status is Status.ERROR
    assert "the forward pass raised RuntimeError" in result.message
    assert "shapes cannot be multiplied" in result.message


def test_loss_that_is_not_a_scalar_is_an_error(digits_batch):
    per_row = nn.CrossEntropyLoss(reduction="none")
    result = run(digits_batch, ["loss_decreases"], loss=per_row)
    assert result.status is Status.ERROR
    assert "the loss returned (64,); expected a scalar tensor" in result.message


def test_factory_returning_something_else_is_an_error(digits_batch):
    result = run(digits_batch, ["gradients"], model=lambda: "not a module")
    assert result.status is Status.ERROR
    assert "returned a str; expected a torch.nn.Module" in result.message


@pytest.mark.parametrize(
    "optimizer",
    [torch.optim.Adam, functools.partial(torch.optim.SGD, lr=0.1)],
    ids=["optimizer-class", "partial-of-a-class"],
)
def test_optimizer_classes_are_called_with_the_parameters(digits_batch, optimizer):
    result = run(digits_batch, ["updates"], optimizer=optimizer)
    assert result.status is Status.PASSED, result.message
    assert result.evidence["optimizer_tensors"] == 4


def test_batch_as_mapping_or_callable(digits_batch):
    X, y = digits_batch
    for batch in ({"X": X, "y": y}, {"inputs": X, "targets": y}, lambda: (X, y)):
        assert run(batch, ["gradients"]).status is Status.PASSED


@pytest.mark.parametrize(
    ("batch", "says"),
    [
        ((np.zeros((4, 64)), np.zeros(3)), "4 input rows but 3 targets"),
        ((np.zeros((0, 64)), np.zeros(0)), "the batch is empty"),
        (np.zeros((4, 64)), "expected (inputs, targets)"),
        ({"features": 1}, "expected 'inputs' and 'targets'"),
        ((np.array([["a"] * 64] * 4), np.zeros(4)), "dtype <U1; expected numbers"),
    ],
    ids=["length-mismatch", "empty", "no-targets", "bad-keys", "strings"],
)
def test_malformed_batch_is_a_setup_error(batch, says):
    with pytest.raises(TrainingSetupError) as info:
        run(batch, ["gradients"])
    assert says in str(info.value)


def test_unknown_probe_or_option_is_a_config_error(digits_batch):
    with pytest.raises(ConfigError, match=r"probes: unknown \['gradient'\]"):
        run(digits_batch, ["gradient"])
    with pytest.raises(ConfigError, match=r"max_step: Extra inputs are not permitted"):
        run(digits_batch, ["gradients"], max_step=3)
    with pytest.raises(ConfigError, match=r"steps: Input should be greater than or equal to 2"):
        run(digits_batch, ["gradients"], steps=1)


# -- other targets ------------------------------------------------------------------------------


def _regressor() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1), nn.Flatten(0))


def test_regression_targets(digits_batch):
    X, _ = digits_batch
    y = (X[:, 20] * 3 + X[:, 40] - X[:, 10]).astype(np.float32)  # a function of the inputs
    result = run((X, y), None, model=_regressor, loss=nn.MSELoss(), target_loss=1e-3)
    assert result.status is Status.PASSED, result.message
    assert result.evidence["overfit"]["batch_accuracy"] is None


def test_binary_targets_with_one_logit(digits_batch):
    X, digits = digits_batch
    y = (digits % 2).astype(np.float32)

    def model() -> nn.Module:
        return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1), nn.Flatten(0))

    result = run((X, y), ["overfit"], model=model, loss=nn.BCEWithLogitsLoss(), min_accuracy=1.0)
    assert result.status is Status.PASSED, result.message
    assert result.evidence["batch_accuracy"] == 1.0


def test_tiny_batch_makes_input_dependence_inconclusive(digits_batch):
    X, y = digits_batch
    result = run((X[:3], y[:3]), ["input_dependence"])
    assert result.status is Status.INCONCLUSIVE
    assert "needs at least 4" in result.message


# -- the leak test and helpers against hand-made cases --------------------------------------


def test_label_determining_columns_on_hand_made_data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 10)
    noise = rng.normal(size=(40, 2))
    key = (y * 7 + 1.5)[:, None]  # a label re-encoded: one value per class
    ids = np.arange(40.0)[:, None]  # unique per row: proves nothing
    coarse = (y // 2)[:, None]  # merges classes: not a key
    found = label_determining_columns(np.hstack([noise, key, ids, coarse]), y)
    assert found == [{"column": 2, "values": 4, "rule": "class key"}]
    assert label_determining_columns(np.hstack([noise, key]), np.zeros(40)) == []


def test_label_determining_columns_for_real_valued_targets():
    rng = np.random.default_rng(1)
    y = rng.normal(size=50)
    x = np.column_stack([rng.normal(size=50), np.exp(y), y + rng.normal(0, 0.5, 50)])
    assert label_determining_columns(x, y) == [{"column": 1, "values": 50, "rule": "rank order"}]


@pytest.mark.parametrize("n", [2, 3, 7, 64])
def test_derangement_moves_every_row(n):
    perm = derangement(n, np.random.default_rng(n))
    assert sorted(perm) == list(range(n))
    assert not np.any(perm == np.arange(n))


def test_curve_keeps_first_and_last_and_at_most_the_limit():
    losses = [float(i) for i in range(1000)]
    points = curve(losses)
    assert isinstance(points, Curve) and (points.xlabel, points.ylabel) == ("step", "loss")
    assert len(points.x) == len(points.y) == CURVE_POINTS
    assert (points.x[0], points.y[0]) == (0, 0.0) and (points.x[-1], points.y[-1]) == (999, 999.0)
    short = curve(losses[:7])
    assert short.x == tuple(range(7)) and short.y == tuple(float(i) for i in range(7))
    assert curve([]).x == ()


def test_overfit_verdict_does_not_depend_on_the_global_random_state(digits_batch):
    # Regression: the eval-mode accuracy after overfitting ran outside the seeded block, so
    # for a model whose eval mode is random (dropout left on) the verdict followed whatever
    # torch.manual_seed an earlier test or user code had set.
    model = functools.partial(make_net, dropout_in_eval=True)
    seen = set()
    for global_seed in range(6):
        torch.manual_seed(global_seed)
        result = run(digits_batch, ["overfit"], model=model, target_loss=0.5, min_accuracy=1.0)
        seen.add((result.status, result.evidence["batch_accuracy"]))
    assert len(seen) == 1
