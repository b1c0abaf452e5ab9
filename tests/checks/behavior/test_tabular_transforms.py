"""Tabular transformations: what each changes, seeded, vectorised, never modifying the input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.behavior.transforms import default_registry
from mlgate.checks.behavior.variants import resolve_transform
from mlgate.core.errors import ConfigError, DataError


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 20_000
    return pd.DataFrame(
        {
            "age": rng.normal(40.0, 10.0, n),
            "income": rng.lognormal(10.0, 1.0, n),
            "rooms": rng.integers(1, 6, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "sex": rng.choice(["f", "m"], n),
        }
    )


def apply(name, X, columns=None, seed=0, **params):
    applied = resolve_transform(name, X, columns=columns, params=params)
    return applied(X, np.random.default_rng(seed), X), applied


def test_gaussian_noise_is_scaled_to_each_columns_spread(frame):
    before = frame.copy()
    out, applied = apply("gaussian_noise", frame, scale=0.2)
    assert applied.columns == ("age", "income", "rooms")  # numeric features by default
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    for col in ("age", "income", "rooms"):
        noise = out[col].to_numpy() - frame[col].to_numpy()
        # sd of the added noise is 0.2 × the column's sd, within sampling error (n = 20,000)
        assert np.std(noise) == pytest.approx(0.2 * frame[col].std(ddof=0), rel=0.03)
        assert abs(np.mean(noise)) < 0.05 * frame[col].std()
    assert (out["colour"] == frame["colour"]).all()


def test_transforms_are_reproducible_with_a_seed_and_differ_across_seeds(frame):
    a, _ = apply("gaussian_noise", frame, seed=5)
    b, _ = apply("gaussian_noise", frame, seed=5)
    c, _ = apply("gaussian_noise", frame, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["age"].equals(c["age"])


def test_noise_statistics_come_from_the_reference_not_the_chunk(frame):
    """A chunk of rows is perturbed with the whole table's spread."""
    applied = resolve_transform("gaussian_noise", frame, columns=["age"], params={"scale": 1.0})
    chunk = frame.iloc[:5000]
    narrow = chunk[(chunk["age"] > 39.9) & (chunk["age"] < 40.1)]  # sd ≈ 0.06 on its own
    out = applied(narrow, np.random.default_rng(0), frame)
    assert np.std(out["age"] - narrow["age"]) > 5.0  # ≈ 10, the table's sd


def test_categorical_swap_always_moves_to_another_seen_category(frame):
    out, applied = apply("categorical_swap", frame)
    assert applied.columns == ("colour", "sex")
    assert (out["colour"] != frame["colour"]).all()
    assert set(out["colour"]) == {"red", "green", "blue"}
    # uniform over the two other categories
    moved_from_red = out.loc[frame["colour"] == "red", "colour"]
    assert moved_from_red.value_counts(normalize=True).to_dict() == pytest.approx(
        {"green": 0.5, "blue": 0.5}, abs=0.03
    )


def test_categorical_swap_rate_changes_that_share_of_rows(frame):
    out, _ = apply("categorical_swap", frame, columns=["colour"], rate=0.3)
    assert (out["colour"] != frame["colour"]).mean() == pytest.approx(0.3, abs=0.015)


def test_missing_values_injects_nan_at_the_rate(frame):
    out, _ = apply("missing_values", frame, columns=["age", "colour", "rooms"], rate=0.25)
    for col in ("age", "colour", "rooms"):
        assert out[col].isna().mean() == pytest.approx(0.25, abs=0.015)
    assert frame.notna().all().all()


def test_set_increase_decrease(frame):
    out, _ = apply("set", frame, columns=["rooms"], value=3)
    assert (out["rooms"] == 3).all()
    up, _ = apply("increase", frame, columns=["age"], by=2.5)
    np.testing.assert_allclose(up["age"] - frame["age"], 2.5)
    down, _ = apply("decrease", frame, columns=["age"], by_spread=0.5)
    np.testing.assert_allclose(frame["age"] - down["age"], 0.5 * frame["age"].std(ddof=0))


def test_swap_sensitive_swaps_two_groups_deterministically(frame):
    applied = resolve_transform("swap_sensitive", frame, sensitive=["sex"])
    assert applied.columns == ("sex",)  # the dataset's sensitive columns by default
    out = applied(frame, np.random.default_rng(0), frame)
    assert ((frame["sex"] == "f") == (out["sex"] == "m")).all()


def test_swap_sensitive_only_between_the_given_groups(frame):
    out, _ = apply("swap_sensitive", frame, columns=["colour"], groups=["red", "green"])
    blue = frame["colour"] == "blue"
    assert (out.loc[blue, "colour"] == "blue").all()
    assert (out.loc[~blue, "colour"] != frame.loc[~blue, "colour"]).all()
    assert set(out.loc[~blue, "colour"]) == {"red", "green"}


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("gaussian_noise", {"scale": -1}, r"params\.scale"),
        ("gaussian_noise", {"sigma": 1}, "has no parameter 'sigma'"),
        ("increase", {"by": 1, "by_spread": 1}, "exactly one of 'by'"),
        ("increase", {}, "exactly one of 'by'"),
        ("missing_values", {"rate": 1.5}, r"params\.rate"),
        ("set", {}, r"params\.value"),
    ],
)
def test_bad_parameters_are_config_errors_naming_them(frame, name, params, match):
    with pytest.raises(ConfigError, match=match):
        resolve_transform(name, frame, columns=["age"], params=params)


def test_noise_on_a_text_column_is_a_data_error_naming_it(frame):
    with pytest.raises(DataError, match="'colour' has dtype"):
        apply("gaussian_noise", frame, columns=["colour"])


def test_unknown_column_is_a_data_error_listing_features(frame):
    with pytest.raises(DataError, match=r"\['agee'\] are not features"):
        resolve_transform("gaussian_noise", frame, columns=["agee"])


def test_columns_without_a_default_must_be_named(frame):
    with pytest.raises(DataError, match="has no default"):
        resolve_transform("increase", frame, params={"by": 1})
    with pytest.raises(DataError, match="declares no 'sensitive'"):
        resolve_transform("swap_sensitive", frame)


def test_builtin_names_by_modality():
    reg = default_registry()
    assert reg.names("tabular") == [
        "categorical_swap",
        "decrease",
        "gaussian_noise",
        "increase",
        "missing_values",
        "scale",
        "set",
        "swap_sensitive",
    ]
    assert reg.names("text") == ["case", "name_swap", "negate", "punctuation", "typo"]
    assert reg.names("image") == [
        "brightness",
        "contrast",
        "image_noise",
        "image_rotate",
        "image_shift",
    ]
