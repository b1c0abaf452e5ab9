"""Translate native expectations into Great Expectations 1.x expectation configurations.

:func:`to_gx` gives ``{"type": "expect_...", "kwargs": {...}}`` entries and
:func:`gx_suite_dict` a whole GX 1.x suite (the JSON ``ExpectationSuite.to_json_dict()``
writes), so an inferred suite can be reviewed and run with GX itself (e.g. through the
mlgate-gx plugin). Needs no GX installed. Expectations GX has no equivalent for (a ``sum``
against another column, ``!=``, a null *count* above zero, dtype kinds GX cannot check on
pandas ≥ 3: string, category, datetime) are listed in the suite's ``meta`` instead.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mlgate.checks.data import spec as S
from mlgate.checks.data.tolerance import limiting_mostly
from mlgate.core.result import rounded

GX_FORMAT = "great_expectations 1.x ExpectationSuite"

# numpy dtype names GX's pandas type check accepts for each kind it can check
_GX_TYPES: dict[str, list[str]] = {
    "int": ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"],
    "float": ["float16", "float32", "float64"],
    "bool": ["bool"],
}
_GX_TYPES["number"] = _GX_TYPES["int"] + _GX_TYPES["float"]
_GX_TYPES["float"] = _GX_TYPES["float"] + _GX_TYPES["int"]  # float accepts ints, as natively

_STATS = {
    "min": "expect_column_min_to_be_between",
    "max": "expect_column_max_to_be_between",
    "mean": "expect_column_mean_to_be_between",
    "median": "expect_column_median_to_be_between",
    "std": "expect_column_stdev_to_be_between",
    "sum": "expect_column_sum_to_be_between",
}


class NotTranslatable(ValueError):
    """An expectation Great Expectations has no equivalent for."""


def _mostly(e: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    mostly = e.mostly
    if getattr(e, "reference_rows", None) is not None:
        # GX knows only a share: the inferred tolerance's large-evaluation limit (it allows
        # smaller evaluation sets relatively more; see mlgate.checks.data.tolerance)
        limit = limiting_mostly(e.reference_rows, e.alpha)
        mostly = min(mostly, math.floor(limit * 1e6) / 1e6)
    if mostly < 1.0:
        kwargs["mostly"] = mostly
    return kwargs


def _bounds(e: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if e.min is not None:
        out["min_value"] = e.min
    if e.max is not None:
        out["max_value"] = e.max
    return out


def to_gx(e: Any) -> list[dict[str, Any]]:
    """The GX expectation configurations equivalent to ``e``.

    Raises :class:`NotTranslatable` when GX has none (see the module docstring).
    """
    if isinstance(e, S.ColumnsExpectation):
        out = [
            {
                "type": "expect_table_columns_to_match_set",
                "kwargs": {"column_set": list(e.dtypes), "exact_match": e.exact},
            }
        ]
        if e.ordered and e.exact:
            out.append(
                {
                    "type": "expect_table_columns_to_match_ordered_list",
                    "kwargs": {"column_list": list(e.dtypes)},
                }
            )
        for col, kind in e.dtypes.items():
            if kind in _GX_TYPES:
                out.append(
                    {
                        "type": "expect_column_values_to_be_in_type_list",
                        "kwargs": {"column": col, "type_list": _GX_TYPES[kind]},
                    }
                )
        return out
    if isinstance(e, S.NullsExpectation):
        kwargs: dict[str, Any] = {"column": e.column}
        if e.max_fraction is not None:
            if e.max_fraction > 0:
                kwargs["mostly"] = rounded(1.0 - e.max_fraction, 12)
        elif e.max_count:
            raise NotTranslatable(f"{S.expectation_name(e)}: GX bounds nulls by fraction only")
        return [{"type": "expect_column_values_to_not_be_null", "kwargs": kwargs}]
    if isinstance(e, S.BetweenExpectation):
        kwargs = {"column": e.column, **_bounds(e)}
        if e.strict_min:
            kwargs["strict_min"] = True
        if e.strict_max:
            kwargs["strict_max"] = True
        return [{"type": "expect_column_values_to_be_between", "kwargs": _mostly(e, kwargs)}]
    if isinstance(e, S.InSetExpectation):
        kwargs = {"column": e.column, "value_set": list(e.values)}
        return [{"type": "expect_column_values_to_be_in_set", "kwargs": _mostly(e, kwargs)}]
    if isinstance(e, S.RegexExpectation):
        kwargs = {"column": e.column, "regex": e.pattern}
        return [{"type": "expect_column_values_to_match_regex", "kwargs": _mostly(e, kwargs)}]
    if isinstance(e, S.UniqueExpectation):
        if e.column is not None:
            return [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": e.column}}]
        return [
            {
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {"column_list": e.keys, "ignore_row_if": "any_value_is_missing"},
            }
        ]
    if isinstance(e, S.RowCountExpectation):
        return [{"type": "expect_table_row_count_to_be_between", "kwargs": _bounds(e)}]
    if isinstance(e, S.StatisticExpectation):
        if e.statistic == "quantile":
            return [
                {
                    "type": "expect_column_quantile_values_to_be_between",
                    "kwargs": {
                        "column": e.column,
                        "quantile_ranges": {"quantiles": [e.q], "value_ranges": [[e.min, e.max]]},
                    },
                }
            ]
        return [{"type": _STATS[e.statistic], "kwargs": {"column": e.column, **_bounds(e)}}]
    if isinstance(e, S.CompareExpectation):
        return [_compare(e)]
    if isinstance(e, S.SumExpectation):
        if isinstance(e.equals, str) or e.tolerance > 1e-9:
            raise NotTranslatable(
                f"{S.expectation_name(e)}: GX sums columns only against a constant, "
                "with no tolerance"
            )
        kwargs = {"column_list": list(e.columns), "sum_total": e.equals}
        return [{"type": "expect_multicolumn_sum_to_equal", "kwargs": _mostly(e, kwargs)}]
    raise NotTranslatable(f"no GX equivalent for {type(e).__name__}")


def _compare(e: S.CompareExpectation) -> dict[str, Any]:
    pair = {"ignore_row_if": "either_value_is_missing"}
    if e.op in (">", ">=", "<", "<="):
        a, b = (e.left, e.right) if e.op.startswith(">") else (e.right, e.left)
        kwargs = {"column_A": a, "column_B": b, "or_equal": e.op.endswith("="), **pair}
        return {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": _mostly(e, kwargs),
        }
    if e.op == "==":
        kwargs = {"column_A": e.left, "column_B": e.right, **pair}
        return {"type": "expect_column_pair_values_to_be_equal", "kwargs": _mostly(e, kwargs)}
    raise NotTranslatable(f"{S.expectation_name(e)}: GX has no 'not equal' pair expectation")


def gx_suite_dict(suite: S.Suite) -> dict[str, Any]:
    """``suite`` as a GX 1.x suite document (``gx.ExpectationSuite(**doc)`` loads it).

    Each GX expectation's ``meta.mlgate`` names the native expectation it came from; the
    ones without an equivalent are listed under ``meta.mlgate_not_translated``.
    """
    expectations: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for e in suite.expectations:
        name = S.expectation_name(e)
        try:
            configs = to_gx(e)
        except NotTranslatable as exc:
            skipped.append({"expectation": name, "reason": str(exc)})
            continue
        for cfg in configs:
            expectations.append({**cfg, "meta": {"mlgate": name}})
        if isinstance(e, S.ColumnsExpectation):
            for col, kind in e.dtypes.items():
                if kind not in _GX_TYPES and kind != "any":
                    skipped.append(
                        {
                            "expectation": f"{name}[{col}: {kind}]",
                            "reason": "GX cannot check this dtype kind on pandas >= 3",
                        }
                    )
    return {
        "name": suite.name,
        "expectations": expectations,
        "meta": {
            "mlgate_source": dict(suite.meta),
            "mlgate_not_translated": skipped,
        },
        "notes": suite.description or None,
    }


def write_gx_suite(suite: S.Suite, path: Path) -> Path:
    """Write :func:`gx_suite_dict` as JSON (sorted, indented: stable diffs); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(gx_suite_dict(suite), indent=2, sort_keys=True, default=str)
    path.write_text(text + "\n", encoding="utf-8")
    return path
