"""``mlgate init``: a working, reviewable gate file from a model and its data.

The gate has up to three stages, decided in order: ``data`` (expectations inferred from the
data; drift against ``--reference``), ``staging`` (metric thresholds) and, with a model,
``production`` (baselines, non-inferiority to ``--champion``, calibration for classifiers,
slices by the categorical columns). Every bound is measured by running its check on the data
(:mod:`mlgate.cli.scaffold_checks`), and every line of the file carries a comment saying what
it is and how its value was set. The text is validated as a gate file before it is returned.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mlgate.cli import scaffold_checks as sc
from mlgate.cli.inputs import InputError
from mlgate.cli.scaffold_data import (
    RANGE_MARGIN,
    categorical_columns,
    column_rules,
    describe_column,
    row_floor,
)
from mlgate.cli.scaffold_models import ModelEntry, model_entry, unused_trust_types
from mlgate.config.load import parse_gate
from mlgate.core.context import GateContext
from mlgate.core.data import read_table
from mlgate.core.gate import Gate, plan_gate
from mlgate.core.registry import CheckRegistry
from mlgate.core.task import Task

#: Column at which the trailing comments of the top-level keys start.
_COMMENT_COLUMN = 34
#: The longest line the scaffold writes, comments included (a table row may run past it).
_WIDTH = 100


@dataclass(frozen=True)
class ScaffoldRequest:
    """What ``mlgate init`` was given."""

    data: Path
    label: str
    gate_path: Path
    model: str | None = None
    champion: str | None = None
    reference: Path | None = None
    task: str = "auto"
    trust_types: tuple[str, ...] = ()
    trust: bool = False


def infer_task(y: pd.Series) -> Task:
    """Two values → binary; up to 20 values that are not floats → multiclass; numbers
    otherwise → regression. Raises InputError when the label fits none."""
    n = y.nunique(dropna=True)
    if n == 2:
        return Task.BINARY
    if pd.api.types.is_float_dtype(y) and n > 20:
        return Task.REGRESSION
    if n <= 20:
        return Task.MULTICLASS
    if pd.api.types.is_numeric_dtype(y):
        return Task.REGRESSION
    raise InputError(f"label {y.name!r} has {n} distinct non-numeric values; pass --task")


def scaffold_gate(request: ScaffoldRequest, note: Callable[[str], None] = lambda _: None) -> str:
    """The text of a gate file for ``request``; ``note`` receives what the user should know
    (the untrusted types found in model files). Raises InputError for unusable inputs and
    the loaders' errors (ModelLoadError, DataError) for a model or file that cannot be read."""
    r = request
    if r.champion is not None and r.model is None:
        raise InputError("--champion needs --model: the champion is compared with a candidate")
    frame = _read(r.data, "evaluation", r.label)
    if r.reference is not None:
        _read(r.reference, "reference", r.label)  # a missing label is named here, not later
    task = infer_task(frame[r.label]) if r.task == "auto" else Task(r.task)
    gate_dir = r.gate_path.parent
    models = {"candidate": _entry("candidate", r.model, r, gate_dir, note)}
    if r.champion is not None:
        models["champion"] = _entry("champion", r.champion, r, gate_dir, note)
    unused = unused_trust_types(r.trust_types, list(models.values()))
    if unused:
        note(f"--trust-type {', '.join(unused)}: in no model file, so not written")
    slice_cols, id_cols = categorical_columns(frame, r.label) if r.model else ([], [])
    datasets = {"evaluation": _dataset(r.data, r.label, gate_dir, slice_cols)}
    if r.reference is not None:
        datasets["reference"] = _dataset(r.reference, r.label, gate_dir, [])
    raw = {
        "name": f"{r.data.stem}-gate",
        "task": task.value,
        "seed": 0,
        "models": {name: e.spec for name, e in models.items()},
        "datasets": datasets,
        "stages": {"scaffold": {"checks": [{"check": "scaffold"}]}},
    }
    ctx = _context(raw, r.gate_path)
    registry = CheckRegistry.from_entry_points()
    try:
        if r.model is not None:
            # A model that does not load is one clear error, first. A model fitted on named
            # columns that the data has more of (an id, a timestamp) gets ``features``.
            features = fitted_features(ctx.model("candidate"), frame, r.label)
            if features is not None:
                for spec in datasets.values():
                    spec["features"] = features
                ctx.close()
                ctx = _context(raw, r.gate_path)
        m = sc.Measurer(ctx, registry)
        stages = _stages(m, r, task, frame, slice_cols, id_cols)
    finally:
        ctx.close()
    text = _render(r, raw, task, frame, models, stages)
    plan_gate(parse_gate(yaml.safe_load(text), source=str(r.gate_path)), registry, path=r.gate_path)
    return text


# -- what goes in -------------------------------------------------------------------------


def _read(path: Path, name: str, label: str) -> pd.DataFrame:
    frame = read_table(path, name=name)
    if label not in frame.columns:
        raise InputError(f"{path}: no column {label!r}; columns: {list(map(str, frame.columns))}")
    return frame


