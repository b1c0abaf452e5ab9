"""The public API for check plugins: everything a third-party check family needs, in one
import. Plugins (including mlgate's own under ``plugins/``) import from here, never from a
family's modules, so the families may change inside without breaking them.

Example::

    from mlgate.api import CheckResult, CheckType, GateContext, Status, Threshold, Table
"""

from __future__ import annotations

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
    "Part",
    "Predictions",
    "Reliability",
    "Severity",
    "Status",
    "Table",
    "Task",
    "Threshold",
    "call_factory",
    "parse_params",
    "require_dataset",
    "require_model",
    "resolve_callable",
    "rounded",
    "wilson_interval",
]
