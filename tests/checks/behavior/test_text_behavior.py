"""Known verdicts on text: a keyword classifier fails a typo perturbation and a name-swap
invariance it should pass, and the counterexample shown is minimal."""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from behavior_helpers import run_check
from test_text_transforms import edit_distance

from mlgate.checks.behavior import find_counterexample, minimum_functionality_check
from mlgate.core.result import Status

NAMES = ["Maria", "Wei", "Hope", "Joy", "David", "Aisha", "Lars", "Mei"]
POSITIVE = ["great", "wonderful", "excellent"]
NEGATIVE = ["awful", "boring", "terrible"]


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(800):
        good = bool(rng.random() < 0.5)
        adj = rng.choice(POSITIVE if good else NEGATIVE)
        name, thing = rng.choice(NAMES), rng.choice(["film", "book", "meal", "hotel"])
        rows.append((f"{name} thought the {thing} was {adj}.", int(good)))
    return pd.DataFrame(rows, columns=["text", "y"])


KEYWORDS = re.compile(r"\b(?:great|wonderful|excellent|hope|joy)\b", re.IGNORECASE)


def keyword_classifier(X: pd.DataFrame) -> np.ndarray:
    """Exact keyword match; its list also has 'hope' and 'joy', which are names too."""
    return X["text"].str.contains(KEYWORDS).astype(int).to_numpy()


def fuzzy_classifier(X: pd.DataFrame) -> np.ndarray:
    """Matches words close to a positive word; no names in its list."""

    def positive(text: str) -> int:
        words = re.findall(r"[a-z]+", text.lower())
        return int(any(difflib.get_close_matches(w, POSITIVE, n=1, cutoff=0.75) for w in words))

    return np.array([positive(t) for t in X["text"]])


TYPO = {"check": "perturbation", "transform": "typo", "variants": 3, "max_flip_rate": 0.05}
NAME_SWAP = {
    "check": "invariance",
    "transform": "name_swap",
    "params": {"names": NAMES},
    "variants": 3,
    "max_flip_rate": 0.01,
}


def test_keyword_classifier_fails_typos_and_the_minimal_counterexample_is_one_typo(
    tmp_path, reviews
):
    check = {**TYPO, "params": {"n": 3}}  # three typos per string
    result = run_check(tmp_path, check, keyword_classifier, reviews)
    assert result.status is Status.FAILED, result.message
    assert result.interval.low > 0.05
    worst = [
        edit_distance(e["original"]["text"], e["changed"]["text"])
        for e in result.evidence["examples"].rows
    ]
    assert max(worst) > 1  # the raw examples carry several typos
    (cx,) = result.evidence["minimal"].rows
    before, after = cx["original"]["text"], cx["changed"]["text"]
    assert cx["params"]["n"] == 1 and edit_distance(before, after) == 1  # shrunk to one typo
    assert (cx["prediction"]["original"], cx["prediction"]["changed"]) == (1, 0)
    assert keyword_classifier(pd.DataFrame({"text": [after]}))[0] == 0  # it really flips
    # pasted as a case the keyword classifier fails and the fuzzy one passes
    cases = yaml.safe_load(cx["paste"])
    assert cases == [{"text": after, "expected": 1}]
    assert (
        minimum_functionality_check(keyword_classifier, task="binary", cases=cases).status
        is Status.FAILED
    )
    assert (
        minimum_functionality_check(fuzzy_classifier, task="binary", cases=cases).status
        is Status.PASSED
    )


def test_a_typo_tolerant_classifier_passes(tmp_path, reviews):
    result = run_check(tmp_path, {**TYPO, "shrink": 0}, fuzzy_classifier, reviews)
    assert result.status is Status.PASSED, result.message


def test_keyword_classifier_fails_name_swap_and_the_counterexample_is_one_name(tmp_path, reviews):
    result = run_check(tmp_path, NAME_SWAP, keyword_classifier, reviews)
    assert result.status is Status.FAILED, result.message
    (cx,) = result.evidence["minimal"].rows
    before = cx["original"]["text"].split()
    after = cx["changed"]["text"].split()
    diff = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(diff) == 1 and diff[0][0] in NAMES and diff[0][1] in NAMES  # one name swapped
    assert cx["prediction"]["original"] != cx["prediction"]["changed"]
    # The pasted case is the row of the pair the model gets wrong, with its true label.
    (case,) = yaml.safe_load(cx["paste"])
    assert keyword_classifier(pd.DataFrame({"text": [case["text"]]}))[0] != case["expected"]
    assert {"Hope", "Joy"} & set(case["text"].split())


def test_a_classifier_without_names_in_its_keywords_passes_name_swap(tmp_path, reviews):
    def fixed(X):
        return X["text"].str.contains(r"\b(?:great|wonderful|excellent)\b").astype(int).to_numpy()

    result = run_check(tmp_path, NAME_SWAP, fixed, reviews)
    assert result.status is Status.PASSED, result.message
    assert result.sample_size == 800 and result.value == 0.0


def test_find_counterexample_from_python(reviews):
    row = int(np.flatnonzero(reviews["text"].str.contains("wonderful"))[0])
    cx = find_counterexample(
        keyword_classifier, reviews[["text"]], row, "typo", params={"n": 2}, task="binary"
    )
    assert cx is not None and cx.params["n"] == 1
    assert edit_distance(cx.original["text"], cx.changed["text"]) == 1
    assert cx.paste() == f"- {{text: {cx.changed['text']}, expected: 1}}"
