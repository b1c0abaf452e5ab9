"""The training setup a probe works on: a model factory, a loss, an optimizer factory and one
batch, from Python objects or from the gate file's ``module:callable`` references.

torch is imported lazily: this module imports where torch is not installed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlgate.core.errors import MlgateError
from mlgate.core.imports import call_factory, resolve_callable

if TYPE_CHECKING:
    import torch as torch_t


class TrainingSetupError(MlgateError, ValueError):
    """A training check's model, loss, optimizer or batch cannot be built, or they do not
    fit together (a shape error, a loss that is not a scalar, ...)."""


class DetachedLossError(TrainingSetupError):
    """The loss does not require grad: backward() cannot reach the model's parameters."""


def import_training_torch() -> Any:
    """Return ``torch``; raises MissingDependencyError naming the ``torch`` extra."""
    from mlgate.core.errors import require

    return require("torch", extra="torch", feature="PyTorch training checks")


@dataclass(frozen=True, eq=False)
class TrainingSetup:
    """Everything a probe needs. Build it with :meth:`create`.

    ``inputs`` / ``targets`` are private CPU copies of the user's batch; :meth:`batch` hands
    out fresh copies on ``device``, so nothing the user gave is ever modified.
    """

    model_factory: Callable[..., Any]
    loss_fn: Callable[[Any, Any], Any]
    optimizer_factory: Callable[..., Any]
    inputs: torch_t.Tensor
    targets: torch_t.Tensor
    seed: int = 0
    device: str = "cpu"

    @classmethod
    def create(
        cls,
        model_factory: Callable[..., Any],
        loss_fn: Any,
        optimizer_factory: Callable[..., Any],
        batch: Any,
        *,
        seed: int = 0,
        device: str | None = None,
    ) -> TrainingSetup:
        """Validate and copy the pieces.

        ``model_factory()`` (given ``seed=`` when it has a ``seed`` parameter) returns a fresh
        ``torch.nn.Module``. ``loss_fn(output, targets)`` returns a scalar tensor; a loss class
        (``torch.nn.CrossEntropyLoss``) is instantiated with no arguments. ``optimizer_factory``
        is a ``torch.optim.Optimizer`` class (or a ``functools.partial`` of one), called with
        the model's parameters, or any other callable, called with the model. ``batch`` is
        ``(inputs, targets)``, a mapping with ``inputs``/``targets`` (or ``X``/``y``), or a
        callable returning one; arrays become tensors (float64 becomes float32).

        Raises:
            TrainingSetupError: a piece is not callable or the batch is malformed.
            MissingDependencyError: torch is not installed.
        """
        torch = import_training_torch()
        for what, obj in (
            ("model_factory", model_factory),
            ("optimizer_factory", optimizer_factory),
        ):
            if not callable(obj):
                raise TrainingSetupError(f"{what} must be callable, got {type(obj).__name__}")
        if inspect.isclass(loss_fn):
            loss_fn = loss_fn()
        if not callable(loss_fn):
            raise TrainingSetupError(
                "loss_fn must be callable as loss_fn(output, targets), got "
                f"{type(loss_fn).__name__}"
            )
        if callable(batch) and not isinstance(batch, (tuple, list, Mapping)):
            batch = _call_with_seed(batch, seed)
        inputs, targets = as_batch(torch, batch)
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        return cls(model_factory, loss_fn, optimizer_factory, inputs, targets, seed, str(device))

    @property
    def rows(self) -> int:
        return int(self.inputs.shape[0])

    def batch(self) -> tuple[torch_t.Tensor, torch_t.Tensor]:
        """Fresh copies of the batch on the setup's device."""
        return (
            self.inputs.to(self.device, copy=True),
            self.targets.to(self.device, copy=True),
        )

    def build_model(self) -> torch_t.nn.Module:
        """A fresh model on the device. Call inside :func:`mlgate.checks.training.loop.seeded`."""
        torch = import_training_torch()
        try:
            model = _call_with_seed(self.model_factory, self.seed)
        except Exception as exc:
            raise TrainingSetupError(
                f"the model factory {_name(self.model_factory)} raised {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(model, torch.nn.Module):
            raise TrainingSetupError(
                f"the model factory {_name(self.model_factory)} returned a "
                f"{type(model).__name__}; expected a torch.nn.Module"
            )
        return model.to(self.device)

    def build_optimizer(self, model: torch_t.nn.Module) -> torch_t.optim.Optimizer:
        """The optimizer for ``model``, from the optimizer factory."""
        torch = import_training_torch()
        factory = self.optimizer_factory
        try:
            opt = (
                factory(model.parameters())
                if _is_optimizer_class(torch, factory)
                else factory(model)
            )
        except Exception as exc:
            raise TrainingSetupError(
                f"the optimizer factory {_name(factory)} raised {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(opt, torch.optim.Optimizer):
            raise TrainingSetupError(
                f"the optimizer factory {_name(factory)} returned a {type(opt).__name__}; "
                "expected a torch.optim.Optimizer (a factory that is not an Optimizer class is "
                "called with the model)"
            )
        return opt


def as_batch(torch: Any, batch: Any) -> tuple[Any, Any]:
    """``(inputs, targets)`` as private CPU tensors. Raises TrainingSetupError."""
    if isinstance(batch, Mapping):
        keys = next(
            (k for k in (("inputs", "targets"), ("X", "y"), ("x", "y")) if k[0] in batch), None
        )
        if keys is None or keys[1] not in batch:
            raise TrainingSetupError(
                f"the batch mapping has keys {sorted(map(str, batch))}; expected 'inputs' and "
                "'targets' (or 'X' and 'y')"
            )
        batch = (batch[keys[0]], batch[keys[1]])
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TrainingSetupError(
            f"the batch is a {type(batch).__name__}; expected (inputs, targets) or a mapping "
            "with 'inputs' and 'targets'"
        )
    inputs, targets = (
        _tensor(torch, part, name) for part, name in zip(batch, ("inputs", "targets"), strict=True)
    )
    if inputs.ndim == 0 or targets.ndim == 0:
        raise TrainingSetupError("the batch's inputs and targets need a leading batch dimension")
    if len(inputs) != len(targets):
        raise TrainingSetupError(
            f"the batch has {len(inputs)} input rows but {len(targets)} targets; give one "
            "target per row"
        )
    if len(inputs) == 0:
        raise TrainingSetupError("the batch is empty; a training probe needs at least one row")
    return inputs, targets


def _tensor(torch: Any, part: Any, name: str) -> Any:
    if isinstance(part, torch.Tensor):
        return part.detach().to("cpu", copy=True)
    if hasattr(part, "to_numpy"):  # pandas
        part = part.to_numpy()
    try:
        arr = np.array(part)  # a copy: the user's array is never shared
    except Exception as exc:
        raise TrainingSetupError(f"the batch's {name} cannot be read as an array: {exc}") from exc
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)  # torch modules are float32 by default
    if arr.dtype.kind not in "biuf":
        raise TrainingSetupError(
            f"the batch's {name} have dtype {arr.dtype}; expected numbers (encode them first)"
        )
    return torch.from_numpy(arr)


def _is_optimizer_class(torch: Any, factory: Any) -> bool:
    func = factory.func if isinstance(factory, functools.partial) else factory
    return inspect.isclass(func) and issubclass(func, torch.optim.Optimizer)


def _call_with_seed(fn: Callable[..., Any], seed: int) -> Any:
    """``fn(seed=seed)`` when ``fn`` has a parameter named ``seed`` (not merely ``**kwargs``,
    which often forward to a constructor that has none), else ``fn()``."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn()
    seed_param = params.get("seed")
    takes_seed = seed_param is not None and seed_param.kind in (
        seed_param.POSITIONAL_OR_KEYWORD,
        seed_param.KEYWORD_ONLY,
    )
    return fn(seed=seed) if takes_seed else fn()


def _name(obj: Any) -> str:
    func = obj.func if isinstance(obj, functools.partial) else obj
    module = getattr(func, "__module__", None)
    qual = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}:{qual}" if module else qual


# -- from the gate file ----------------------------------------------------------------


def setup_from_references(
    *,
    model: str,
    model_args: Mapping[str, Any],
    loss: str,
    loss_args: Mapping[str, Any],
    optimizer: str,
    optimizer_args: Mapping[str, Any],
    batch: str,
    batch_args: Mapping[str, Any],
    base_dir: Path,
    seed: int,
    device: str | None,
) -> TrainingSetup:
    """Resolve the gate file's ``module:callable`` references (from ``base_dir``) into a
    :class:`TrainingSetup`.

    ``model`` is called with ``model_args`` (plus ``seed=``) for each fresh model; ``loss``
    is a loss class (instantiated with ``loss_args``) or a function ``loss(output, targets,
    **loss_args)``; ``optimizer`` is an Optimizer class (called with the parameters and
    ``optimizer_args``) or a factory called with the model and ``optimizer_args``; ``batch``
    is called once with ``batch_args`` (plus ``seed=``).

    Raises:
        TrainingSetupError: a reference cannot be imported or called.
    """

    def resolve(ref: str, what: str) -> Any:
        return resolve_callable(ref, base_dir=base_dir, what=what, error=TrainingSetupError)

    model_fn = functools.partial(resolve(model, "training model"), **model_args)
    loss_obj = resolve(loss, "training loss")
    if inspect.isclass(loss_obj):
        try:
            loss_fn = loss_obj(**loss_args)
        except Exception as exc:
            raise TrainingSetupError(
                f"training loss {loss!r} could not be built with {dict(loss_args)}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    else:
        loss_fn = functools.partial(loss_obj, **loss_args) if loss_args else loss_obj
    opt_fn = functools.partial(resolve(optimizer, "training optimizer"), **optimizer_args)
    data = call_factory(
        batch,
        args=batch_args,
        base_dir=base_dir,
        seed=seed,
        what="training batch",
        error=TrainingSetupError,
    )
    return TrainingSetup.create(model_fn, loss_fn, opt_fn, data, seed=seed, device=device)


__all__ = [
    "DetachedLossError",
    "TrainingSetup",
    "TrainingSetupError",
    "import_training_torch",
    "setup_from_references",
]
