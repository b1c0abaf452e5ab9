"""Adapter for ``torch.nn.Module`` models: batched inference with out-of-memory backoff.

torch is imported lazily, so this module imports fine where torch is not installed.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlgate.core.errors import PredictionError, require
from mlgate.core.task import Task
from mlgate.models.base import Predictions
from mlgate.models.callable import predictions_from_scores

if TYPE_CHECKING:
    import torch as torch_t

#: ``autocast`` values and the torch dtype (by name, so torch is not imported here).
AUTOCAST_DTYPES: dict[str | None, str | None] = {
    None: None,
    "none": None,
    "bf16": "bfloat16",
    "fp16": "float16",
}


def import_torch() -> Any:
    """Return the ``torch`` module.

    Raises:
        MissingDependencyError: torch is not installed (names the ``torch`` extra).
    """
    return require("torch", extra="torch", feature="PyTorch models")


class TorchAdapter:
    """Runs ``module`` over the feature frame in batches under ``torch.inference_mode()``.

    Binary: an ``(n,)`` or ``(n, 1)`` output is a logit (sigmoid gives ``[1 - p, p]``); an
    ``(n, 2)`` output is softmaxed. Multiclass: ``(n, k)`` logits, softmaxed. Regression:
    ``(n,)`` or ``(n, 1)`` values. ``classes`` default to ``range(k)``.

    ``device=None`` picks ``"cuda"`` when available, else ``"cpu"``, at prediction time;
    the module is moved there (in place) and stays there.

    ``autocast`` (``None``/``"none"``, ``"bf16"`` or ``"fp16"``) runs the forward passes under
    ``torch.autocast`` with that dtype on the chosen device; outputs are cast back to float32
    before softmax. Whatever the batch count, the results cross to the CPU once.
    """

    kind = "torch"

    def __init__(
        self,
        module: torch_t.nn.Module,
        task: Task,
        classes: Sequence[Any] | None = None,
        batch_size: int = 1024,
        device: str | None = None,
        autocast: str | None = None,
        seed: int = 0,
    ) -> None:
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if autocast not in AUTOCAST_DTYPES:
            raise ValueError(
                f"autocast must be one of {sorted(k for k in AUTOCAST_DTYPES if k)} or None, "
                f"got {autocast!r}"
            )
        self.module = module
        self.task = Task(task)
        self.classes = None if classes is None else tuple(classes)
        self.batch_size = int(batch_size)
        self.device = device
        self.autocast = AUTOCAST_DTYPES[autocast]
        #: Seeds torch's generator for each prediction pass (on a forked generator state, so
        #: the caller's is untouched): a module that samples at inference (dropout left on,
        #: stochastic layers) gives the same predictions for the same gate seed.
        self.seed = int(seed)

    @property
    def _name(self) -> str:
        cls = type(self.module)
        return f"{cls.__module__}.{cls.__qualname__}"

    def resolved_device(self) -> str:
        """Return the device predictions run on: the one given, else cuda when available."""
        if self.device is not None:
            return str(self.device)
        return "cuda" if import_torch().cuda.is_available() else "cpu"

    def predict(self, X: pd.DataFrame) -> Predictions:
        """Return predictions for every row of ``X`` (converted to float32).

        Raises:
            PredictionError: ``X`` has non-numeric columns, the module raised or returned an
                output of the wrong shape, or ran out of memory even at batch size 1.
        """
        torch = import_torch()
        inputs = _float32_inputs(X, self._name)
        device = self.resolved_device()
        try:
            self.module.to(device)
        except Exception as exc:
            raise PredictionError(
                f"{self._name} could not be moved to device {device!r}: {exc}"
            ) from exc
        forked = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=forked):
            torch.manual_seed(self.seed)
            out = self._forward_all(torch, inputs, device)
        return self._to_predictions(torch, out)

    def _forward_all(self, torch: Any, inputs: np.ndarray, device: str) -> Any:
        """Return the module's concatenated outputs, still on ``device``."""
        modes = [(m, m.training) for m in self.module.modules()]
        self.module.eval()
        outputs: list[Any] = []
        n, start = len(inputs), 0
        batch = min(self.batch_size, max(n, 1))  # halving from n, not from a larger limit
        with warnings.catch_warnings():  # read-only views are fine: only copies reach the model
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            host = torch.from_numpy(inputs)
        try:
            with torch.inference_mode(), self._autocast(torch, device):
                while start < n or (n == 0 and not outputs):  # one empty pass when n == 0
                    stop = min(start + batch, n)
                    xb = None
                    try:
                        # A contiguous copy of this batch only (cache-sized; the frame's
                        # memory is column-major): a model that writes into its input cannot
                        # touch the caller's data.
                        xb = host[start:stop].to(
                            device, copy=True, memory_format=torch.contiguous_format
                        )
                        out, oom = self.module(xb), False
                    except Exception as exc:
                        if not _is_out_of_memory(torch, exc):
                            raise PredictionError(
                                f"{self._name} failed on rows {start}-{stop - 1} on {device}: "
                                f"{type(exc).__name__}: {exc}"
                            ) from exc
                        if batch == 1:
                            raise PredictionError(
                                f"{self._name} ran out of memory on {device} even at batch "
                                f"size 1 (started at {self.batch_size}): {exc}"
                            ) from exc
                        out, oom = None, True
                    if oom:  # retry outside the except block so the failed batch is freed
                        del xb
                        batch = max(1, batch // 2)
                        if device.startswith("cuda"):
                            torch.cuda.empty_cache()
                        continue
                    if not isinstance(out, torch.Tensor):
                        raise PredictionError(
                            f"{self._name} returned {type(out).__name__}; mlgate needs the "
                            "forward pass to return one tensor (logits or values)."
                        )
                    outputs.append(out)
                    start = stop
        finally:
            for m, mode in modes:
                m.training = mode
        return torch.cat(outputs) if len(outputs) > 1 else outputs[0]

    def _autocast(self, torch: Any, device: str) -> Any:
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(
            device_type=torch.device(device).type, dtype=getattr(torch, self.autocast)
        )

    def _to_predictions(self, torch: Any, out: Any) -> Predictions:
        out = out.float()
        shape = tuple(out.shape)
        single = out.ndim == 1 or (out.ndim == 2 and shape[1] == 1)
        if self.task is Task.REGRESSION:
            if not single:
                raise PredictionError(
                    f"{self._name} output has shape {shape}; a regression model must give "
                    "(n,) or (n, 1)."
                )
            values = out.reshape(-1).cpu().numpy().astype(np.float64)
            return Predictions(task=self.task, values=values)
        if self.task is Task.BINARY and single:
            logit = out.reshape(-1)  # sigmoid(-x) rather than 1 - p keeps tiny negatives exact
            scores = torch.stack([torch.sigmoid(-logit), torch.sigmoid(logit)], dim=1)
        elif out.ndim == 2 and shape[1] >= 2:
            scores = _softmax(out)
        else:
            raise PredictionError(
                f"{self._name} output has shape {shape}; a {self.task.value} classifier must "
                "give logits (n, k), k >= 2"
                + (", or one logit (n,) / (n, 1)." if self.task is Task.BINARY else ".")
            )
        host = scores.cpu().numpy().astype(np.float64)  # the one device-to-host copy
        return predictions_from_scores(self.task, host, self.classes, source=self._name)

    def describe(self) -> dict[str, Any]:
        """Return ``{"kind", "class", "parameters" (count), "device"}``, plus ``"autocast"``
        (``"bf16"`` / ``"fp16"``) when set."""
        info = {
            "kind": self.kind,
            "class": self._name,
            "parameters": int(sum(p.numel() for p in self.module.parameters())),
            "device": self.resolved_device(),
        }
        if self.autocast is not None:
            info["autocast"] = {"bfloat16": "bf16", "float16": "fp16"}[self.autocast]
        return info


def _softmax(logits: Any) -> Any:
    """Row-wise softmax, written out: the same values as ``torch.softmax(logits, 1)`` (to
    float32 rounding) but about 3x faster on the CPU for a few classes, where torch's kernel
    vectorizes poorly (0.09 s vs 0.31 s for 1,000,000 x 10)."""
    shifted = (logits - logits.amax(dim=1, keepdim=True)).exp()
    return shifted / shifted.sum(dim=1, keepdim=True)


def _float32_inputs(X: pd.DataFrame, source: str) -> np.ndarray:
    try:
        arr = (
            X.to_numpy(dtype=np.float32)
            if hasattr(X, "to_numpy")
            else np.asarray(X, dtype=np.float32)
        )
    except (TypeError, ValueError) as exc:
        bad = [str(c) for c in getattr(X, "columns", []) if not pd.api.types.is_numeric_dtype(X[c])]
        raise PredictionError(
            f"{source}: a torch model needs numeric features; columns {bad} are not numeric. "
            "Encode them in the model's factory or drop them with 'features:' in the dataset."
        ) from exc
    return arr  # often a read-only view of the frame: batches are copied one at a time


def _is_out_of_memory(torch: Any, exc: BaseException) -> bool:
    oom_types = tuple(
        t
        for t in (
            getattr(torch, "OutOfMemoryError", None),
            getattr(torch.cuda, "OutOfMemoryError", None),
        )
        if t
    )
    return isinstance(exc, oom_types) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )
