"""Adapter for ``torch.nn.Module`` models: batched inference with out-of-memory backoff.

torch is imported lazily, so this module imports fine where torch is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlgate.config.schema import Task
from mlgate.errors import PredictionError, require
from mlgate.models.base import Predictions
from mlgate.models.callable import predictions_from_scores

if TYPE_CHECKING:
    import torch as torch_t


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
    """

    kind = "torch"

    def __init__(
        self,
        module: torch_t.nn.Module,
        task: Task,
        classes: Sequence[Any] | None = None,
        batch_size: int = 1024,
        device: str | None = None,
    ) -> None:
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.module = module
        self.task = Task(task)
        self.classes = None if classes is None else tuple(classes)
        self.batch_size = int(batch_size)
        self.device = device

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
        out = self._forward_all(torch, inputs, device)
        return self._to_predictions(torch, out)

    def _forward_all(self, torch: Any, inputs: np.ndarray, device: str) -> Any:
        """Return the module's concatenated outputs, still on ``device``."""
        modes = [(m, m.training) for m in self.module.modules()]
        self.module.eval()
        outputs: list[Any] = []
        n, start = len(inputs), 0
        batch = min(self.batch_size, max(n, 1))  # halving from n, not from a larger limit
        try:
            with torch.inference_mode():
                while start < n or (n == 0 and not outputs):  # one empty pass when n == 0
                    stop = min(start + batch, n)
                    xb = None
                    try:
                        xb = torch.from_numpy(inputs[start:stop]).to(device)
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
            scores = torch.softmax(out, dim=1)
        else:
            raise PredictionError(
                f"{self._name} output has shape {shape}; a {self.task.value} classifier must "
                "give logits (n, k), k >= 2"
                + (", or one logit (n,) / (n, 1)." if self.task is Task.BINARY else ".")
            )
        host = scores.cpu().numpy().astype(np.float64)  # the one device-to-host copy
        return predictions_from_scores(self.task, host, self.classes, source=self._name)

    def describe(self) -> dict[str, Any]:
        """Return ``{"kind", "class", "parameters" (count), "device"}``."""
        return {
            "kind": self.kind,
            "class": self._name,
            "parameters": int(sum(p.numel() for p in self.module.parameters())),
            "device": self.resolved_device(),
        }


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
    return np.require(arr, requirements=["C", "W"])  # torch wants writable memory


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
