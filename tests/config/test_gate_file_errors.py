"""Every kind of gate-file mistake is rejected before anything runs, naming the key path,
the bad value and what was expected; through pytest it is a usage error (exit 4)."""

from __future__ import annotations

import copy

import pytest

from mlgate.config import parse_gate
from mlgate.core.decision import ExitCode
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate

BASE = {
    "name": "g",
    "task": "binary",
    "models": {"candidate": {"factory": "m:make"}},
    "datasets": {"evaluation": {"factory": "d:load", "label": "y"}},
    "stages": {"ci": {"checks": [{"check": "metric_threshold", "metric": "accuracy", "min": 0.8}]}},
}


def mutate(path: list, value=None, delete: bool = False) -> dict:
    cfg = copy.deepcopy(BASE)
    node = cfg
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return cfg


MISTAKES = [
    ("unknown-top-key", mutate(["stagez"], {}), ["stagez: unknown key"]),
    ("missing-task", mutate(["task"], delete=True), ["task: required key is missing"]),
    (
        "bad-task",
        mutate(["task"], "clustering"),
        ["task: got 'clustering'", "'binary', 'multiclass' or 'regression'"],
    ),
    ("seed-negative", mutate(["seed"], -1), ["seed: got -1"]),
    (
        "no-candidate",
        mutate(["models"], {"champ": {"factory": "m:make"}}),
        ["models: got", "a 'candidate' model is required"],
    ),
    (
        "no-evaluation",
        mutate(["datasets"], {"ref": {"factory": "d:load"}}),
        ["datasets: got", "an 'evaluation' dataset is required"],
    ),
    (
        "model-without-source",
        mutate(["models", "candidate"], {"trust": True}),
        ["models.candidate: got", "give 'factory' (module:callable) or 'path'"],
    ),
    (
        "factory-not-module-callable",
        mutate(["models", "candidate", "factory"], "m.make"),
        ["models.candidate.factory: got 'm.make'", "should match pattern"],
    ),
    (
        "unknown-model-key",
        mutate(["models", "candidate", "weights"], "w.pt"),
        ["models.candidate.weights: unknown key"],
    ),
    (
        "dataset-two-sources",
        mutate(["datasets", "evaluation", "path"], "x.csv"),
        ["datasets.evaluation: got", "exactly one of 'path'"],
    ),
    (
        "bad-dataset-format",
        mutate(["datasets", "evaluation", "format"], "xlsx"),
        ["datasets.evaluation.format: got 'xlsx'"],
    ),
    ("empty-stages", mutate(["stages"], {}), ["stages: got {}"]),
    ("stage-without-checks", mutate(["stages", "ci", "checks"], []), ["stages.ci.checks: got []"]),
    (
        "bad-severity",
        mutate(["stages", "ci", "checks", 0, "severity"], "fatal"),
        ["stages.ci.checks[0].severity: got 'fatal'", "'block' or 'warn'"],
    ),
    (
        "bad-stage-name",
        mutate(["stages"], {"my stage": BASE["stages"]["ci"]}),
        ["name 'my stage' is not allowed"],
    ),
]


@pytest.mark.parametrize(
    ("cfg", "expected"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_schema_mistakes_name_path_and_expectation(cfg, expected):
    with pytest.raises(ConfigError) as info:
        parse_gate(cfg, source="gate.yaml")
    text = str(info.value)
    assert text.startswith("gate.yaml: invalid gate file")
    for fragment in expected:
        assert fragment in text, text


def test_all_problems_are_listed_at_once():
    cfg = mutate(["task"], "clustering")
    cfg["extra"] = 1
    with pytest.raises(ConfigError, match=r"\(2 problem\(s\)\)"):
        parse_gate(cfg)


def test_not_a_mapping():
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_gate(["a", "list"], source="g.yaml")


CHECK_MISTAKES = [
    (
        "unknown-check",
        {"check": "accuracy_above"},
        ["stages.ci.checks[0].check: unknown check 'accuracy_above'", "metric_threshold"],
    ),
    (
        "unknown-param",
        {"check": "metric_threshold", "metric": "accuracy", "min": 0.8, "mni": 0.7},
        ["stages.ci.checks[0].mni: unknown key"],
    ),
    (
        "missing-param",
        {"check": "metric_threshold", "min": 0.8},
        ["stages.ci.checks[0].metric: required key is missing"],
    ),
    (
        "wrong-type",
        {"check": "metric_threshold", "metric": "accuracy", "min": "high"},
        ["stages.ci.checks[0].min: got 'high'"],
    ),
    (
        "metric-for-other-task",
        {"check": "metric_threshold", "metric": "rmse", "max": 1},
        ["stages.ci.checks[0].metric: metric 'rmse' does not apply to a binary task"],
    ),
    (
        "unknown-dataset",
        {"check": "metric_threshold", "metric": "accuracy", "min": 0.8, "dataset": "holdout"},
        ["stages.ci.checks[0].dataset: no dataset 'holdout'; declared: ['evaluation']"],
    ),
]


@pytest.mark.parametrize(
    ("check", "expected"), [m[1:] for m in CHECK_MISTAKES], ids=[m[0] for m in CHECK_MISTAKES]
)
def test_check_mistakes_name_the_check_path(tmp_path, check, expected):
    import yaml

    cfg = mutate(["stages", "ci", "checks"], [check])
    path = tmp_path / "mlgate.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    for fragment in expected:
        assert fragment in str(info.value), str(info.value)


def test_duplicate_check_ids_in_a_stage(tmp_path):
    import yaml

    check = {"check": "metric_threshold", "metric": "accuracy", "min": 0.8}
    path = tmp_path / "mlgate.yaml"
    path.write_text(yaml.safe_dump(mutate(["stages", "ci", "checks"], [check, check])))
    with pytest.raises(ConfigError, match=r"checks\[1\]\.id: check id 'accuracy' is already used"):
        open_gate(path)


def test_an_unquoted_on_key_read_as_a_boolean_says_so(tmp_path):
    # YAML 1.1 reads `on:` as True; pydantic's own message ("Keys should be strings") does
    # not say why a key the user typed as text is a boolean.
    path = tmp_path / "mlgate.yaml"
    text = (
        "name: t\ntask: binary\nmodels: {candidate: {factory: m:f}}\n"
        "datasets: {evaluation: {factory: m:d, label: y}}\n"
        "stages:\n  ci:\n    checks:\n      - {check: metric_threshold, metric: accuracy, "
        "min: 0.8, on: features}\n"
    )
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    assert "got True: Keys should be strings" in str(info.value)
    assert "quote it ('on': ...)" in str(info.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="gate file not found"):
        open_gate(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        open_gate(bad)


@pytest.mark.parametrize(
    "content", ["task: clustering\n", "::: not yaml [\n"], ids=["schema", "syntax"]
)
def test_through_pytest_it_is_a_usage_error_before_anything_runs(pytester, content):
    pytester.makefile(".yaml", mlgate=content)
    pytester.makepyfile(test_x="def test_x():\n    open('ran.txt', 'w').close()\n")
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.USAGE_ERROR
    assert "ERROR: mlgate:" in result.stderr.str()
    assert not (pytester.path / "ran.txt").exists()


def test_missing_default_gate_file_says_how_to_fix(pytester):
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.USAGE_ERROR
    assert "gate file not found" in result.stderr.str()
    assert "--mlgate-file" in result.stderr.str()
