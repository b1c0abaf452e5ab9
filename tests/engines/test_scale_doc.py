"""docs/scale.md's table of the checks that fold batches is the registry's: a built-in check
added, removed, or changing ``needs_all_rows`` fails here, with the rows to paste."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

from mlgate.core.registry import ENTRY_POINT_GROUP, CheckRegistry

DOC = Path(__file__).resolve().parents[2] / "docs" / "scale.md"
BEGIN, END = "<!-- folding-checks:begin -->", "<!-- folding-checks:end -->"


def _declared() -> dict[str, str]:
    """What each built-in check declares: always / with some parameters / never."""
    registry = CheckRegistry.from_entry_points()
    out = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if not ep.value.startswith("mlgate."):
            continue  # a plugin distribution: it documents its own
        needs = registry.get(ep.name).needs_all_rows
        out[ep.name] = (
            "with some parameters" if callable(needs) else ("never" if needs else "always")
        )
    return out


def _documented() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    rows = re.findall(r"^\| `([\w]+)` \| ([^|]+?) \|", table, flags=re.MULTILINE)
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), "a check is listed twice"
    assert names == sorted(names), "keep the table sorted by check name"
    return dict(rows)


def test_the_table_of_folding_checks_is_the_registry_s():
    declared, documented = _declared(), _documented()
    missing = "\n".join(
        f"| `{name}` | {how} | … |"
        for name, how in sorted(declared.items())
        if name not in documented
    )
    assert documented == declared, f"docs/scale.md's table differs; rows to add:\n{missing}"


def test_the_refusal_names_the_folding_checks_of_the_table():
    from mlgate.core.engines.dask_parts import folding_checks

    documented = _documented()
    listed = {name.rstrip("*"): name.endswith("*") for name in folding_checks()}
    for name, how in documented.items():
        assert (name in listed) == (how != "never"), name
        if name in listed:
            assert listed[name] == (how == "with some parameters"), name
