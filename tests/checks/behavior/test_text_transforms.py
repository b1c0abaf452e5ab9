"""Text transformations: typos within n edits, case, punctuation, name swaps, negation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.behavior.transforms.text import PERSON_NAMES, PLACE_NAMES
from mlgate.checks.behavior.variants import resolve_transform

SENTENCES = [
    "Maria loved the film.",
    "The hotel in Paris was awful!",
    "I like this book",
    "She watches every match.",
    "They can cook.",
    "It is not good.",
    "",
    "12345 ...",
]


def edit_distance(a: str, b: str, *, transpositions: bool = True) -> int:
    """Optimal string alignment distance (adjacent swaps count one edit): the reference."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if transpositions and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def texts(values=SENTENCES, dtype=None) -> pd.DataFrame:
    return pd.DataFrame({"text": pd.Series(values, dtype=dtype), "n": range(len(values))})


def apply(name, X, seed=0, **params):
    applied = resolve_transform(name, X, params=params)
    return applied(X, np.random.default_rng(seed), X)


def test_one_typo_is_exactly_one_edit():
    X = texts(SENTENCES * 50)
    out = apply("typo", X, n=1)
    for before, after in zip(X["text"], out["text"], strict=True):
        if re.search("[A-Za-z]", before):
            assert edit_distance(before, after) == 1, (before, after)
        else:
            assert after == before  # nothing to misspell
    assert (out["n"] == X["n"]).all()  # other columns untouched


def test_n_typos_make_at_most_n_edits():
    X = texts(SENTENCES[:6] * 50)
    out = apply("typo", X, n=3)
    # A swap is two single-character edits, and later typos may undo or overlap earlier
    # ones, so bound the plain edit distance (no transpositions) by 2n.
    for before, after in zip(X["text"], out["text"], strict=True):
        assert 0 <= edit_distance(before, after, transpositions=False) <= 6
    assert (out["text"] != X["text"]).mean() > 0.95


def test_single_typo_kinds():
    X = texts(["abcdef"] * 200)
    for kind, length in (("delete", 5), ("insert", 7), ("replace", 6), ("swap", 6)):
        out = apply("typo", X, kinds=[kind])["text"]
        assert (out.str.len() == length).all(), kind
        assert (out != "abcdef").all(), kind


def test_typo_keeps_missing_values_and_string_dtype():
    X = texts(["hello world", None, "good day"], dtype="string")
    out = apply("typo", X)
    assert out["text"].dtype == X["text"].dtype
    assert pd.isna(out["text"].iloc[1])


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("lower", "i like this book"), ("upper", "I LIKE THIS BOOK"), ("title", "I Like This Book")],
)
def test_case_modes(mode, expected):
    assert apply("case", texts(["I like this book"]), mode=mode)["text"][0] == expected


def test_random_case_flips_letters_at_the_rate():
    out = apply("case", texts(["a" * 10_000]), mode="random", rate=0.3)["text"][0]
    assert out.count("A") / 10_000 == pytest.approx(0.3, abs=0.02)


def test_punctuation_strip_and_add():
    X = texts(["Hello, world!", "Fine"])
    assert apply("punctuation", X, mode="strip")["text"].tolist() == ["Hello world", "Fine"]
    added = apply("punctuation", X, mode="add")["text"]
    assert all(a[:-1] == b and a[-1] in ".!?" for a, b in zip(added, X["text"], strict=True))


def test_name_swap_replaces_whole_names_with_other_names_of_the_list():
    X = texts(["Maria met Wei and Maria.", "Mariana stayed.", "Nobody here."] * 30)
    out = apply("name_swap", X)["text"]
    names = "|".join(PERSON_NAMES)
    for before, after in zip(X["text"], out, strict=True):
        if before.startswith("Maria met"):
            m = re.fullmatch(rf"({names}) met ({names}) and ({names})\.", after)
            assert m and m.group(1) != "Maria" and m.group(2) != "Wei" and m.group(3) != "Maria"
        else:
            assert after == before  # "Mariana" is not the name "Maria"


def test_place_names_and_custom_lists():
    X = texts(["Flights from Mexico City to Lagos."])
    places = "|".join(re.escape(p) for p in PLACE_NAMES)
    for seed in range(5):
        out = apply("name_swap", X, kind="place", seed=seed)["text"][0]
        m = re.fullmatch(rf"Flights from ({places}) to ({places})\.", out)
        assert m and m.group(1) != "Mexico City" and m.group(2) != "Lagos", out
    custom = apply("name_swap", texts(["Ann and Bob"]), names=["Ann", "Bob"])["text"][0]
    assert custom == "Bob and Ann"


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("The film is good.", "The film is not good."),
        ("They can cook.", "They cannot cook."),
        ("I like this book", "I do not like this book"),
        ("She watches every match.", "She does not watch every match."),
        ("He tries hard", "He does not try hard"),
        ("She loves it", "She does not love it"),
        ("It is not good.", "It is not good."),  # already negated: unchanged
        ("Lovely weather", "Lovely weather"),  # no template fits: unchanged
    ],
)
def test_negation_templates(text, negated):
    assert apply("negate", texts([text]))["text"][0] == negated


def test_text_transforms_default_to_string_columns():
    applied = resolve_transform("typo", texts())
    assert applied.columns == ("text",)
