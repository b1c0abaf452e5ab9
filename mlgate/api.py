"""The public API for check plugins: everything a third-party check family needs, in one
import. Plugins (including mlgate's own under ``plugins/``) import from here, never from a
family's modules, so the families may change inside without breaking them.

Example::

    from mlgate.api import CheckResult, CheckType, GateContext, Status, Threshold, Table

Besides the kernel, it carries the data family's building blocks that an expectation engine
plugs into (mlgate-gx, mlgate-deepchecks): a suite file (:func:`read_suite`), its translation
to Great Expectations (:func:`to_gx`, :class:`NotTranslatable`), one expectation's
:class:`Outcome` and the check result of a suite's outcomes (:func:`data_result`), and the
dtype kind of a column (:func:`dtype_kind`). Time windows (:class:`WindowSpec`,
:func:`cut_windows`) serve checks over time-ordered data.
"""

from __future__ import annotations

from mlgate.checks.data.dtypes import dtype_kind
from mlgate.checks.data.evaluate import Outcome
from mlgate.checks.data.gx_json import NotTranslatable, to_gx
from mlgate.checks.data.spec import expectation_name, read_suite
from mlgate.checks.data.verdict import data_result
from mlgate.config.schema import GateConfig
from mlgate.core.context import Batch, GateContext
from mlgate.core.errors import ConfigError, DataError, MlgateError
from mlgate.core.evidence import (
    Bars,
    Block,
    Blocks,
    Curve,
    Examples,
    Histogram,
    Reliability,
    Table,
)
from mlgate.core.imports import call_factory, resolve_callable
from mlgate.core.registry import (
    ENTRY_POINT_GROUP,
    CheckType,
    parse_params,
    require_dataset,
    require_model,
)
from mlgate.core.result import (
    CheckResult,
    DecisionRule,
    Interval,
    Part,
    Severity,
    Status,
    Threshold,
    rounded,
)
from mlgate.core.task import Task
from mlgate.core.windows import Window, WindowSpec, cut_windows, format_time, time_values
from mlgate.models import Predictions
from mlgate.stats.intervals import wilson_interval

__all__ = [
    "ENTRY_POINT_GROUP",
    "Bars",
    "Batch",
    "Block",
    "Blocks",
    "CheckResult",
    "CheckType",
    "ConfigError",
    "Curve",
    "DataError",
    "DecisionRule",
    "Examples",
    "GateConfig",
    "GateContext",
    "Histogram",
    "Interval",
    "MlgateError",
    "NotTranslatable",
    "Outcome",
    "Part",
    "Predictions",
    "Reliability",
    "Severity",
    "Status",
    "Table",
    "Task",
    "Threshold",
    "Window",
    "WindowSpec",
    "call_factory",
    "cut_windows",
    "data_result",
    "dtype_kind",
    "expectation_name",
    "format_time",
    "parse_params",
    "read_suite",
    "require_dataset",
    "require_model",
    "resolve_callable",
    "rounded",
    "time_values",
    "to_gx",
    "wilson_interval",
]
