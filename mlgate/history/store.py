"""The run history store: gate results kept in an embedded SQLite database.

Each :meth:`History.record` stores one gate run in one transaction: the gate, the model's
identity hash, the data fingerprints, the stage verdicts, every check's statistic with its
interval, the timestamps, and the whole result document (so a run can be re-rendered and
compared later). The database is in WAL mode with a busy timeout, so gate runs writing at
once all land.

A file that is not an mlgate history (not SQLite, another application's SQLite database, a
corrupt file, or one written by a newer mlgate) gives :class:`~mlgate.core.errors.HistoryError`
naming the path and the problem, and is never written: it is inspected through read-only
connections before anything opens it for writing.

Example::

    history = History("reports/history.sqlite")
    run_id = history.record(result)
    previous = history.latest("breast-cancer-demo", verdict="promote")
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlgate.core.errors import HistoryError
from mlgate.history.rows import result_rows, stage_reached
from mlgate.history.schema import (
    DDL,
    DEFAULT_TIMEOUT_S,
    MIGRATIONS,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    SQLITE_MAGIC,
    TABLES,
    VERDICTS,
)

#: 1 when a stored run is partial (its result's ``run.partial``), else 0; malformed stored
#: JSON reads as not partial here (reading the document itself reports it).
_PARTIAL = (
    "COALESCE(CASE WHEN json_valid(result_json) "
    "THEN json_extract(result_json, '$.run.partial') END, 0)"
)


@dataclass(frozen=True)
class RunSummary:
    """One stored run, as :meth:`History.runs` lists it (newest first)."""

    run_id: int
    gate: str
    gate_file: str | None
    verdict: str
    model_identity: str | None
    stages: tuple[tuple[str, str], ...]  # (stage, verdict) in gate order
    data_fingerprints: tuple[tuple[str, str], ...]  # (dataset, fingerprint)
    started_at: str | None
    finished_at: str | None
    recorded_at: str
    mlgate_version: str | None
    #: The run did not run every check its stages planned (``run.partial`` of its result).
    partial: bool = False
    #: The last stage promoted in a row from the first (None: the first held, or partial).
    stage_reached: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stages"] = dict(self.stages)
        d["data_fingerprints"] = dict(self.data_fingerprints)
        return d


def _backfill_stage_reached(con: sqlite3.Connection) -> None:
    """Schema 1 → 2: the stage each stored run reached, from its stored result document (a
    document that cannot be read stays NULL)."""
    for run_id, text in con.execute("SELECT id, result_json FROM runs").fetchall():
        try:
            doc = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(doc, dict):
            reached = stage_reached(doc)
            con.execute("UPDATE runs SET stage_reached = ? WHERE id = ?", (reached, run_id))


#: Per migration (from version N), what fills its new columns for the runs stored before it.
_BACKFILLS = {1: _backfill_stage_reached}


class History:
    """The run history at ``path``, created on first use.

    Raises :class:`~mlgate.core.errors.HistoryError` when ``path`` exists and is not an mlgate
    history this version can use; the file is left unchanged.
    """

    def __init__(self, path: str | Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.timeout = float(timeout)
        self._open()

    def __repr__(self) -> str:
        return f"History({str(self.path)!r})"

    # -- opening -------------------------------------------------------------------------
    def _fail(self, problem: str) -> HistoryError:
        return HistoryError(
            f"{problem}. The file was not changed; give another history path, or move this "
            "file away.",
            path=str(self.path),
        )

    def _open(self) -> None:
        if self.path.exists() and not self.path.is_file():
            raise self._fail("is not a regular file (a directory?), so it cannot hold a history")
        if not self.path.exists() and self._create():
            return
        if self.path.stat().st_size == 0:
            self._initialise(self.path)  # an empty file: ours to set up
            return
        try:
            with self.path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise self._fail(f"cannot be read: {exc}") from exc
        if head != SQLITE_MAGIC:
            raise self._fail(
                f"is not an SQLite database (it starts with {head[:16]!r}); mlgate keeps its "
                "run history in SQLite"
            )
        version = self._inspect()
        if version == 0:
            self._initialise(self.path)  # an empty SQLite database: ours to set up
        elif version < SCHEMA_VERSION:
            self._migrate(version)
        else:
            with self._connect():  # the last connection to close tidies the -wal/-shm files
                pass

    def _create(self) -> bool:
        """Create a new history atomically: set it up in a temporary file beside ``path``,
        then hard-link it into place, so no process ever sees a half-made history. Returns
        False when another process created ``path`` first. Where the file system has no hard
        links, the history is set up in place (the write lock still keeps readers out)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            self._initialise(tmp)
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                return False
            except OSError:  # no hard links here (some network or FAT file systems)
                self._initialise(self.path)
            return True
        finally:
            for leftover in (tmp, *(Path(f"{tmp}{x}") for x in ("-wal", "-shm", "-journal"))):
                leftover.unlink(missing_ok=True)

    def _inspect(self) -> int:
        """The schema version of an existing SQLite file (0: empty), read without writing.

        The first look goes through an immutable connection, which creates no side files
        next to another application's database. An mlgate history is then read again
        through a normal read-only connection (consistent under concurrent writers) and its
        integrity checked; so is a file the first look could not read (corrupt, or caught
        mid-checkpoint)."""
        try:
            tables, meta, _ = self._look(immutable=True)
        except sqlite3.DatabaseError:
            pass  # corrupt, or raced with a checkpoint: the locked read below decides
        else:
            if self._recognise(tables, meta) == 0:
                return 0
        try:
            tables, meta, integrity = self._look(immutable=False)
        except sqlite3.DatabaseError as exc:
            raise self._fail(
                f"cannot be read as an SQLite database ({exc}); the file is corrupt or truncated"
            ) from exc
        version = self._recognise(tables, meta)
        if integrity != "ok":
            raise self._fail(f"is corrupt (SQLite integrity check: {integrity})")
        missing = TABLES - tables
        if version and missing:
            raise self._fail(f"is an incomplete mlgate history (tables missing: {sorted(missing)})")
        return version

    def _ro(self, *, immutable: bool) -> sqlite3.Connection:
        flag = "immutable=1" if immutable else "mode=ro"
        uri = f"{self.path.resolve().as_uri()}?{flag}"
        return sqlite3.connect(uri, uri=True, timeout=self.timeout)

    def _look(self, *, immutable: bool) -> tuple[set[str], dict[str, str], str]:
        """(tables, mlgate_meta rows, integrity-check answer) of the file, read only."""
        con = self._ro(immutable=immutable)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            meta: dict[str, str] = {}
            if "mlgate_meta" in tables:
                meta = {
                    str(k): str(v) for k, v in con.execute("SELECT key, value FROM mlgate_meta")
                }
            integrity = "ok"
            if not immutable and tables:
                integrity = str(con.execute("PRAGMA quick_check(1)").fetchone()[0])
        finally:
            con.close()
        return tables, meta, integrity

    def _recognise(self, tables: set[str], meta: Mapping[str, str]) -> int:
        """The history schema version (0 for an empty database); raises HistoryError for
        another application's database or a newer history."""
        if not tables:
            return 0
        if "mlgate_meta" not in tables:
            shown = ", ".join(sorted(tables)[:10])
            raise self._fail(
                f"is an SQLite database of another application (tables: {shown}), not an "
                "mlgate run history"
            )
        if meta.get("schema") != SCHEMA_NAME:
            raise self._fail(
                f"has an mlgate_meta table but schema {meta.get('schema')!r}, not "
                f"{SCHEMA_NAME!r}: not an mlgate run history"
            )
        try:
            version = int(meta.get("schema_version", ""))
        except ValueError:
            raise self._fail(
                f"has an unreadable history schema version {meta.get('schema_version')!r}"
            ) from None
        if version > SCHEMA_VERSION:
            raise self._fail(
                f"was written by a newer mlgate (history schema {version}; this mlgate reads "
                f"up to {SCHEMA_VERSION}); upgrade mlgate to use it"
            )
        return version

    def _initialise(self, path: Path) -> None:
        """Create the tables in the empty database at ``path`` (in one transaction) and
        switch it to WAL mode."""
        with self._transaction(path) as con:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "mlgate_meta" not in tables:
                if tables:  # appeared between the inspection and now
                    raise self._fail(f"is an SQLite database of another application ({tables})")
                for statement in DDL:
                    con.execute(statement)
                con.executemany(
                    "INSERT INTO mlgate_meta (key, value) VALUES (?, ?)",
                    [("schema", SCHEMA_NAME), ("schema_version", str(SCHEMA_VERSION))],
                )
        with self._connect(path) as con:
            con.execute("PRAGMA journal_mode=WAL")  # persistent; readers never block writers

    def _migrate(self, version: int) -> None:
        """Bring a history of schema ``version`` up to this one, in one transaction; another
        process that migrated it first (between the inspection and the write lock) is seen
        and nothing is done twice."""
        with self._transaction() as con:
            row = con.execute(
                "SELECT value FROM mlgate_meta WHERE key = 'schema_version'"
            ).fetchone()
            version = int(row[0]) if row else version
            for v in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[v]:
                    con.execute(statement)
                if v in _BACKFILLS:
                    _BACKFILLS[v](con)
            con.execute(
                "UPDATE mlgate_meta SET value = ? WHERE key = 'schema_version'",
                (str(SCHEMA_VERSION),),
            )

    # -- connections ---------------------------------------------------------------------
    @contextmanager
    def _connect(self, path: Path | None = None) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(path or self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._fail(f"cannot be opened: {exc}") from exc
        try:
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise HistoryError(
                    f"the history stayed locked by another process for {self.timeout:g} s "
                    f"({exc}); nothing was written; try again, or raise the timeout",
                    path=str(self.path),
                ) from exc
            raise HistoryError(f"SQLite error: {exc}", path=str(self.path)) from exc
        except sqlite3.IntegrityError as exc:
            raise HistoryError(
                f"SQLite refused the write ({exc}); nothing of this run was stored",
                path=str(self.path),
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise HistoryError(
                f"cannot be used: {exc}; the file may be corrupt", path=str(self.path)
            ) from exc
        finally:
            con.close()

    @contextmanager
    def _transaction(self, path: Path | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is stored, or none of it."""
        with self._connect(path) as con:
            con.execute("BEGIN IMMEDIATE")  # take the write lock now, waiting up to timeout
            try:
                yield con
            except BaseException:
                if con.in_transaction:  # SQLite rolls back by itself after some errors
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------
    def record(self, result: Mapping[str, Any]) -> int:
        """Store one gate run (a ``result.json`` document); returns its run id.

        Raises :class:`~mlgate.core.errors.ResultError` when ``result`` lacks the gate name or
        the verdict, or holds values JSON cannot store (NaN), and
        :class:`~mlgate.core.errors.HistoryError` when the database cannot be written.
        """
        rows = result_rows(result)
        with self._transaction() as con:
            cur = con.execute(
                "INSERT INTO runs (gate, gate_file, task, model_identity, verdict, exit_code, "
                "seed, started_at, finished_at, duration_s, recorded_at, mlgate_version, "
                "result_schema, result_json, stage_reached) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows["run"],
            )
            run_id = int(cur.lastrowid)
            for table, columns, values in rows["children"]:
                marks = ",".join("?" * (len(columns) + 1))
                con.executemany(
                    f"INSERT INTO {table} (run_id, {', '.join(columns)}) VALUES ({marks})",
                    [(run_id, *v) for v in values],
                )
        return run_id

    # -- reading -------------------------------------------------------------------------
    def runs(self, gate: str | None = None, limit: int = 20) -> list[RunSummary]:
        """The newest ``limit`` runs (of ``gate``, or of every gate), newest first."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer; got {limit!r}")
        where, args = ("WHERE gate = ?", [gate]) if gate is not None else ("", [])
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, gate, gate_file, verdict, model_identity, started_at, finished_at, "
                f"recorded_at, mlgate_version, {_PARTIAL}, stage_reached FROM runs {where} "
                "ORDER BY id DESC LIMIT ?",
                [*args, limit],
            ).fetchall()
            ids = [r[0] for r in rows]
            marks = ",".join("?" * len(ids))
            stages = con.execute(
                f"SELECT run_id, stage, verdict FROM run_stages WHERE run_id IN ({marks}) "
                "ORDER BY run_id, rowid",
                ids,
            ).fetchall()
            data = con.execute(
                f"SELECT run_id, name, fingerprint FROM run_datasets WHERE run_id IN ({marks}) "
                "ORDER BY run_id, name",
                ids,
            ).fetchall()
        return [
            RunSummary(
                run_id=r[0],
                gate=r[1],
                gate_file=r[2],
                verdict=r[3],
                model_identity=r[4],
                stages=tuple((s, v) for rid, s, v in stages if rid == r[0]),
                data_fingerprints=tuple((n, f) for rid, n, f in data if rid == r[0] and f),
                started_at=r[5],
                finished_at=r[6],
                recorded_at=r[7],
                mlgate_version=r[8],
                partial=bool(r[9]),
                stage_reached=r[10],
            )
            for r in rows
        ]

    def get(self, run_id: int) -> dict[str, Any]:
        """The stored result document of run ``run_id``. Raises HistoryError if there is
        no such run."""
        with self._connect() as con:
            row = con.execute("SELECT result_json FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise HistoryError(f"there is no run {run_id!r} in this history", path=str(self.path))
        return self._decode(run_id, row[0])

    def latest(
        self,
        gate: str,
        *,
        verdict: str | Iterable[str] | None = None,
        model_identity: str | None = None,
        partial: bool | None = False,
    ) -> dict[str, Any] | None:
        """The result document of the newest run of ``gate`` (optionally with one of the
        given verdicts, and of the model with that identity hash), or None. Partial runs
        (``-k``, ``-x``, an interrupt: not every planned check ran) are left out unless
        ``partial`` is True (only partial runs) or None (any run)."""
        where, args = ["gate = ?"], [gate]
        if partial is not None:
            where.append(f"{_PARTIAL} = ?")
            args.append(int(bool(partial)))
        if verdict is not None:
            wanted = [verdict] if isinstance(verdict, str) else list(verdict)
            bad = [v for v in wanted if v not in VERDICTS]
            if bad or not wanted:
                raise ValueError(f"verdict must be among {list(VERDICTS)}; got {verdict!r}")
            where.append(f"verdict IN ({','.join('?' * len(wanted))})")
            args += wanted
        if model_identity is not None:
            where.append("model_identity = ?")
            args.append(model_identity)
        with self._connect() as con:
            row = con.execute(
                f"SELECT id, result_json FROM runs WHERE {' AND '.join(where)} "
                "ORDER BY id DESC LIMIT 1",
                args,
            ).fetchone()
        return None if row is None else self._decode(row[0], row[1])

    def _decode(self, run_id: int, text: str) -> dict[str, Any]:
        try:
            doc = json.loads(text)
        except (TypeError, ValueError) as exc:
            doc, problem = None, str(exc)
        else:
            problem = "" if isinstance(doc, dict) else "not a result document"
        if problem:
            raise HistoryError(
                f"the stored result of run {run_id} cannot be read ({problem}); the file may "
                "be corrupt",
                path=str(self.path),
            )
        return doc
