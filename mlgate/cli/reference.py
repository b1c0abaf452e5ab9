"""Generate the gate-file reference of ``docs/gate-file.md`` from the schema and the registry.

The keys of the gate file and the metrics come from :mod:`mlgate.config.reference`; this edge
adds every check type mlgate registers under the ``mlgate.checks`` entry points (the plugins'
are documented with the plugins), each with its parameters. ``tests/config`` fails when the
committed page differs from what this writes::

    python -m mlgate.cli.reference --write docs/gate-file.md   # regenerate in place
    python -m mlgate.cli.reference --check docs/gate-file.md   # exit 1 when out of date
    python -m mlgate.cli.reference                             # print the generated section
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from mlgate.config.reference import (
    REGENERATE,
    key_rows,
    markdown_table,
    metrics_table,
    schema_sections,
    splice,
)
from mlgate.core.registry import ENTRY_POINT_GROUP, CheckRegistry, CheckType

#: Where each built-in family's checks are explained (docs/checks/).
FAMILY_PAGES = {
    "backtest": "backtest.md",
    "behavior": "behavioral.md",
    "calibration": "calibration.md",
    "data": "data.md",
    "drift": "drift.md",
    "online": "online.md",
    "performance": "statistics.md",
    "rates": "rates.md",
    "regression": "statistics.md",
    "serving": "serving.md",
    "slices": "slices.md",
    "training": "training.md",
}


#: What a parameter many checks share means, for a check whose schema does not say (its own
#: ``#:`` comment or ``Field(description=...)`` wins).
COMMON_PARAMETERS = {
    "model": "Which model (a name under `models`).",
    "dataset": "Which dataset (a name under `datasets`).",
    "reference": "The reference dataset compared with (a name under `datasets`).",
    "champion": "The model compared with (a name under `models`).",
    "metric": "A metric of the task ([Metrics](#metrics)).",
    "metrics": "Metrics of the task ([Metrics](#metrics)).",
    "confidence": "Confidence level of the intervals.",
    "n_resamples": "Bootstrap resamples.",
    "min_samples": "Fewer rows than this: inconclusive (never a pass).",
    "max_undefined_fraction": "A larger share of resamples where the metric is undefined: "
    "inconclusive.",
    "alpha": "Significance level of the tests.",
    "correction": "Multiple-testing correction over the tests of the check.",
}


def builtin_check_types(registry: CheckRegistry | None = None) -> list[tuple[str, CheckType]]:
    """mlgate's own check types (entry points into ``mlgate.checks``), sorted by name; a
    plugin's checks are left to the plugin's docs, so the page does not depend on what else
    is installed."""
    registry = registry or CheckRegistry.from_entry_points()
    names = sorted(
        ep.name
        for ep in entry_points(group=ENTRY_POINT_GROUP)
        if ep.value.startswith("mlgate.checks.")
    )
    return [(name, registry.get(name)) for name in names]


def family_page(check_type: CheckType) -> str:
    """The docs page of the family that defines ``check_type``'s parameters."""
    family = check_type.params.__module__.split(".")[2]
    return f"checks/{FAMILY_PAGES[family]}"


def check_sections(level: str = "###") -> str:
    """Per registered check type: its summary, its docs page and its parameter table."""
    parts = []
    for name, ct in builtin_check_types():
        summary = " ".join(inspect.cleandoc(ct.summary).split()) if ct.summary else ""
        head = f"{level} `{name}`\n\n"
        head += f"{summary} " if summary else ""
        head += f"Kind `{ct.kind}`; see [{family_page(ct)}]({family_page(ct)})."
        table = markdown_table(key_rows(ct.params, COMMON_PARAMETERS), first="parameter")
        parts.append(f"{head}\n\n{table}")
    return "\n\n".join(parts)


def generated_reference() -> str:
    """The whole generated section of docs/gate-file.md."""
    return "\n\n".join(
        [
            "## Reference (generated)",
            f"Generated from the schema (`mlgate/config/schema.py`) and the check registry by "
            f"`{REGENERATE}`; a test fails when this page is out of date. A key's meaning is "
            "its description in the code (a `#:` comment above the field, or "
            "`Field(description=...)`).",
            schema_sections(),
            "### Metrics",
            "Every metric a `metric`/`metrics` parameter accepts, per task. `reads` is what the "
            "metric needs from a model: predicted `labels`, class `scores` (probabilities) or "
            "regression `values`. `intervals` are the `interval:` methods that apply "
            "([checks/statistics.md](checks/statistics.md#confidence-intervals)).",
            metrics_table(),
            "### Check type parameters",
            "Each check declaration's keys beyond `check`, `id`, `severity`, `decision_rule`, "
            "`timeout` and `seeds`: the check type's parameters, validated by its own schema. "
            "A parameter many checks share (`model`, `dataset`, `confidence`, ...) has its "
            "common meaning unless the check describes it; each family's page says more.",
            check_sections(level="####"),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mlgate.cli.reference", description=__doc__)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PAGE", help="replace the generated section of PAGE")
    group.add_argument("--check", metavar="PAGE", help="exit 1 when PAGE's section is stale")
    args = p.parse_args(argv)
    generated = generated_reference()
    if not (args.write or args.check):
        sys.stdout.write(generated + "\n")
        return 0
    page = Path(args.write or args.check)
    current = page.read_text(encoding="utf-8")
    updated = splice(current, generated)
    if args.check:
        if updated != current:
            print(f"{page}: the generated reference is out of date; run: {REGENERATE}")
            return 1
        return 0
    if updated != current:
        page.write_text(updated, encoding="utf-8")
        print(f"wrote {page}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
