"""The seeded training loop every probe uses, watching for the first non-finite value.

Each run builds a fresh model and optimizer inside :func:`seeded`, which forks torch's global
random state, seeds it, and restores it afterwards: the same seed gives the same run, and the
caller's random state is untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mlgate.checks.training.hooks import describe_nonfinite, locate_nonfinite, record_calls, tensors
from mlgate.checks.training.spec import (
    DetachedLossError,
    TrainingSetup,
    TrainingSetupError,
    import_training_torch,
)


@contextlib.contextmanager
def seeded(seed: int, device: str) -> Iterator[None]:
    """Run the block with torch's CPU (and this CUDA device's) generator seeded to ``seed``;
    the previous random state is restored afterwards."""
    torch = import_training_torch()
    dev = torch.device(device)
    cuda = []
    if dev.type == "cuda":
        cuda = [dev.index if dev.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(int(seed))
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(int(seed))
        yield


@dataclass(frozen=True)
class NonFinite:
    """The first NaN or infinity of a run: at which step, in which stage, and where."""

    step: int
    stage: str  # inputs, parameters, output, loss, gradient, update
    where: str

    def describe(self) -> str:
        return f"step {self.step}: {self.where}"


@dataclass
class Trajectory:
    """One training run: the loss before each step, and how it ended."""

    losses: list[float]
    nonfinite: NonFinite | None = None
    reached: bool = False  # the loss fell to ``stop_below``; the model is left in that state
    model: Any = field(default=None, repr=False)
    optimizer: Any = field(default=None, repr=False)


def build(setup: TrainingSetup) -> tuple[Any, Any]:
    """A fresh model and its optimizer (call inside :func:`seeded`)."""
    model = setup.build_model()
    return model, setup.build_optimizer(model)


def forward(model: Any, x: Any, step: int) -> Any:
    """``model(x)``; a raised error becomes TrainingSetupError naming the step."""
    try:
        return model(x)
    except Exception as exc:
        raise TrainingSetupError(
            f"step {step}: the forward pass raised {type(exc).__name__}: {exc}"
        ) from exc


def compute_loss(setup: TrainingSetup, model: Any, out: Any, y: Any, step: int) -> Any:
    """The scalar loss; raises TrainingSetupError (not a scalar, raised) or
    DetachedLossError (the loss cannot reach the parameters)."""
    torch = import_training_torch()
    try:
        loss = setup.loss_fn(out, y)
    except Exception as exc:
        raise TrainingSetupError(
            f"step {step}: the loss raised {type(exc).__name__}: {exc} "
            f"(output shape {tuple(getattr(out, 'shape', ()))}, targets {tuple(y.shape)} "
            f"{y.dtype})"
        ) from exc
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise TrainingSetupError(
            f"the loss returned {shape}; expected a scalar tensor (reduce it, e.g. with .mean())"
        )
    if torch.is_grad_enabled() and not loss.requires_grad:
        raise DetachedLossError(_why_detached(model, out))
    return loss.reshape(())


def _why_detached(model: Any, out: Any) -> str:
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        return (
            "every parameter of the model is frozen (requires_grad=False), so the loss cannot "
            "be trained"
        )
    if not any(t.requires_grad for t in tensors(out)):
        return (
            "the model's output is detached from its parameters (no grad_fn): its forward "
            "cuts the graph (.detach(), .data, .numpy(), torch.no_grad(), or a tensor rebuilt "
            "from numbers)"
        )
    return (
        "the loss is detached: the model's output requires grad but the loss does not (no "
        "grad_fn), so backward() cannot reach any parameter. The loss function cuts the graph "
        "(.detach(), .item(), .data, .numpy(), torch.no_grad(), or a tensor rebuilt from numbers)"
    )


def rng_state(torch: Any, device: str) -> tuple[Any, Any]:
    cuda = torch.cuda.get_rng_state(device) if device.startswith("cuda") else None
    return torch.get_rng_state(), cuda


def set_rng_state(torch: Any, device: str, state: tuple[Any, Any]) -> None:
    torch.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state(state[1], device)


def locate_output(model: Any, x: Any, step: int, state: tuple[Any, Any], device: str) -> str:
    """Replay step ``step``'s forward pass (same random state) with hooks on every module
    and say which module first turned finite inputs into NaN or infinity."""
    torch = import_training_torch()
    set_rng_state(torch, device, state)
    with torch.no_grad(), record_calls(model) as calls:
        model(x)
    where = locate_nonfinite(calls)
    return where or "the model's output is not finite (the module that made it was not found)"


def nonfinite_names(named: list[tuple[str, Any]]) -> list[str]:
    torch = import_training_torch()
    flags = [torch.isfinite(t).all() for _, t in named]
    if not flags:
        return []
    ok = torch.stack(flags).tolist()  # one device-to-host copy
    return [name for (name, _), good in zip(named, ok, strict=True) if not good]


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def train(setup: TrainingSetup, steps: int, *, stop_below: float | None = None) -> Trajectory:
    """Train a fresh seeded model on the batch for up to ``steps`` steps (train mode).

    Each step records the loss before the update. The run stops at the first non-finite
    input, parameter, output, loss or gradient (``Trajectory.nonfinite`` says where), or, with
    ``stop_below``, as soon as the loss is at most ``stop_below`` (before that step's update,
    so the model is left in the state that reached it).

    Raises:
        TrainingSetupError: a piece raised or the loss is not a scalar.
        DetachedLossError: the loss cannot reach the parameters.
    """
    torch = import_training_torch()
    device = setup.device
    with seeded(setup.seed, device):
        model, opt = build(setup)
        x, y = setup.batch()
        traj = Trajectory(losses=[], model=model, optimizer=opt)
        bad = nonfinite_names([("inputs", t) for t in tensors(x) if t.is_floating_point()])
        if bad:
            traj.nonfinite = NonFinite(
                0, "inputs", f"the batch's inputs contain {describe_nonfinite(tensors(x))}"
            )
            return traj
        bad = nonfinite_names(list(model.named_parameters()))
        if bad:
            traj.nonfinite = NonFinite(
                0, "parameters", f"freshly built parameters {_names(bad)} are not finite"
            )
            return traj
        model.train()
        for step in range(steps):
            state = rng_state(torch, device)
            opt.zero_grad(set_to_none=True)
            out = forward(model, x, step)
            if not all(bool(torch.isfinite(t).all()) for t in tensors(out)):
                where = locate_output(model, x, step, state, device)
                traj.nonfinite = NonFinite(step, "output", where)
                return traj
            loss = compute_loss(setup, model, out, y, step)
            value = float(loss.detach())
            if not torch.isfinite(loss.detach()):
                traj.nonfinite = NonFinite(
                    step,
                    "loss",
                    f"the loss is {value} although every model output is finite: the loss "
                    "function made it (log(0), 0/0, sqrt of a negative, ...)",
                )
                return traj
            traj.losses.append(value)
            if stop_below is not None and value <= stop_below:
                traj.reached = True
                return traj
            try:
                loss.backward()
            except Exception as exc:
                raise TrainingSetupError(
                    f"step {step}: backward() raised {type(exc).__name__}: {exc}"
                ) from exc
            grads = [(n, p.grad) for n, p in model.named_parameters() if p.grad is not None]
            bad = nonfinite_names(grads)
            if bad:
                traj.nonfinite = NonFinite(
                    step,
                    "gradient",
                    f"the loss ({value:.4g}) is finite but the gradients of {_names(bad)} are "
                    "not (a NaN-producing backward, e.g. sqrt or log at 0)",
                )
                return traj
            try:
                opt.step()
            except Exception as exc:
                raise TrainingSetupError(
                    f"step {step}: optimizer.step() raised {type(exc).__name__}: {exc}"
                ) from exc
            bad = nonfinite_names(list(model.named_parameters()))
            if bad:
                traj.nonfinite = NonFinite(
                    step,
                    "update",
                    f"the optimizer step made {_names(bad)} non-finite "
                    f"({optimizer_hint(opt) or 'learning rate too high?'})",
                )
                return traj
    return traj


def learning_rates(opt: Any) -> list[float]:
    """Each parameter group's ``lr`` (as floats)."""
    rates = []
    for group in opt.param_groups:
        lr = group.get("lr")
        try:
            rates.append(float(lr))
        except (TypeError, ValueError):
            continue
    return rates


def optimizer_hint(opt: Any) -> str:
    """A known reason a healthy model would not learn, read off the optimizer, or ''."""
    rates = learning_rates(opt)
    if rates and all(r == 0.0 for r in rates):
        return f"the learning rate is 0 in every parameter group (lr={rates[0]:g})"
    if rates and max(rates) > 10:
        return f"the learning rate is very large (lr={max(rates):g})"
    return ""
