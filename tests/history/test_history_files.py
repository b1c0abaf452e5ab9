"""Files that are not an mlgate history give a clear HistoryError naming the path and the
problem, and are never modified."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from pathlib import Path

import pytest

from mlgate.core.errors import HistoryError, MlgateError
from mlgate.history import History


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _history_bytes(folder: Path, result_factory, runs: int = 12) -> bytes:
    path = folder / "good.sqlite"
    h = History(path)
    for i in range(runs):
        h.record(result_factory(seed=i))
    return path.read_bytes()


def _foreign(path: Path, *, wal: bool = False, meta: dict | None = None) -> None:
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    if meta is None:
        con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO customers (name) VALUES ('ada')")
    else:
        con.execute("CREATE TABLE mlgate_meta (key TEXT PRIMARY KEY, value TEXT)")
        con.executemany("INSERT INTO mlgate_meta VALUES (?, ?)", list(meta.items()))
    con.commit()
    con.close()


def _overwrite(data: bytes, start: int, stop: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    out[start:stop] = bytes(rng.randrange(256) for _ in range(stop - start))
    return bytes(out)


CASES = {
    "text file": (lambda d, r: (d / "f").write_text("name,score\nada,1\n"), "not an SQLite"),
    "random bytes": (
        lambda d, r: (d / "f").write_bytes(random.Random(1).randbytes(5000)),
        "not an SQLite",
    ),
    "foreign sqlite": (lambda d, r: _foreign(d / "f"), "another application (tables: customers)"),
    "foreign sqlite in WAL mode": (
        lambda d, r: _foreign(d / "f", wal=True),
        "another application (tables: customers)",
    ),
    "another schema in mlgate_meta": (
        lambda d, r: _foreign(d / "f", meta={"schema": "something-else"}),
        "schema 'something-else'",
    ),
    "a newer history": (
        lambda d, r: _foreign(d / "f", meta={"schema": "mlgate-history", "schema_version": "99"}),
        "newer mlgate (history schema 99",
    ),
    "truncated history": (
        lambda d, r: (d / "f").write_bytes((b := _history_bytes(d, r))[: len(b) // 2]),
        "corrupt",
    ),
    "history with a damaged first page": (
        lambda d, r: (d / "f").write_bytes(_overwrite(_history_bytes(d, r), 100, 4096)),
        "corrupt",
    ),
    "history with damaged b-tree pages": (
        lambda d, r: (d / "f").write_bytes(_overwrite(_history_bytes(d, r), 4096 * 2, 4096 * 6)),
        "corrupt",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_unusable_files_are_reported_and_left_unchanged(case, tmp_path, result_factory):
    make, words = CASES[case]
    folder = tmp_path / "d"
    folder.mkdir()
    make(folder, result_factory)
    (folder / "good.sqlite").unlink(missing_ok=True)
    path = folder / "f"
    digest, listing = _digest(path), sorted(p.name for p in folder.iterdir())
    with pytest.raises(HistoryError) as err:
        History(path).record(result_factory())
    text = str(err.value)
    assert text.startswith(f"{path}: ")
    assert words in text
    assert "was not changed" in text
    assert isinstance(err.value, MlgateError) and err.value.path == str(path)
    assert _digest(path) == digest
    if "history" not in case:  # another application's file: not even a side file appears
        assert sorted(p.name for p in folder.iterdir()) == listing


def test_a_directory_is_not_a_history(tmp_path):
    with pytest.raises(HistoryError, match="not a regular file"):
        History(tmp_path)


def test_a_corrupt_stored_result_is_reported_on_reading(tmp_path, result_factory):
    path = tmp_path / "h.sqlite"
    h = History(path)
    h.record(result_factory())
    con = sqlite3.connect(path)
    con.execute("UPDATE runs SET result_json = '{broken'")
    con.commit()
    con.close()
    with pytest.raises(HistoryError, match="stored result of run 1 cannot be read"):
        h.get(1)
    with pytest.raises(HistoryError, match="stored result of run 1 cannot be read"):
        h.latest("g")


def test_a_good_history_opens_again_and_keeps_its_runs(tmp_path, result_factory):
    path = tmp_path / "h.sqlite"
    for i in range(3):
        History(path).record(result_factory(seed=i))
    assert [r.run_id for r in History(path).runs()] == [3, 2, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.sqlite"]
