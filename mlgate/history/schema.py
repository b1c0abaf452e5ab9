"""The history database's layout: its tables, the version that names it, and migrations.

``mlgate_meta`` holds ``schema = mlgate-history`` and ``schema_version``: that is how a file
is recognised as an mlgate history, and how a later mlgate knows what to migrate.
"""

from __future__ import annotations

SCHEMA_NAME = "mlgate-history"
SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
VERDICTS = ("promote", "promote_with_warnings", "hold")
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_FILENAME = "history.sqlite"  # in the report directory by default

DDL = (
    "CREATE TABLE mlgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        gate TEXT NOT NULL, gate_file TEXT, task TEXT,
        model_identity TEXT, verdict TEXT NOT NULL, exit_code INTEGER, seed INTEGER,
        started_at TEXT, finished_at TEXT, duration_s REAL, recorded_at TEXT NOT NULL,
        mlgate_version TEXT, result_schema TEXT, result_json TEXT NOT NULL,
        stage_reached TEXT)""",
    "CREATE INDEX runs_by_gate ON runs (gate, id)",
    """CREATE TABLE run_stages (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        stage TEXT NOT NULL, verdict TEXT NOT NULL, PRIMARY KEY (run_id, stage))""",
    """CREATE TABLE run_models (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        role TEXT NOT NULL, kind TEXT, class TEXT, identity TEXT, PRIMARY KEY (run_id, role))""",
    """CREATE TABLE run_datasets (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name TEXT NOT NULL, rows INTEGER, fingerprint TEXT, PRIMARY KEY (run_id, name))""",
    """CREATE TABLE run_checks (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position INTEGER NOT NULL, stages TEXT NOT NULL, check_id TEXT NOT NULL,
        kind TEXT, check_type TEXT, status TEXT, severity TEXT, metric TEXT,
        model TEXT, dataset TEXT, value REAL, ci_low REAL, ci_high REAL, ci_level REAL,
        ci_method TEXT, threshold_op TEXT, threshold_value REAL, sample_size INTEGER,
        PRIMARY KEY (run_id, position))""",
    "CREATE INDEX run_checks_by_metric ON run_checks (metric, check_id)",
)
TABLES = frozenset({"mlgate_meta", "runs", "run_stages", "run_models", "run_datasets"})
# Migrations from version N to N + 1, applied in one transaction when an older history is
# opened: SQL statements, then (BACKFILLS) the values a new column takes for the runs stored
# before it, computed from what those runs stored.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 1 → 2: the stage each run reached (runs.stage_reached; NULL: none, or a partial run)
    1: ("ALTER TABLE runs ADD COLUMN stage_reached TEXT",),
}
