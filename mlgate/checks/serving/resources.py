"""Check type ``resources``: model size, parameter count and peak memory of a prediction pass,
against budgets.

* **size**: the model file's size on disk when the gate file loads it from ``path``; else the
  size it serialises to (a torch model's ``state_dict`` through ``torch.save``; any other
  model's pickle), which is what shipping it would take.
* **parameters** (torch): the elements of the module's parameters, plus the weights and biases
  packed inside quantised layers, which torch does not list as parameters (a dynamically
  quantised model would otherwise count 0). ``parameter_bytes`` adds up their storage (1 byte
  per int8 weight).
* **host memory**: the working memory of one prediction pass over the dataset (the model's own
  batching), measured as :mod:`.memory` describes; a warm-up pass runs first so one-off
  initialisation is not counted.
* **GPU memory** (CUDA only): the peak allocated by torch during that pass.

Each is a measurement, not an estimate from a sample, so it is judged on its value
(``rule="point"``). A budget that cannot be measured here (a GPU budget on the CPU, a
parameter count of a scikit-learn model) gives a ``skipped`` / ``inconclusive`` part that
says why, never a pass.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mlgate.checks.serving.environment import environment, environment_table, is_torch
from mlgate.checks.serving.environment import model_device as device_of
from mlgate.checks.serving.headline import decisive_metric
from mlgate.checks.serving.memory import MemoryMethod, gpu_peak, host_peak
from mlgate.checks.serving.units import Size, format_size
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Table
from mlgate.core.registry import CheckType, require_dataset, require_model
from mlgate.core.result import CheckResult, DecisionRule, Part, Status, Threshold
from mlgate.models.torch import import_torch

KIND = "serving"
#: The headline metric of each part.
QUANTITIES = {
    "size": "model size (bytes)",
    "parameters": "parameters",
    "host memory": "peak host memory of a prediction pass (bytes)",
    "gpu memory": "peak GPU memory of a prediction pass (bytes)",
}


class ResourcesParams(BaseModel):
    """The gate-file keys of ``resources`` (documented in docs/checks/serving.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "candidate"
    dataset: str = "evaluation"
    max_size: Size | None = None
    #: A number, not a count the kernel bounds at 10**9: large models have more parameters.
    max_parameters: float | None = Field(None, ge=1, le=1e13)
    max_host_memory: Size | None = None
    max_gpu_memory: Size | None = None
    memory_method: MemoryMethod = "auto"

    @model_validator(mode="after")
    def _a_budget(self) -> ResourcesParams:
        budgets = ("max_size", "max_parameters", "max_host_memory", "max_gpu_memory")
        if all(getattr(self, b) is None for b in budgets):
            raise ValueError(f"give at least one budget: {', '.join(budgets)}")
        return self


def _validate(p: ResourcesParams, config: GateConfig) -> None:
    require_model(config, p.model)
    if p.max_host_memory is not None or p.max_gpu_memory is not None:
        require_dataset(config, p.dataset, label=False)


def parameter_count(module: Any) -> tuple[int, int]:
    """(elements, bytes) of a torch module's parameters plus the tensors packed inside
    quantised layers (``..._packed_params`` entries of the state dict)."""
    torch = import_torch()
    tensors = list(module.parameters())
    for key, value in module.state_dict().items():
        if key.endswith("_packed_params") and isinstance(value, tuple):
            tensors.extend(t for t in value if isinstance(t, torch.Tensor))
    elements = sum(int(t.numel()) for t in tensors)
    size = sum(int(t.numel()) * int(t.element_size()) for t in tensors)
    return elements, size


def serialized_size(adapter: Any) -> tuple[int | None, str]:
    """The bytes the model serialises to and how (None with the reason when it cannot)."""
    if is_torch(adapter):
        torch = import_torch()
        buf = io.BytesIO()
        torch.save(adapter.module.state_dict(), buf)
        return len(buf.getvalue()), "torch.save(state_dict) in memory"
    obj = getattr(adapter, "estimator", None) or getattr(adapter, "fn", None) or adapter
    try:
        return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)), "pickle in memory"
    except Exception as exc:  # lambdas, open handles, ...
        return None, f"cannot be pickled ({type(exc).__name__}: {exc})"


def _file_size(ctx: GateContext, model: str) -> tuple[int | None, str]:
    spec = ctx.gate.config.models.get(model)
    if spec is None or spec.path is None:
        return None, ""
    path = (Path(ctx.gate.base_dir) / spec.path).resolve()
    return path.stat().st_size, f"file on disk ({spec.path})"


