"""Demo variants of the digits MLP for the serving gate (``mlgate-serving.yaml``).

- ``candidate_int8``: the trained candidate, dynamically quantised to int8
  (``torch.ao.quantization.quantize_dynamic`` over its ``nn.Linear`` layers: int8 weights,
  activations quantised on the fly). Dynamic int8 kernels run on the CPU only, so the model is
  returned as a torch adapter pinned to ``cpu``: on a GPU runner the fp32 original runs on
  cuda and this copy still runs where it can.

- ``candidate_onnx``: the trained candidate exported to ONNX (``torch.onnx.export``, softmax
  included) and run by ``onnxruntime`` on the CPU, as a callable returning class
  probabilities. Needs the optional extra ``mlgate[onnx]``; ``mlgate-serving-onnx.yaml`` is the
  gate that uses it.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
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


def export_onnx(model: nn.Module, n_features: int) -> bytes:
    """``model`` followed by a softmax, exported to ONNX with a dynamic batch dimension."""
    wrapped = nn.Sequential(model, nn.Softmax(dim=1)).eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter warns that it is the old one
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            (torch.zeros(2, n_features),),
            buf,
            input_names=["x"],
            output_names=["p"],
            dynamic_axes={"x": {0: "n"}, "p": {0: "n"}},
            dynamo=False,
        )
    return buf.getvalue()


def candidate_onnx(seed: int = 0, **train_args):
    """The candidate (trained as ``digits_models.candidate`` trains it) exported to ONNX and run
    by onnxruntime: a callable from the feature frame to class probabilities (n, 10)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        export_onnx(candidate(seed=seed, **train_args).eval(), 64),
        providers=["CPUExecutionProvider"],
    )

    def predict(X) -> np.ndarray:
        return session.run(None, {"x": np.asarray(X, dtype=np.float32)})[0]

    return predict
