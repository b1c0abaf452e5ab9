"""Run history: gate results kept in an embedded SQLite database (see docs/model-card.md,
"Run history").

:class:`History` records runs (one transaction each; WAL mode, so concurrent gate runs all
land), lists them, and reads stored results back for ``compare`` and previous-run regression.
A file that is not an mlgate history gives :class:`~mlgate.core.errors.HistoryError` and is never
written.
"""

from __future__ import annotations

from mlgate.history.schema import DEFAULT_FILENAME, SCHEMA_VERSION
from mlgate.history.store import History, RunSummary

__all__ = ["DEFAULT_FILENAME", "SCHEMA_VERSION", "History", "RunSummary"]