def run_resources(ctx: GateContext, p: ResourcesParams) -> CheckResult:
    adapter = ctx.model(p.model)
    device = device_of(adapter, p.model)
    where = f"model {p.model!r}"
    size, how = _file_size(ctx, p.model)
    if size is None:
        size, how = serialized_size(adapter)
    rows: list[dict[str, Any]] = [{"quantity": "size", "value": size, "unit": "bytes", "how": how}]
    parts: list[Part] = []
    if p.max_size is not None:
        parts.append(_point("size", size, p.max_size, f"{where}: {format_size(size)} ({how})"))
    params = parameter_count(adapter.module) if is_torch(adapter) else None
    if params is not None:
        rows.append({"quantity": "parameters", "value": params[0], "unit": "elements"})
        rows.append({"quantity": "parameter_bytes", "value": params[1], "unit": "bytes"})
    if p.max_parameters is not None:
        if params is None:
            raise ConfigError(
                f"{where} is a {getattr(adapter, 'kind', '?')} model: a parameter count is "
                "defined for torch models; bound its size with max_size instead",
                path="max_parameters",
            )
        text = f"{where}: {params[0]:,} parameters"
        parts.append(_point("parameters", params[0], p.max_parameters, text, bytes_=False))
    if p.max_host_memory is not None or p.max_gpu_memory is not None:
        parts += _memory(ctx, p, adapter, device, rows)
    quantities = {
        part.name: QUANTITIES[part.name.split(" <= ")[0]] for part in parts if " <= " in part.name
    }
    return CheckResult.from_parts(
        KIND,
        parts,
        metric=decisive_metric(parts, quantities, "resources"),
        method="measured once (size on disk or serialised; peak memory of a prediction pass)",
        evidence={
            "device": device,
            "resources": Table.of(rows, title="what the model takes"),
            "environment": environment_table(environment(device, adapter)),
        },
    )


def _memory(ctx: GateContext, p: ResourcesParams, adapter, device: str, rows) -> list[Part]:
    X = ctx.dataset(p.dataset).X
    where = f"model {p.model!r} on {device}, one pass over {len(X)} rows of {p.dataset!r}"
    adapter.predict(X)  # warm-up: lazy initialisation and first-touch allocations
    on_gpu = device.startswith("cuda")
    gpu = None

    def one_pass() -> None:
        nonlocal gpu
        if on_gpu:
            gpu, _ = gpu_peak(lambda: adapter.predict(X), device)
        else:
            adapter.predict(X)

    host = host_peak(one_pass, p.memory_method)
    rows.append(
        {
            "quantity": "host_memory",
            "value": host.added,
            "unit": "bytes",
            "how": f"{host.method}: {host.note}",
            "peak": host.peak,
            "before": host.before,
        }
    )
    if gpu is not None:
        rows.append(
            {
                "quantity": "gpu_memory",
                "value": gpu.allocated,
                "unit": "bytes",
                "how": "torch.cuda.max_memory_allocated (reset before the pass)",
                "reserved": gpu.reserved,
            }
        )
    parts: list[Part] = []
    if p.max_host_memory is not None:
        text = (
            f"{where}: peak host memory {format_size(host.added)} beyond the "
            f"{format_size(host.before)} held before ({host.method})"
        )
        parts.append(_point("host memory", host.added, p.max_host_memory, text))
    if p.max_gpu_memory is not None and gpu is None:
        parts.append(
            Part(
                f"gpu memory <= {format_size(p.max_gpu_memory)}",
                Status.SKIPPED,
                threshold=Threshold("<=", float(p.max_gpu_memory)),
                message=f"{where}: a GPU budget needs the model on cuda; run with "
                "--mlgate-device cuda on a GPU machine, or give this budget its own check "
                "with severity: warn",
            )
        )
    elif p.max_gpu_memory is not None:
        text = f"{where}: peak GPU memory {format_size(gpu.allocated)} allocated"
        parts.append(_point("gpu memory", gpu.allocated, p.max_gpu_memory, text))
    return parts


def _point(
    name: str, value: float | None, budget: float, message: str, *, bytes_: bool = True
) -> Part:
    """A measured quantity judged on its value against ``<= budget``."""
    threshold = Threshold("<=", float(budget))
    shown = format_size(budget) if bytes_ else f"{budget:,.0f}"
    label = f"{name} <= {shown}"
    if value is None:
        return Part(
            label,
            Status.INCONCLUSIVE,
            threshold=threshold,
            message=f"{message}: this method could not measure it",
        )
    status = threshold.judge(None, value=float(value), rule=DecisionRule.POINT)
    verdict = "within" if status is Status.PASSED else "over"
    return Part(
        label,
        status,
        value=float(value),
        threshold=threshold,
        message=f"{message}, {verdict} the budget of {shown}",
    )


def _default_id(p: ResourcesParams) -> str:
    return "resources" if p.model == "candidate" else f"resources-{p.model}"


RESOURCES = CheckType(
    name="resources",
    kind=KIND,
    params=ResourcesParams,
    run=run_resources,
    summary="Model size (on disk or serialised), parameter count and peak host/GPU memory of "
    "a prediction pass, within budgets.",
    validate=_validate,
    default_id=_default_id,
)
