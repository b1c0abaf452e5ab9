"""Data checks: typed expectations evaluated natively on pandas frames, schema inference from
a reference dataset, and the ``data_expectations`` / ``data_schema`` check types. Both fold the
dataset's batches (:mod:`mlgate.checks.data.fold`), so they run in chunks or on Dask with the
in-memory result, except for ``unique``, which needs every row.

Great Expectations and deepchecks run through the ``mlgate-gx`` and ``mlgate-deepchecks``
plugins; nothing here imports them.
"""

from mlgate.checks.data.evaluate import Outcome, evaluate
from mlgate.checks.data.gx_json import gx_suite_dict, to_gx, write_gx_suite
from mlgate.checks.data.infer import infer_suite
from mlgate.checks.data.spec import (
    ColumnRule,
    Suite,
    expand_columns,
    expectation_name,
    parse_expectations,
    read_suite,
    write_suite,
)
from mlgate.checks.data.verdict import data_result, suite_status

__all__ = [
    "ColumnRule",
    "Outcome",
    "Suite",
    "data_result",
    "evaluate",
    "expand_columns",
    "expectation_name",
    "gx_suite_dict",
    "infer_suite",
    "parse_expectations",
    "read_suite",
    "suite_status",
    "to_gx",
    "write_gx_suite",
    "write_suite",
]
