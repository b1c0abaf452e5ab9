"""Slice declarations: which rows each kind selects, names, and errors that name the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from mlgate.checks.slices.spec import SliceSpec, as_spec, materialize, materialize_all
from mlgate.core.errors import DataError

FRAME = pd.DataFrame(
    {
        "sex": ["F", "M", "F", "M", None, "F"],
        "race": ["a", "a", "b", "b", "a", "b"],
        "age": [10.0, 25.0, 40.0, 65.0, 80.0, np.nan],
    }
)


def names_and_rows(spec) -> dict[str, list[int]]:
    return {s.name: np.flatnonzero(s.mask).tolist() for s in materialize(as_spec(spec), FRAME)}


def test_one_slice_per_value_leaves_missing_values_out():
    assert names_and_rows("sex") == {"sex=F": [0, 2, 5], "sex=M": [1, 3]}


def test_value_range_bins_expression_and_intersection():
    assert names_and_rows({"column": "race", "value": "b"}) == {"race=b": [2, 3, 5]}
    assert names_and_rows({"column": "age", "range": [25, 65]}) == {"age in [25, 65)": [1, 2]}
    assert names_and_rows({"column": "age", "range": [65, None], "name": "old"}) == {"old": [3, 4]}
    assert names_and_rows({"column": "age", "bins": [0, 30, 100]}) == {
        "age in [0, 30)": [0, 1],
        "age in [30, 100)": [2, 3, 4],
    }
    assert names_and_rows({"expr": "age >= 40 and race == 'b'"}) == {
        "age >= 40 and race == 'b'": [2, 3]
    }
    assert names_and_rows({"intersect": ["sex", "race"]}) == {
        "sex=F & race=a": [0],
        "sex=F & race=b": [2, 5],
        "sex=M & race=a": [1],
        "sex=M & race=b": [3],
    }


def test_the_frame_is_not_modified():
    before = FRAME.copy()
    materialize_all([as_spec(s) for s in ["sex", {"expr": "age > 20"}]], FRAME)
    pd.testing.assert_frame_equal(FRAME, before)


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ({"column": "a", "expr": "x"}, "exactly one"),
        ({"value": 1}, "exactly one"),
        ({"column": "a", "value": 1, "range": [0, 1]}, "at most one"),
        ({"column": "a", "bins": [3, 1]}, "increase"),
        ({"column": "a", "name": "n"}, "one slice"),
    ],
)
def test_bad_declarations_are_rejected(spec, text):
    with pytest.raises(ValidationError, match=text):
        SliceSpec.model_validate(spec)


def test_data_errors_name_the_problem():
    with pytest.raises(DataError, match="'nope'"):
        materialize(as_spec("nope"), FRAME)
    with pytest.raises(DataError, match="boolean"):
        materialize(as_spec({"expr": "age + 1"}), FRAME)
    with pytest.raises(DataError, match="repeated"):
        materialize_all([as_spec("sex"), as_spec({"column": "sex", "value": "F"})], FRAME)
    many = pd.DataFrame({"id": np.arange(500)})
    with pytest.raises(DataError, match="bins"):
        materialize(as_spec("id"), many)
