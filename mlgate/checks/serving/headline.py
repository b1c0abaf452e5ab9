"""The headline metric of a check made of parts of different quantities (p99 at batch 1,
parameter count, label agreement): the name of the quantity of the part the kernel takes as
decisive (the first part with the check's status, :meth:`CheckResult.from_parts`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlgate.core.result import Part, Status


def decisive_metric(parts: Sequence[Part], quantities: Mapping[str, str], default: str) -> str:
    """``quantities[name]`` of the decisive part of ``parts`` (``default`` without parts or
    without an entry)."""
    status = Status.worst(parts)
    decisive = next((p for p in parts if p.status is status), None)
    return quantities.get(decisive.name, default) if decisive is not None else default


def quantities_of(parts: Sequence[Part]) -> dict[str, str]:
    """Each part's name without its bound (``"label agreement >= 0.98"`` → ``"label
    agreement"``), for :func:`decisive_metric`."""
    return {p.name: p.name.split(" >= ")[0].split(" <= ")[0] for p in parts}
