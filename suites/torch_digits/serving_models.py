"""Demo variants of the digits MLP for the serving gate (``mlgate-serving.yaml``).

- ``candidate_int8``: the trained candidate, dynamically quantised to int8
  (``torch.ao.quantization.quantize_dynamic`` over its ``nn.Linear`` layers: int8 weights,
  activations quantised on the fly). Dynamic int8 kernels run on the CPU only, so the model is
  returned as a torch adapter pinned to ``cpu``: on a GPU runner the fp32 original runs on
  cuda and this copy still runs where it can.

An ONNX export (``torch.onnx.export`` run by ``onnxruntime``) is the other usual variant; it
is not part of the demo because onnxruntime is an optional extra that this environment does
not install (docs/checks/serving.md shows how to declare one).
"""

from __future__ import annotations

import warnings

import torch
from digits_models import candidate
from torch import nn

from mlgate.core.task import Task
from mlgate.models.torch import TorchAdapter


def quantize_int8(model: nn.Module) -> nn.Module:
    """A dynamically quantised int8 copy of ``model`` (its ``nn.Linear`` layers); ``model``
    itself is left as it is."""
    import copy

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch >= 2.10 marks torch.ao.quantization deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(copy.deepcopy(model).eval(), {nn.Linear}, dtype=torch.qint8)


def candidate_int8(seed: int = 0, batch_size: int = 256, **train_args) -> TorchAdapter:
    """The candidate (trained exactly as ``digits_models.candidate`` trains it, with the same
    seed) quantised to int8, as an adapter that runs on the CPU."""
    return TorchAdapter(
        quantize_int8(candidate(seed=seed, **train_args)),
        Task.MULTICLASS,
        batch_size=batch_size,
        device="cpu",
        seed=seed,
    )
