"""Every numeric parameter of every check is bounded, and every problem of a gate file is
listed in one pass (a bad seed must not hide a bad bound)."""

from __future__ import annotations

import typing
from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.registry import MAX_COUNT, CheckRegistry, number_problems

REGISTRY = CheckRegistry.from_entry_points()


def _ints(annotation) -> bool:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _ints(args[0])
    return annotation is int or any(a is int for a in args)


def integer_fields():
    for name in REGISTRY.names():
        params = REGISTRY.get(name).params
        for field, info in params.model_fields.items():
            if _ints(info.annotation) and field not in ("label",):
                yield pytest.param(name, field, id=f"{name}.{field}")


@pytest.mark.parametrize(("check", "field"), list(integer_fields()))
def test_no_count_parameter_accepts_a_trillion(check, field):
    """Either the check's own schema or the kernel's guard refuses it."""
    params = REGISTRY.get(check).params
    base = params.model_fields[field]
    try:
        parsed = params.model_construct(**{field: 10**12})
        problems = number_problems(parsed)
    except Exception:  # pragma: no cover - model_construct does not validate
        problems = []
    try:
        annotated = (
            Annotated[(base.annotation, *base.metadata)] if base.metadata else base.annotation
        )
        TypeAdapter(annotated).validate_python(10**12)
        schema_refuses = False
    except ValidationError:
        schema_refuses = True
    assert schema_refuses or problems, f"{check}.{field} ({base.annotation}) accepts 10**12"


def test_the_kernel_guard_names_the_key_and_the_bound():
    check = REGISTRY.get("metric_threshold")
    parsed = check.params.model_construct(metric="accuracy", min=0.5, min_samples=10**12)
    (line,) = number_problems(parsed)
    assert (
        line
        == f"min_samples: got 1e+12: a count must be at most {MAX_COUNT:.0e} (see docs/refusals.md)"
    )


def test_n_resamples_has_a_documented_bound_of_its_own():
    with pytest.raises(ValidationError, match="less than or equal to 100000"):
        REGISTRY.get("metric_threshold").params.model_validate(
            {"metric": "accuracy", "min": 0.5, "n_resamples": 1_000_000}
        )


HEAD = (
    "name: g\ntask: binary\nmodels: {candidate: {factory: 'a:b'}}\n"
    "datasets: {evaluation: {path: x.csv, label: y}}\n"
)


def gate(tmp_path, text):
    path = tmp_path / "mlgate.yaml"
    path.write_text(HEAD + text)
    return path


@pytest.mark.parametrize(
    ("bound", "words"),
    [
        ("metric: accuracy, min: 1.5", "accuracy is at most 1, so min 1.5 can never be met"),
        ("metric: roc_auc, min: 1.01", "roc_auc is at most 1"),
        ("metric: log_loss, max: -1", "log_loss is at least 0, so max -1 can never be met"),
        ("metric: brier, min: 2.5", "brier is at most 2"),
        ("metric: accuracy, min: .nan", "min: got nan"),
    ],
)
def test_a_bound_that_can_never_be_met_is_refused(tmp_path, bound, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        open_gate(
            gate(tmp_path, f"stages: {{s: {{checks: [{{check: metric_threshold, {bound}}}]}}}}\n")
        )


def test_reachable_extremes_are_accepted(tmp_path):
    text = (
        "stages: {s: {checks: [{check: metric_threshold, metric: accuracy, min: 1.0},"
        " {check: metric_threshold, id: ll, metric: log_loss, max: 0}]}}\n"
    )
    open_gate(gate(tmp_path, text))


def test_problems_at_every_level_are_listed_in_one_pass(tmp_path):
    text = (
        "seed: -3\n"
        "stages:\n  s:\n    checks:\n"
        "      - {check: metric_threshold, metric: accuracy, min: 1.5}\n"
        "      - {check: no_such_check}\n"
        "      - {check: metric_threshold, metric: accuracy, min: 0.5, n_resamples: 0}\n"
    )
    with pytest.raises(ConfigError) as info:
        open_gate(gate(tmp_path, text))
    text = str(info.value)
    assert "invalid gate file (4 problem(s))" in text
    assert "seed: got -3" in text
    assert "stages.s.checks[0]" in text and "can never be met" in text
    assert "stages.s.checks[1].check: unknown check 'no_such_check'" in text
    assert "stages.s.checks[2].n_resamples" in text
