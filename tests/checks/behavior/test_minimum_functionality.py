"""Minimum-functionality cases: inline, templated, from YAML and CSV files."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from behavior_helpers import STAGE, CountingModel, run_check, write_gate

from mlgate.checks.behavior import minimum_functionality_check
from mlgate.checks.behavior.cases import expand_cases
from mlgate.core.errors import ConfigError
from mlgate.core.gate import open_gate
from mlgate.core.result import Status

POSITIVE = re.compile(r"\b(?:good|great|love)\b", re.IGNORECASE)


def sentiment(X: pd.DataFrame) -> np.ndarray:
    """Positive when a positive word appears, unless 'not' does too."""
    text = X["text"].str.lower()
    return (text.str.contains(POSITIVE) & ~text.str.contains(r"\bnot\b")).astype(int).to_numpy()


def naive(X: pd.DataFrame) -> np.ndarray:
    """Ignores negation."""
    return X["text"].str.contains(POSITIVE).astype(int).to_numpy()


TEXTS = pd.DataFrame({"text": ["a good day", "bad"], "y": [1, 0]})
NEGATION = {
    "template": "The {thing} is not {adj}.",
    "fill": {"thing": ["film", "meal", "book"], "adj": ["good", "great"]},
    "expected": 0,
    "name": "negated positive",
}


def test_templates_expand_to_every_combination():
    cases = expand_cases([NEGATION, {"text": "I love it", "expected": 1}])
    assert len(cases) == 7
    assert cases[0] == {
        "expected": 0,
        "text": "The film is not good.",
        "name": "negated positive[0]",
    }
    assert cases[-1] == {"text": "I love it", "expected": 1, "name": "case 1"}


def test_inline_cases_in_the_gate_file(tmp_path):
    check = {
        "check": "minimum_functionality",
        "cases": [NEGATION, {"text": "I love it", "expected": 1}],
    }
    model = CountingModel(sentiment)
    good = run_check(tmp_path, check, model, TEXTS)
    assert good.status is Status.PASSED and good.value == 0.0 and good.sample_size == 7
    assert model.calls == 1  # every case in one call
    bad = run_check(tmp_path, check, naive, TEXTS)
    assert bad.status is Status.FAILED
    assert bad.value == pytest.approx(6 / 7)
    assert bad.evidence["failures"].type == "examples"
    first = bad.evidence["failures"].rows[0]
    assert first == {
        "name": "negated positive[0]",
        "inputs": {"text": "The film is not good."},
        "expected": 0,
        "got": 1,
    }
    assert "6 of 7 cases failed" in bad.message


def test_max_failure_rate_allows_some_failures():
    cases = [NEGATION, {"text": "I love it", "expected": 1}]
    result = minimum_functionality_check(naive, task="binary", cases=cases, max_failure_rate=0.9)
    assert result.status is Status.PASSED and result.value == pytest.approx(6 / 7)
    assert result.interval.low < 6 / 7 < result.interval.high  # Wilson, for information


def test_cases_from_yaml_and_csv_files_next_to_the_gate(tmp_path):
    (tmp_path / "cases.yaml").write_text(yaml.safe_dump({"cases": [NEGATION]}))
    pd.DataFrame({"text": ["great stuff", "awful"], "expected": [1, 0]}).to_csv(
        tmp_path / "cases.csv", index=False
    )
    from_yaml = run_check(
        tmp_path, {"check": "minimum_functionality", "file": "cases.yaml"}, naive, TEXTS
    )
    assert from_yaml.status is Status.FAILED and from_yaml.sample_size == 6
    from_csv = run_check(
        tmp_path, {"check": "minimum_functionality", "file": "cases.csv"}, naive, TEXTS
    )
    assert from_csv.status is Status.PASSED and from_csv.sample_size == 2


def test_a_missing_cases_file_is_an_error_naming_it(tmp_path):
    result = run_check(
        tmp_path, {"check": "minimum_functionality", "file": "nope.yaml"}, naive, TEXTS
    )
    assert result.status is Status.ERROR and "nope.yaml" in result.message


def test_cases_must_give_exactly_the_features(tmp_path):
    data = TEXTS.assign(length=TEXTS["text"].str.len())
    check = {"check": "minimum_functionality", "cases": [{"text": "good", "expected": 1}]}
    result = run_check(tmp_path, check, sentiment, data)
    assert result.status is Status.ERROR
    assert "missing: ['length']" in result.message
    typo = {"check": "minimum_functionality", "cases": [{"txt": "good", "expected": 1}]}
    assert "not features: ['txt']" in run_check(tmp_path, typo, sentiment, TEXTS).message


def test_regression_cases_pass_within_the_tolerance():
    def double(X):
        return 2.0 * X["x"].to_numpy()

    cases = [{"x": 1.0, "expected": 2.05}, {"x": 3.0, "expected": 6.0}]
    assert (
        minimum_functionality_check(double, task="regression", cases=cases).status is Status.FAILED
    )
    ok = minimum_functionality_check(double, task="regression", cases=cases, tolerance=0.1)
    assert ok.status is Status.PASSED


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({}, "give exactly one of 'cases' (inline) or 'file'"),
        ({"cases": [{"text": "x"}]}, "has no 'expected' output"),
        ({"cases": [{"template": "{a} {b}", "fill": {"a": ["x"]}, "expected": 1}]}, "uses ['b']"),
        ({"cases": []}, "cases"),
    ],
)
def test_gate_file_mistakes(tmp_path, check, message):
    path = write_gate(tmp_path, [{"check": "minimum_functionality", **check}])
    with pytest.raises(ConfigError) as info:
        open_gate(path)
    assert f"stages.{STAGE}.checks[0]" in str(info.value) and message in str(info.value)
