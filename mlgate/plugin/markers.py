"""The ``mlgate`` marker: evaluated once per item into a small frozen record."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mlgate.core.result import Severity
from mlgate.plugin.keys import META_KEY


@dataclass(frozen=True)
class CheckMeta:
    """What the kernel needs to know about a gate item before it runs."""

    check_id: str
    kind: str
    severity: Severity
    stages: tuple[str, ...]
    check_type: str


def marker_meta(item: pytest.Item) -> CheckMeta:
    """The item's check metadata (computed at collection, kept in the item's stash)."""
    return item.stash[META_KEY]


def meta_from_marker(item: pytest.Item, all_stages: list[str]) -> CheckMeta:
    """Read the ``mlgate`` marker of a Python test. Raises pytest.UsageError naming the test,
    the bad value and what is allowed."""
    marker = item.get_closest_marker("mlgate")
    assert marker is not None
    if marker.args:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.mlgate takes keyword arguments only "
            f"(kind=, severity=, stages=, id=); got positional {marker.args!r}"
        )
    unknown = set(marker.kwargs) - {"kind", "severity", "stages", "id"}
    if unknown:
        raise pytest.UsageError(
            f"{item.nodeid}: unknown @pytest.mark.mlgate argument(s) {sorted(unknown)}; "
            "allowed: kind, severity, stages, id"
        )
    severity = marker.kwargs.get("severity", "block")
    try:
        severity = Severity(severity)
    except ValueError:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.mlgate severity={severity!r}; expected 'block' or 'warn'"
        ) from None
    stages = marker.kwargs.get("stages")
    if stages is None:
        stages = tuple(all_stages)
    elif isinstance(stages, str):
        stages = (stages,)
    stages = tuple(stages)
    unknown_stages = [s for s in stages if s not in all_stages]
    if unknown_stages or not stages:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.mlgate stages={list(stages)!r} names stage(s) "
            f"{unknown_stages} the gate does not declare; declared stages: {all_stages}"
        )
    kind = str(marker.kwargs.get("kind", "custom"))
    check_id = str(marker.kwargs.get("id", item.name))
    return CheckMeta(
        check_id=check_id, kind=kind, severity=severity, stages=stages, check_type="python"
    )
