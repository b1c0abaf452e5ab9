"""Tabular transformations: noise scaled to each feature's spread, category swaps, missing
values, set / increase / decrease a feature, and swapping a sensitive attribute.

Each takes the feature frame, a NumPy generator and the columns to change, and returns a new
frame (the input is never modified). Statistics (spread, categories, groups) come from
``reference``, the whole unperturbed frame, so any chunk of rows is perturbed alike.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from mlgate.checks.behavior.transforms.registry import Transform
from mlgate.core.errors import ConfigError, DataError

Rate = Annotated[float, Field(gt=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]


def gaussian_noise(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    reference: pd.DataFrame,
    scale: Positive = 0.1,
) -> pd.DataFrame:
    """Add N(0, (scale · σ)²) to each column, σ its standard deviation in ``reference``.

    Constant columns stay unchanged; missing values stay missing. Integer columns become
    float. The noise is drawn in float32 (precision far below any sensible ``scale``), which
    halves the cost of drawing it for large tables.
    """
    out = X.copy(deep=False)
    for col in columns:
        values = _numeric(X, col, "gaussian_noise")
        sigma = _spread(reference, col, "gaussian_noise")
        noise = rng.standard_normal(len(X), dtype=np.float32)
        noise *= np.float32(scale * sigma)
        out[col] = values + noise
    return out


def categorical_swap(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    reference: pd.DataFrame,
    rate: Rate = 1.0,
) -> pd.DataFrame:
    """With probability ``rate``, replace each value by another category of its column, drawn
    uniformly from the other values seen in ``reference``. Missing and unseen values stay."""
    out = X.copy(deep=False)
    for col in columns:
        cats = _categories(reference[col], col, "categorical_swap")
        out[col] = _swap(X[col], cats, rng, rate)
    return out


def swap_sensitive(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    reference: pd.DataFrame,
    groups: list[Any] | None = None,
) -> pd.DataFrame:
    """Move every row of a sensitive column to another group: a value uniformly drawn from the
    other ``groups`` (default: every value seen in ``reference``). With two groups this is a
    deterministic swap. Rows whose value is not one of the groups stay unchanged."""
    out = X.copy(deep=False)
    for col in columns:
        cats = _categories(reference[col], col, "swap_sensitive") if groups is None else groups
        if len(cats) < 2:
            raise ConfigError(
                f"swap_sensitive needs at least two groups for column {col!r}, got {list(cats)}",
                path="params.groups",
            )
        out[col] = _swap(X[col], list(cats), rng, 1.0)
    return out


def missing_values(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    rate: Rate = 0.1,
) -> pd.DataFrame:
    """Set each cell of the columns to missing (NaN) with probability ``rate``. Integer and
    boolean columns are upcast so they can hold the missing value."""
    out = X.copy(deep=False)
    for col in columns:
        out[col] = X[col].mask(rng.random(len(X)) < rate)
    return out


def set_value(
    X: pd.DataFrame, rng: np.random.Generator, *, columns: list[str], value: Any
) -> pd.DataFrame:
    """Set the columns to ``value`` on every row."""
    out = X.copy(deep=False)
    for col in columns:
        out[col] = pd.Series(value, index=X.index)
    return out


def increase(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    reference: pd.DataFrame,
    by: Positive | None = None,
    by_spread: Positive | None = None,
) -> pd.DataFrame:
    """Add ``by`` (absolute) or ``by_spread`` × the column's standard deviation."""
    return _shift(X, columns, reference, by, by_spread, +1.0, "increase")


def decrease(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    reference: pd.DataFrame,
    by: Positive | None = None,
    by_spread: Positive | None = None,
) -> pd.DataFrame:
    """Subtract ``by`` (absolute) or ``by_spread`` × the column's standard deviation."""
    return _shift(X, columns, reference, by, by_spread, -1.0, "decrease")


def scale(
    X: pd.DataFrame, rng: np.random.Generator, *, columns: list[str], factor: Positive
) -> pd.DataFrame:
    """Multiply the columns by ``factor`` (a relative change: 1.1 is 10% more, 0.9 is 10%
    less); missing values stay missing. Integer columns become float."""
    out = X.copy(deep=False)
    for col in columns:
        out[col] = _numeric(X, col, "scale") * float(factor)
    return out


