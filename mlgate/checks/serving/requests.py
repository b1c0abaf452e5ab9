"""What one timed request runs, for each kind of model.

A torch model (scope ``request``): a batch of rows, already float32 on the host, is copied to
the device, run through the module under ``torch.inference_mode()`` (and the adapter's
autocast), and its output copied back to the host: what a serving endpoint does per request,
without mlgate's own bookkeeping (DataFrame conversion, softmax, seeding). Scope ``forward``
keeps the inputs on the device and times the forward pass alone. Any other model (scikit-learn,
a callable): the adapter's ``predict`` on a frame of the rows.

Requests cycle through the dataset's rows, a different batch each time (at most
:data:`MAX_DISTINCT_BATCHES` are prepared, so memory stays bounded).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlgate.checks.serving.environment import is_torch, model_device, synchronizer
from mlgate.core.errors import ConfigError, DataError
from mlgate.models.base import ModelAdapter
from mlgate.models.torch import import_torch

Scope = Literal["request", "forward"]
MAX_DISTINCT_BATCHES = 64


@dataclass(frozen=True)
class Requests:
    """``call(i)`` runs request ``i``; ``sync`` waits for the device (None on the CPU)."""

    call: Callable[[int], object]
    sync: Callable[[], object] | None
    device: str


def batch_rows(n: int, batch_size: int, *, wrap: bool, limit: int) -> list[np.ndarray]:
    """Row indices of consecutive batches over ``n`` rows. ``wrap``: every batch has exactly
    ``batch_size`` rows, wrapping around the end (rows repeat when ``n < batch_size``), at most
    ``limit`` batches; otherwise each row once, the last batch shorter."""
    if n < 1:
        raise DataError("no rows to time requests on")
    if wrap:
        count = max(1, min(limit, math.ceil(n / batch_size)))
        return [np.arange(j * batch_size, (j + 1) * batch_size) % n for j in range(count)]
    return [np.arange(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]


def float32_features(X: pd.DataFrame, model: str) -> np.ndarray:
    """The feature frame as a C-contiguous float32 array. Raises DataError naming the
    non-numeric columns."""
    try:
        return np.ascontiguousarray(X.to_numpy(dtype=np.float32))
    except (TypeError, ValueError):
        bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        raise DataError(
            f"model {model!r}: a torch model needs numeric features; columns {bad} are not numeric"
        ) from None


@contextlib.contextmanager
def prepared(
    adapter: ModelAdapter,
    X: pd.DataFrame,
    batches: list[np.ndarray],
    *,
    model: str,
    scope: Scope = "request",
) -> Iterator[Requests]:
    """The requests over ``batches`` of ``X``'s rows, ready to time (the module in eval mode,
    under inference mode, on its device); the module's modes are restored afterwards.

    Raises ConfigError for scope ``forward`` on a model that is not torch, or a device the
    machine does not have (see :func:`model_device`).
    """
    if not is_torch(adapter):
        if scope == "forward":
            raise ConfigError(
                f"scope 'forward' times a torch module's forward pass; model {model!r} is a "
                f"{getattr(adapter, 'kind', '?')} model: use scope: request",
                path="scope",
            )
        frames = [X.iloc[b] for b in batches]
        yield Requests(lambda i: adapter.predict(frames[i % len(frames)]), None, "cpu")
        return
    with _torch_requests(adapter, X, batches, model=model, scope=scope) as req:
        yield req


@contextlib.contextmanager
def _torch_requests(
    adapter: Any, X: pd.DataFrame, batches: list[np.ndarray], *, model: str, scope: Scope
) -> Iterator[Requests]:
    torch = import_torch()
    device = model_device(adapter, model)
    module = adapter.module
    try:
        module.to(device)
    except Exception as exc:
        raise ConfigError(
            f"model {model!r} could not be moved to device {device!r}: {exc}", path="device"
        ) from exc
    inputs = float32_features(X, model)
    with warnings.catch_warnings():  # read-only frames are fine: the batches are copies
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        host = [torch.from_numpy(np.ascontiguousarray(inputs[b])) for b in batches]
    on_device = scope == "forward"
    if on_device:
        host = [t.to(device) for t in host]
    autocast = getattr(adapter, "autocast", None)
    amp = (
        torch.autocast(device_type=torch.device(device).type, dtype=getattr(torch, autocast))
        if autocast
        else contextlib.nullcontext()
    )

    def call(i: int) -> object:
        xb = host[i % len(host)]
        out = module(xb if on_device else xb.to(device))
        return out if on_device else out.float().cpu()

    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.inference_mode(), amp:
            yield Requests(call, synchronizer(device), device)
    finally:
        for m, mode in modes:
            m.training = mode
