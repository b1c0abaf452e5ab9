"""Where a measurement ran: the device, the library versions and the thread settings.

Latency means nothing without them, so every timed check records :func:`environment` in its
evidence. Also the device a model runs on (:func:`model_device`), checked before anything is
timed, and a context that pins the number of threads for a measurement (:func:`threads`).
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import Iterator
from importlib import metadata
from typing import Any

from mlgate.core.errors import ConfigError
from mlgate.core.evidence import Table
from mlgate.models.base import ModelAdapter
from mlgate.models.torch import import_torch

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
LIBRARIES = (("numpy", "numpy"), ("torch", "torch"), ("scikit-learn", "sklearn"))
OPTIONAL_LIBRARIES = ("onnxruntime",)


def is_torch(adapter: ModelAdapter) -> bool:
    """Whether the adapter runs a ``torch.nn.Module`` (it has ``module`` and a device)."""
    return getattr(adapter, "kind", None) == "torch" and hasattr(adapter, "module")


def model_device(adapter: ModelAdapter, model: str) -> str:
    """The device ``model`` runs on: a torch model's (``--mlgate-device``, else cuda when
    available, else cpu), ``"cpu"`` for any other model.

    Raises ConfigError naming the model, the device and the rule when torch does not know the
    device or this machine does not have it (cuda without a GPU, an index past the last GPU).
    """
    if not is_torch(adapter):
        return "cpu"
    device = str(adapter.resolved_device())  # type: ignore[attr-defined]
    torch = import_torch()
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ConfigError(
            f"model {model!r}: device {device!r} is not a torch device ({exc}); use cpu, cuda "
            "or cuda:<index> (--mlgate-device)",
            path="device",
        ) from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                f"model {model!r}: device {device!r} is not available on this machine "
                "(torch.cuda.is_available() is False); run with --mlgate-device cpu, or on a "
                "machine with a GPU",
                path="device",
            )
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise ConfigError(
                f"model {model!r}: device {device!r} does not exist: this machine has {count} "
                f"GPU(s), cuda:0 to cuda:{count - 1}",
                path="device",
            )
    return device


def synchronizer(device: str):
    """The call that waits for queued work on ``device`` (None on the CPU, where calls are
    synchronous). On CUDA, kernels are queued, so the clock must only be read after this."""
    if not device.startswith("cuda"):
        return None
    torch = import_torch()
    target = torch.device(device)

    def sync() -> None:
        torch.cuda.synchronize(target)

    return sync


@contextlib.contextmanager
def threads(adapter: ModelAdapter, count: int | None) -> Iterator[None]:
    """Run the block with ``count`` intra-op threads (torch's for a torch model, the BLAS and
    OpenMP pools through threadpoolctl for any other), restored afterwards; ``None`` leaves
    the settings as they are."""
    if count is None:
        yield
        return
    if is_torch(adapter):
        torch = import_torch()
        before = torch.get_num_threads()
        torch.set_num_threads(count)
        try:
            yield
        finally:
            torch.set_num_threads(before)
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=count):
        yield


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        torch = import_torch()
        return str(torch.cuda.get_device_name(torch.device(device)))
    return _cpu_name()


def environment(device: str, adapter: ModelAdapter | None = None) -> dict[str, Any]:
    """The device, its name, the library versions and the thread settings, as a flat mapping.

    torch's thread counts are read only when torch is already imported (reading them must not
    import it); the BLAS/OpenMP pools come from threadpoolctl when it is installed.
    """
    info: dict[str, Any] = {
        "device": device,
        "device_name": _device_name(device),
        "model_kind": getattr(adapter, "kind", None) if adapter is not None else None,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu_count": os.cpu_count(),
    }
    for dist, _module in LIBRARIES:
        info[dist] = _version(dist)
    for dist in OPTIONAL_LIBRARIES:
        version = _version(dist)
        if version is not None:
            info[dist] = version
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        info["torch_interop_threads"] = torch.get_num_interop_threads()
        if device.startswith("cuda"):
            info["cuda"] = torch.version.cuda
    for var in THREAD_VARIABLES:
        info[var] = os.environ.get(var)
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # an optional view; the variables above still say what was asked
        pools = []
    else:
        pools = threadpool_info()
    if pools:
        info["thread_pools"] = ", ".join(
            f"{p.get('internal_api')}={p.get('num_threads')}" for p in pools
        )
    return info


def environment_table(info: dict[str, Any]) -> Table:
    """:func:`environment` as a two-column table the renderers show as is."""
    return Table.of(
        [{"setting": k, "value": v} for k, v in info.items()], title="where it was measured"
    )
