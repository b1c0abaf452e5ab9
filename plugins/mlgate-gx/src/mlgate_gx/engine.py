"""Run Great Expectations 1.x expectations on a DataFrame, offline, in an ephemeral context.

:func:`validate` builds the expectations from their configurations (``{"type": ...,
"kwargs": ...}``, as a GX suite JSON stores them), validates them against a copy of the
frame through an ephemeral data context (nothing is written to disk, nothing leaves the
machine) and returns GX's own validation result as a JSON-able dict, stripped of the fields
that change from run to run (load time, fingerprints) so the same data gives the same
evidence.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mlgate.api import ConfigError, MlgateError

_log = logging.getLogger(__name__)


class GXNotInstalledError(MlgateError, ImportError):
    """Great Expectations is not importable where the plugin runs."""


def import_gx() -> Any:
    """``great_expectations``, or GXNotInstalledError naming the package to install."""
    try:
        import great_expectations as gx
    except ImportError as exc:
        raise GXNotInstalledError(
            "the mlgate-gx plugin needs Great Expectations 1.x, which is not importable "
            f"({exc}). Install it with: pip install 'great_expectations>=1.24,<2' "
            "(or reinstall the plugin: pip install mlgate-gx)"
        ) from exc
    return gx


def build_expectation(config: Mapping[str, Any], *, where: str) -> Any:
    """A GX expectation object from ``{"type": "expect_...", "kwargs": {...}}``.

    Raises ConfigError (at ``where``) for an unknown type or kwargs GX rejects.
    """
    import_gx()
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.registry import get_expectation_impl

    kind = config.get("type") or config.get("expectation_type")
    if not isinstance(kind, str):
        raise ConfigError(
            f"each GX expectation needs a 'type' (expect_...), got {config!r}", path=where
        )
    try:
        cls = get_expectation_impl(kind)
    except ExpectationNotFoundError:
        raise ConfigError(
            f"Great Expectations has no expectation {kind!r}; see "
            "https://greatexpectations.io/expectations for their names",
            path=where,
        ) from None
    kwargs = dict(config.get("kwargs") or {})
    kwargs.pop("batch_id", None)
    try:
        extra = {"severity": config["severity"]} if config.get("severity") else {}
        return cls(**kwargs, meta=dict(config.get("meta") or {}), **extra)
    except (ValueError, TypeError) as exc:  # pydantic (v1 inside GX) errors are ValueErrors
        raise ConfigError(f"{kind}: invalid kwargs {kwargs}: {exc}", path=where) from None


def validate(
    frame: pd.DataFrame,
    expectations: Sequence[Any],
    *,
    suite_name: str = "mlgate",
    result_format: str = "SUMMARY",
) -> dict[str, Any]:
    """GX's validation result of ``expectations`` (GX objects) on ``frame`` as a dict, the
    results in the order of ``expectations``. The frame is copied first, never modified."""
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("mlgate")
    asset = source.add_dataframe_asset("dataset")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame.copy()}
    )
    suite = gx.ExpectationSuite(name=suite_name, expectations=list(expectations))
    result = batch.validate(suite, result_format=result_format).to_json_dict()
    return _stable(result, expectations)


def _key(config: Mapping[str, Any]) -> str:
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
    return json.dumps([config.get("type"), kwargs], sort_keys=True, default=str)


def _stable(result: dict[str, Any], expectations: Sequence[Any]) -> dict[str, Any]:
    """Drop what changes between runs; put results in declaration order."""
    order: dict[str, int] = {}
    for i, e in enumerate(expectations):
        order.setdefault(_key(e.configuration.to_json_dict()), i)
    results = sorted(
        result.get("results", []),
        key=lambda r: order.get(_key(r.get("expectation_config", {})), len(order)),
    )
    for r in results:
        r.get("expectation_config", {}).pop("id", None)
    meta = dict(result.get("meta") or {})
    return {
        "success": result.get("success"),
        "statistics": result.get("statistics", {}),
        "results": results,
        "meta": {"great_expectations_version": meta.get("great_expectations_version")},
    }


def raised(result: Mapping[str, Any]) -> str | None:
    """The exception message when GX could not evaluate an expectation, else None."""
    info = result.get("exception_info") or {}
    if "raised_exception" in info:
        return (info.get("exception_message") or "raised") if info["raised_exception"] else None
    # keyed by metric: {metric id: {exception_message, exception_traceback, raised_exception}}
    for value in info.values():
        if isinstance(value, Mapping) and (
            value.get("raised_exception") or value.get("exception_message")
        ):
            return str(value.get("exception_message") or "raised")
    return None
