"""The transform registry: users add transformations the way mlgate adds its own."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Annotated

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from mlgate.checks.behavior.transforms import Transform, TransformRegistry, register_transform
from mlgate.checks.behavior.transforms.tabular import TABULAR_TRANSFORMS
from mlgate.core.errors import ConfigError, DataError


def double(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    times: Annotated[int, Field(ge=1)] = 2,
) -> pd.DataFrame:
    """Multiply the columns by ``times``."""
    return X.assign(**{c: X[c] * times for c in columns})


def test_register_transform_adds_a_validated_transform():
    reg = TransformRegistry()
    assert register_transform("double", strength="times", registry=reg)(double) is double
    t = reg.get("double")
    assert (t.modality, t.strength, t.summary) == (
        "tabular",
        ("times",),
        "Multiply the columns by ``times``.",
    )
    assert t.validate_params({}) == {"times": 2}
    with pytest.raises(ConfigError, match=r"params\.times"):
        t.validate_params({"times": 0})
    with pytest.raises(
        ConfigError, match="has no parameter 'factor'; its parameters: \\['times'\\]"
    ):
        t.validate_params({"factor": 3})
    X = pd.DataFrame({"a": [1.0, 2.0]})
    assert t(X, np.random.default_rng(0), columns=["a"], times=3)["a"].tolist() == [3.0, 6.0]


def test_duplicate_names_are_refused_unless_replaced():
    reg = TransformRegistry(TABULAR_TRANSFORMS)
    with pytest.raises(ValueError, match="already registered"):
        register_transform("gaussian_noise", registry=reg)(double)
    reg.register(Transform("gaussian_noise", double), replace=True)
    assert reg.get("gaussian_noise").fn is double


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown transform 'nosie'; known: .*gaussian_noise"):
        TransformRegistry(TABULAR_TRANSFORMS).get("nosie")


def test_a_function_with_the_wrong_signature_is_rejected():
    def bad(X, columns):
        return X

    with pytest.raises(ValueError, match=r"expected a function fn\(X, rng, \*, columns"):
        Transform("bad", bad)


def test_entry_point_transforms_load_on_first_use():
    ep = EntryPoint(
        name="double",
        value="tests_behavior_plugin:double",
        group="mlgate.transforms",
    )
    reg = TransformRegistry(entry_points_=[ep])
    assert "double" in reg
    with pytest.raises(
        ConfigError, match="could not be loaded from 'tests_behavior_plugin:double'"
    ):
        reg.get("double")


def test_module_callable_reference_is_imported_from_the_given_folder(tmp_path):
    (tmp_path / "my_transforms_mod.py").write_text(
        "def negate_x(X, rng, *, columns):\n    return X.assign(**{c: -X[c] for c in columns})\n"
    )
    t = TransformRegistry().resolve("my_transforms_mod:negate_x", base_dir=tmp_path)
    X = pd.DataFrame({"x": [1.0, -2.0]})
    assert t(X, np.random.default_rng(0), columns=["x"])["x"].tolist() == [-1.0, 2.0]


@pytest.mark.parametrize(
    ("result", "match"),
    [
        (lambda X: X.iloc[:1], r"returned \(1, 1\)"),
        (lambda X: "nope", "returned str"),
        (lambda X: X, "returned its input frame"),
    ],
)
def test_a_transform_must_return_a_new_frame_of_the_same_shape(result, match):
    def fn(X, rng, *, columns):
        return result(X)

    with pytest.raises(DataError, match=match):
        Transform("broken", fn)(
            pd.DataFrame({"a": [1, 2]}), np.random.default_rng(0), columns=["a"]
        )
