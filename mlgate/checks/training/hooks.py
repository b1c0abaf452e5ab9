"""Forward hooks that record every module call of one forward pass, to name the module
where something first goes wrong (a NaN, or randomness in eval mode).

Hooks fire when a module's forward returns, so calls are recorded innermost first: the first
recorded call whose inputs were fine but whose output was not is the innermost culprit. When
that culprit has submodules, the damage was done by its own code between them (a functional
op such as ``torch.log`` or ``F.dropout``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModuleCall:
    """One call of one module: its qualified name ('' is the model itself), its class, and
    the tensors that went in and came out (clones, or None when not kept)."""

    name: str
    cls: str
    has_children: bool
    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]

    def where(self, before: str | None = None) -> str:
        """Where the problem arose, in words; ``before`` names the submodule that first
        received the damage, when the culprit's own forward code made it."""
        label = "the model itself" if self.name == "" else f"module {self.name!r}"
        if not self.has_children:
            return f"{label} ({self.cls})"
        place = f", just before submodule {before!r}" if before else ""
        return (
            f"the forward code of {label} ({self.cls}), outside its submodules{place} "
            "(a functional op such as torch.log, a division or F.dropout)"
        )


def tensors(obj: Any) -> list[Any]:
    """Every tensor in ``obj`` (nested tuples, lists and dicts)."""
    import torch

    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in tensors(v)]
    if isinstance(obj, (tuple, list)):
        return [t for v in obj for t in tensors(v)]
    return []


@contextlib.contextmanager
def record_calls(model: Any) -> Iterator[list[ModuleCall]]:
    """Record each module call of ``model`` while the block runs (detached clones of the
    floating-point inputs and outputs, so in-place ops later in the pass cannot alter them)."""
    calls: list[ModuleCall] = []
    handles = []

    def keep(obj: Any) -> tuple[Any, ...]:
        return tuple(t.detach().clone() for t in tensors(obj) if t.is_floating_point())

    def hook(name: str, module: Any):
        has_children = any(True for _ in module.children())
        cls = type(module).__qualname__

        def on_return(_mod: Any, args: Any, kwargs: Any, output: Any) -> None:
            calls.append(ModuleCall(name, cls, has_children, keep((args, kwargs)), keep(output)))

        return on_return

    try:
        for name, module in model.named_modules():
            handles.append(module.register_forward_hook(hook(name, module), with_kwargs=True))
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def all_finite(ts: tuple[Any, ...] | list[Any]) -> bool:
    import torch

    return all(bool(torch.isfinite(t).all()) for t in ts)


def describe_nonfinite(ts: tuple[Any, ...] | list[Any]) -> str:
    """e.g. ``"3 NaN, 5 -inf"``."""
    import torch

    nan = sum(int(torch.isnan(t).sum()) for t in ts)
    pos = sum(int(torch.isposinf(t).sum()) for t in ts)
    neg = sum(int(torch.isneginf(t).sum()) for t in ts)
    parts = [f"{n} {label}" for n, label in ((nan, "NaN"), (pos, "+inf"), (neg, "-inf")) if n]
    return ", ".join(parts) or "none"


def first_nonfinite(calls: list[ModuleCall]) -> ModuleCall | None:
    """The first call with finite inputs and a non-finite output."""
    for call in calls:
        if all_finite(call.inputs) and not all_finite(call.outputs):
            return call
    return None


def first_child(calls: list[ModuleCall], parent: ModuleCall, damaged: Callable[[int], bool]):
    """The name of ``parent``'s direct submodule that first received damaged inputs
    (``damaged(index of the call)``), so ``parent``'s own code did the damage just before it;
    None when no submodule call qualifies."""
    prefix = f"{parent.name}." if parent.name else ""
    for i, c in enumerate(calls):
        if c.name.startswith(prefix) and c.name != parent.name and damaged(i):
            return prefix + c.name[len(prefix) :].split(".")[0]
    return None


def locate_nonfinite(calls: list[ModuleCall]) -> str | None:
    """Where the first non-finite value of a pass arose, in words, or None."""
    culprit = first_nonfinite(calls)
    if culprit is None:
        return None
    child = first_child(calls, culprit, lambda i: not all_finite(calls[i].inputs))
    return (
        f"{culprit.where(child)} is the first to produce non-finite values "
        f"({describe_nonfinite(culprit.outputs)} in its output) from finite inputs"
    )


def locate_divergence(a: list[ModuleCall], b: list[ModuleCall], tol: float) -> str | None:
    """Where two passes over the same inputs first diverge, in words: the first call whose
    inputs agree but whose outputs do not. None when the passes called different modules
    (nothing can be paired) or agree."""
    if [c.name for c in a] != [c.name for c in b]:
        return None
    for x, y in zip(a, b, strict=True):
        if same(x.inputs, y.inputs, tol) and not same(x.outputs, y.outputs, tol):
            child = first_child(a, x, lambda i: not same(a[i].inputs, b[i].inputs, tol))
            return x.where(child)
    return None


def same(xs: tuple[Any, ...], ys: tuple[Any, ...], tol: float) -> bool:
    """Whether two tuples of tensors agree: exactly when ``tol`` is 0, else within
    ``tol`` relative to the largest magnitude."""
    if len(xs) != len(ys):
        return False
    return all(
        max_difference(x, y) <= tol * max(1.0, scale(x)) for x, y in zip(xs, ys, strict=True)
    )


def max_difference(x: Any, y: Any) -> float:
    """Largest absolute difference (inf for mismatched shapes; NaN positions must match)."""
    import torch

    if x.shape != y.shape:
        return float("inf")
    if x.numel() == 0:
        return 0.0
    x, y = x.double(), y.double()
    nan_x, nan_y = torch.isnan(x), torch.isnan(y)
    if not torch.equal(nan_x, nan_y):
        return float("inf")
    both_inf = torch.isinf(x) & torch.isinf(y) & (x == y)
    diff = (x - y).abs().masked_fill(nan_x | both_inf, 0.0)
    return float(diff.max())


def scale(x: Any) -> float:
    finite = x[x.isfinite()] if x.numel() else x
    return float(finite.abs().max()) if finite.numel() else 0.0