def _entry(name: str, ref: str | None, r: ScaffoldRequest, gate_dir: Path, note) -> ModelEntry:
    return model_entry(
        name, ref, gate_dir=gate_dir, trust_types=r.trust_types, trust=r.trust, note=note
    )


def _context(raw: dict[str, Any], gate_path: Path) -> GateContext:
    """A context over the gate ``raw`` describes, as a run of the file would build it
    (absolute paths: the gate's folder may not exist until the file is written)."""
    config = parse_gate(_absolute(raw, gate_path.parent), source="mlgate init")
    config = config.model_copy(update={"stages": {}})
    return GateContext(Gate(config=config, path=gate_path, checks=()))


def fitted_features(adapter: Any, frame: pd.DataFrame, label: str) -> list[str] | None:
    """The columns a scikit-learn model was fitted on (``feature_names_in_``), when the data
    has every one of them and more besides the label; None otherwise (every column but the
    label is a feature, the gate file's default)."""
    names = getattr(getattr(adapter, "estimator", None), "feature_names_in_", None)
    if names is None:
        return None
    names = [str(n) for n in names]
    others = [str(c) for c in frame.columns if c != label]
    if set(names) == set(others) or not set(names) <= set(others):
        return None
    return names


def _absolute(raw: dict[str, Any], gate_dir: Path) -> dict[str, Any]:
    """``raw`` with every model and dataset ``path`` made absolute from ``gate_dir``."""
    out = dict(raw)
    for section in ("models", "datasets"):
        out[section] = {
            name: {
                **spec,
                **({"path": os.path.normpath(gate_dir / spec["path"])} if "path" in spec else {}),
            }
            for name, spec in raw[section].items()
        }
    return out


