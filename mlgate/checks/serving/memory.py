"""Peak memory of one prediction pass: host (RAM) and GPU.

Host memory, by ``method``:

* ``rss`` (Linux): the process's peak resident set size (``VmHWM`` in ``/proc/self/status``),
  reset to the current size just before the pass by writing ``5`` to
  ``/proc/self/clear_refs`` (Linux ≥ 4.0). It counts every allocator (Python, NumPy, torch's
  CPU allocator, native libraries) and every thread of the process. The figure judged is the
  peak minus the resident size before the pass: the pass's working memory beyond what the
  process already held (pages the allocators kept from earlier work are reused and not
  counted again).
* ``getrusage`` (any POSIX system, the fallback of ``rss``): ``ru_maxrss``, the peak of the
  whole process since it started; it cannot be reset, so the pass's own peak is only known
  when the pass raised the process's peak. Otherwise the figure is None and a budget on it is
  inconclusive.
* ``tracemalloc``: the peak of memory allocated through Python's allocators, which NumPy
  reports too; torch's CPU allocator and other native libraries are not seen (the figure is a
  lower bound for a torch model), and tracing slows the pass down.

GPU memory (CUDA only): ``torch.cuda.max_memory_allocated`` after
``reset_peak_memory_stats``: the peak of tensors allocated through torch's caching allocator
during the pass (the CUDA context and library workspaces are not included); the reserved peak
is reported beside it.
"""

from __future__ import annotations

import os
import resource
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MemoryMethod = Literal["auto", "rss", "getrusage", "tracemalloc"]
_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


@dataclass(frozen=True)
class HostPeak:
    """``added``: the pass's peak beyond the memory held before it (None when the method
    cannot tell); ``peak``: the absolute peak the method saw; ``method`` and its limits."""

    added: int | None
    peak: int | None
    before: int | None
    method: str
    note: str


def _status_kib(field: str) -> int | None:
    try:
        with open(_STATUS, encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        with open(_CLEAR_REFS, "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def _maxrss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024  # Linux: KiB


def host_peak(run: Callable[[], object], method: MemoryMethod = "auto") -> HostPeak:
    """Run ``run()`` once and return the host memory it took at its peak (see the module
    docstring for each method and its limits)."""
    if method in ("auto", "rss"):
        before = _status_kib("VmRSS")
        if before is not None and _reset_peak_rss():
            run()
            peak = _status_kib("VmHWM")
            return HostPeak(
                added=None if peak is None else max(0, peak - before),
                peak=peak,
                before=before,
                method="rss",
                note="peak resident set size of the process (VmHWM, reset before the pass) "
                "minus its resident size before the pass; every allocator and thread",
            )
    if method == "tracemalloc":
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            run()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            if started:
                tracemalloc.stop()
        return HostPeak(
            added=max(0, peak - before),
            peak=peak,
            before=before,
            method="tracemalloc",
            note="Python and NumPy allocations only: torch's CPU allocator and other native "
            "libraries are not traced (a lower bound for a torch model)",
        )
    before = _maxrss_bytes()
    run()
    peak = _maxrss_bytes()
    return HostPeak(
        added=peak - before if peak > before else None,
        peak=peak,
        before=before,
        method="getrusage",
        note="ru_maxrss is the process's peak since it started and cannot be reset: the "
        "pass's own peak is known only when it raised that peak"
        + ("" if peak > before else " (it did not here)"),
    )


@dataclass(frozen=True)
class GpuPeak:
    """Peak bytes allocated and reserved by torch's CUDA caching allocator during a pass."""

    allocated: int
    reserved: int
    device: str


def gpu_peak(run: Callable[[], object], device: str) -> tuple[GpuPeak, object]:
    """Run ``run()`` on ``device`` (cuda) and return its GPU peak and ``run()``'s result."""
    from mlgate.models.torch import import_torch

    torch = import_torch()
    target = torch.device(device)
    torch.cuda.synchronize(target)
    torch.cuda.reset_peak_memory_stats(target)
    out = run()
    torch.cuda.synchronize(target)
    peak = GpuPeak(
        allocated=int(torch.cuda.max_memory_allocated(target)),
        reserved=int(torch.cuda.max_memory_reserved(target)),
        device=device,
    )
    return peak, out


def can_reset_rss() -> bool:
    """Whether this system offers the ``rss`` method (Linux with a writable clear_refs)."""
    return os.path.exists(_CLEAR_REFS) and os.access(_CLEAR_REFS, os.W_OK)