def _shift(X, columns, reference, by, by_spread, sign: float, name: str) -> pd.DataFrame:
    out = X.copy(deep=False)
    for col in columns:
        values = _numeric(X, col, name)
        step = (
            by if by is not None else by_spread * float(np.nanstd(_numeric(reference, col, name)))
        )
        out[col] = values + sign * step
    return out


def _one_amount(params: dict[str, Any]) -> None:
    if (params.get("by") is None) == (params.get("by_spread") is None):
        raise ConfigError(
            "give exactly one of 'by' (an absolute amount) or 'by_spread' (a multiple of the "
            "column's standard deviation)",
            path="params",
        )


def _numeric(X: pd.DataFrame, col: str, name: str) -> np.ndarray:
    s = X[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise DataError(
            f"transform {name!r} needs numeric columns; {col!r} has dtype {s.dtype}. "
            "Name numeric columns with 'columns', or use categorical_swap for categories."
        )
    return s.to_numpy(dtype=float, na_value=np.nan)


def _spread(reference: pd.DataFrame, col: str, name: str) -> float:
    """The column's standard deviation (ddof 0) over the reference, ignoring missing values."""
    values = _numeric(reference, col, name)
    return float(np.nanstd(values) if np.isnan(values).any() else np.std(values))


def _categories(s: pd.Series, col: str, name: str) -> list[Any]:
    cats = pd.unique(s.dropna())
    if len(cats) < 2:
        raise DataError(
            f"transform {name!r}: column {col!r} has {len(cats)} distinct value(s) "
            f"{list(cats)[:5]}; swapping needs at least two"
        )
    try:
        return sorted(cats.tolist())
    except TypeError:
        return sorted(cats.tolist(), key=repr)


def _swap(s: pd.Series, cats: list[Any], rng: np.random.Generator, rate: float) -> pd.Series:
    """Each value that is one of ``cats`` moves to a uniformly drawn *other* category with
    probability ``rate``; the draw is vectorised as a random non-zero offset modulo k."""
    k = len(cats)
    codes = pd.Index(cats).get_indexer(s.to_numpy(dtype=object))
    offset = rng.integers(1, k, size=len(s))
    move = (codes >= 0) & (rng.random(len(s)) < rate if rate < 1.0 else True)
    new_codes = np.where(move, (codes + offset) % k, codes)
    table = np.empty(k + 1, dtype=object)  # filled item by item: tuples stay single values
    for i, c in enumerate(cats):
        table[i] = c
    values = table[np.where(new_codes >= 0, new_codes, k)]
    result = np.where(move, values, s.to_numpy(dtype=object))
    out = pd.Series(result, index=s.index, name=s.name)
    try:
        return out.astype(s.dtype)
    except (TypeError, ValueError):
        return out


TABULAR_TRANSFORMS = (
    Transform(
        "gaussian_noise",
        gaussian_noise,
        columns="numeric",
        strength="scale",
        summary="add Gaussian noise of scale × each column's standard deviation",
    ),
    Transform(
        "categorical_swap",
        categorical_swap,
        columns="categorical",
        strength="rate",
        summary="replace values by another category of the column, with probability rate",
    ),
    Transform(
        "missing_values",
        missing_values,
        columns="all",
        strength="rate",
        summary="set cells to missing with probability rate",
    ),
    Transform("set", set_value, summary="set the columns to a value"),
    Transform(
        "increase",
        increase,
        columns="required",
        strength=("by", "by_spread"),
        check=_one_amount,
        summary="add an amount (by) or a multiple of the spread (by_spread)",
    ),
    Transform(
        "decrease",
        decrease,
        columns="required",
        strength=("by", "by_spread"),
        check=_one_amount,
        summary="subtract an amount (by) or a multiple of the spread (by_spread)",
    ),
    Transform(
        "scale",
        scale,
        columns="required",
        summary="multiply the columns by a factor (× factor; 1.1 is 10% more)",
    ),
    Transform(
        "swap_sensitive",
        swap_sensitive,
        columns="sensitive",
        summary="move each row of a sensitive attribute to another group",
    ),
)