def _dataset(path: Path, label: str, gate_dir: Path, slices: list[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"path": os.path.relpath(path.resolve(), gate_dir), "label": label}
    if slices:
        spec["slices"] = slices
    return spec


# -- the stages ---------------------------------------------------------------------------


@dataclass
class _Stage:
    name: str
    description: str
    why: str
    checks: list[sc.Proposal]


def _stages(m, r: ScaffoldRequest, task: Task, frame, slice_cols, id_cols) -> list[_Stage]:
    rules = column_rules(frame)
    expectations = sc.data_expectations(m, rules, row_floor(len(frame)))
    expectations.comments = [
        f"inferred from {r.data.name} ({len(frame)} rows): the dtype kind of every column, "
        f"no nulls where none were seen, numeric ranges widened by {RANGE_MARGIN:.0%} of their "
        "width on each side, the values seen in columns of few values",
    ]
    data = [expectations]
    if r.reference is not None:
        data.append(sc.drift(m))
    stages = [
        _Stage(
            "data",
            "the data looks like the data this gate was made from",
            "the inputs, before any model is judged",
            data,
        )
    ]
    if r.model is None:
        thresholds, origin = _zero_rule(frame, r.label, task)
    else:
        thresholds = sc.metric_thresholds(m, task)
        origin = (
            "from the candidate's own performance on this data (its 95% bootstrap interval "
            "less a margin): a later candidate that does clearly worse fails"
        )
    stages.append(
        _Stage("staging", "good enough to try", f"metric thresholds {origin}", thresholds)
    )
    if r.model is None:
        return stages
    production = [sc.baseline(m, task, "reference" if r.reference is not None else None)]
    if r.champion is not None:
        production.append(sc.champion(m, task))
    if task is not Task.REGRESSION:
        calibration = sc.calibration(m)
        if calibration is not None:
            production.append(calibration)
    why = "comparisons and finer grain"
    if slice_cols:
        found = sc.slices(m, task, slice_cols)
        if found is not None:
            production.append(found)
    if id_cols:
        note_ids = f"not sliced (too many values for a category): {', '.join(id_cols)}"
        if production[-1].params["check"] == "slices":
            production[-1].comments.append(note_ids)
        else:
            why += f"; {note_ids}"
    promises = {
        "baseline": "beats the baselines",
        "champion": "is no worse than the champion",
        "calibration": "is calibrated",
        "slices": "holds on every slice",
    }
    said = [promises[p.params["check"]] for p in production]
    description = (
        "good enough to ship: " + ", ".join(said[:-1]) + (" and " if len(said) > 1 else "")
    )
    stages.append(_Stage("production", description + said[-1], why, production))
    return stages


def _zero_rule(frame: pd.DataFrame, label: str, task: Task) -> tuple[list[sc.Proposal], str]:
    """Thresholds without a model: beat the zero-rule baseline by a margin."""
    y = frame[label]
    if task is Task.REGRESSION:
        rule = sc.Proposal({"check": "metric_threshold", "metric": "r2", "min": 0.1})
        return [rule], "from a mean-predicting baseline (R² = 0): beat it"
    majority = float(y.value_counts(normalize=True).iloc[0])
    out = [
        ("accuracy", min(0.99, _round(majority + 0.05, up=True))),
        ("balanced_accuracy", _round(1 / y.nunique() + 0.1, up=True)),
    ]
    if task is Task.BINARY:
        out.append(("roc_auc", 0.7))
    proposals = [
        sc.Proposal({"check": "metric_threshold", "metric": name, "min": bound})
        for name, bound in out
    ]
    return proposals, (
        f"from the zero-rule baseline (majority class = {majority:.3f} of rows) plus a margin"
    )


def _round(x: float, *, up: bool) -> float:
    return (math.ceil if up else math.floor)(x * 100) / 100


# -- the text -----------------------------------------------------------------------------


def _render(r: ScaffoldRequest, raw, task: Task, frame, models, stages) -> str:
    source = r.data.name + (f" and {Path(r.model).name}" if r.model else "")
    out = [
        *_comments(
            [
                f"Gate scaffolded by `mlgate init` from {source}. Review every line before "
                "committing it. Each bound was measured by running its check on the data named "
                "here (how is said next to it), so this gate passes the model it was made from "
                "and a later candidate must do about as well. Keys: docs/gate-file.md; checks: "
                "docs/checks/."
            ],
            0,
        ),
        _kv("version", 1, "the gate-file schema version"),
        _kv("name", raw["name"], "shown in reports and in the run history"),
        _kv("task", task.value, _task_reason(frame[r.label], r.task)),
        _kv("seed", 0, "seeds every bootstrap and split: same data, same verdict"),
        "",
        _kv("models", None, "what is gated"),
    ]
    roles = {"candidate": "the model under test", "champion": "the model in production today"}
    for name, entry in models.items():
        out.append(_kv(name, None, roles[name], indent=2))
        for key, value in entry.spec.items():
            out.append(_kv(key, value, entry.comments.get(key, ""), indent=4))
    out += ["", _kv("datasets", None, "the data, with the roles of its columns")]
    ds_roles = {
        "evaluation": "rows the models did not train on",
        "reference": "training data: drift and baselines are judged from it",
    }
    key_notes = {
        "path": "relative to this file",
        "label": "the column the models predict",
        "slices": "categorical columns: metrics are also judged per value",
        "features": "the columns the model was fitted on; the others are not its inputs",
    }
    for name, spec in raw["datasets"].items():
        out.append(_kv(name, None, ds_roles[name], indent=2))
        for key, value in spec.items():
            out.append(_kv(key, value, key_notes[key], indent=4))
    out += ["", _kv("stages", None, "decided in this order; CI acts on each verdict")]
    for stage in stages:
        out.append(_kv(stage.name, None, stage.why, indent=2))
        out.append(_kv("description", stage.description, "shown with the verdict", indent=4))
        out.append(_kv("checks", None, "each one a pytest item: <file>::<stage>::<id>", indent=4))
        for proposal in stage.checks:
            out += _check_lines(proposal, frame)
    return "\n".join(out) + "\n"


def _check_lines(p: sc.Proposal, frame: pd.DataFrame) -> list[str]:
    pad = " " * 6
    lines = _comments(p.comments, 6)
    if p.params["check"] != "data_expectations":
        return [*lines, f"{pad}- {_flow(p.params)}"]
    params = dict(p.params)
    lines.append(_kv("- check", params.pop("check"), "docs/checks/data.md", indent=6))
    lines.append(_kv("id", params.pop("id"), "its name in the report", indent=8))
    if "severity" in params:
        lines.append(_kv("severity", params.pop("severity"), "see the comment above", indent=8))
    lines.append(_kv("expectations", None, "rules on the whole table", indent=8))
    for e in params.pop("expectations"):
        lines.append(
            f"{' ' * 10}- {_flow(e)}  # half the {len(frame)} rows seen (fewer: a file cut short?)"
        )
    lines.append(_kv("columns", None, "one rule per column; what was seen is beside it", indent=8))
    for col, rule in params.pop("columns").items():
        lines.append(f"{' ' * 10}{_flow({col: rule})[1:-1]}  # {describe_column(frame[col])}")
    return lines


def _kv(key: str, value: Any, comment: str, *, indent: int = 0) -> str:
    """``key: value`` with its comment beside it, or above it when the line would run past
    :data:`_WIDTH` characters."""
    text = f"{' ' * indent}{key}:" + ("" if value is None else f" {_flow(value)}")
    if not comment:
        return text
    line = f"{text.ljust(_COMMENT_COLUMN)} # {comment}"
    if len(line) <= _WIDTH:
        return line
    return "\n".join([*_comments([comment], indent), text])


def _comments(texts: list[str], indent: int) -> list[str]:
    """Comment lines at ``indent``, each text wrapped to :data:`_WIDTH` characters."""
    pad = " " * indent
    out = []
    for text in texts:
        out += textwrap.wrap(
            text, _WIDTH, initial_indent=f"{pad}# ", subsequent_indent=f"{pad}#   "
        )
    return out


def _flow(value: Any) -> str:
    """``value`` as one line of YAML (flow style for mappings and lists)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, width=10**9, allow_unicode=True
    )
    return text.strip().removesuffix("...").strip()


def _task_reason(y: pd.Series, given: str) -> str:
    if given != "auto":
        return "given with --task"
    return f"inferred from the label's {y.nunique(dropna=True)} distinct values (--task overrides)"
