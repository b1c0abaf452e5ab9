"""Recording runs, listing them, reading them back; one transaction per run."""

from __future__ import annotations

import math
import sqlite3

import pytest

from mlgate.core.errors import HistoryError, ResultError
from mlgate.history import SCHEMA_VERSION, History
from mlgate.history import store as store_module


def _count(path, table="runs") -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_a_new_history_is_created_in_wal_mode_with_its_meta_table(tmp_path):
    path = tmp_path / "sub" / "h.sqlite"
    History(path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    meta = dict(con.execute("SELECT key, value FROM mlgate_meta"))
    con.close()
    assert meta == {"schema": "mlgate-history", "schema_version": str(SCHEMA_VERSION)}
    assert sorted(p.name for p in path.parent.iterdir()) == ["h.sqlite"]  # no temp files left


def test_recorded_results_read_back_equal(tmp_path, result_factory):
    h = History(tmp_path / "h.sqlite")
    a, b = result_factory(seed=1), result_factory(seed=2, verdict="hold")
    ids = [h.record(a), h.record(b)]
    assert ids == [1, 2]
    assert h.get(1) == a and h.get(2) == b
    reopened = History(tmp_path / "h.sqlite")
    assert reopened.get(2) == b


def test_runs_lists_newest_first_with_what_identifies_the_run(tmp_path, result_factory):
    h = History(tmp_path / "h.sqlite")
    for i in range(5):
        h.record(result_factory("g1" if i % 2 == 0 else "g2", identity=f"sha256:{i}"))
    runs = h.runs()
    assert [r.run_id for r in runs] == [5, 4, 3, 2, 1]
    assert [r.run_id for r in h.runs("g1")] == [5, 3, 1]
    assert [r.run_id for r in h.runs("g1", limit=2)] == [5, 3]
    assert h.runs("nope") == []
    top = runs[0]
    assert (top.gate, top.gate_file, top.verdict, top.model_identity) == (
        "g1",
        "mlgate.yaml",
        "promote",
        "sha256:4",
    )
    assert top.stages == (("staging", "promote"), ("production", "promote"))
    assert top.data_fingerprints == (("evaluation", "sha256:data1"), ("reference", "sha256:data0"))
    assert top.finished_at == "2026-01-01T00:00:01+00:00" and top.recorded_at
    assert top.to_dict()["stages"] == {"staging": "promote", "production": "promote"}


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "3"])
def test_a_bad_limit_is_an_error(tmp_path, limit):
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        History(tmp_path / "h.sqlite").runs(limit=limit)


def test_latest_filters_by_verdict_and_model_identity(tmp_path, result_factory):
    h = History(tmp_path / "h.sqlite")
    h.record(result_factory(verdict="promote", identity="sha256:A", seed=1))
    h.record(result_factory(verdict="hold", identity="sha256:B", seed=2))
    h.record(result_factory(verdict="promote_with_warnings", identity="sha256:B", seed=3))
    h.record(result_factory("other", seed=4))
    assert h.latest("g")["run"]["seed"] == 3
    assert h.latest("g", verdict="promote")["run"]["seed"] == 1
    assert h.latest("g", verdict=["promote", "promote_with_warnings"])["run"]["seed"] == 3
    assert h.latest("g", verdict="hold", model_identity="sha256:B")["run"]["seed"] == 2
    assert h.latest("g", verdict="hold", model_identity="sha256:A") is None
    assert h.latest("missing") is None
    with pytest.raises(ValueError, match="verdict must be among"):
        h.latest("g", verdict="promoted")


def test_check_statistics_are_stored_as_columns(tmp_path, result_factory, check_factory):
    checks = [
        check_factory("acc", "accuracy", 0.9, 0.85, 0.95),
        check_factory("ll", "log_loss", 0.3, None, None, stages=("staging", "production")),
        {"id": "py", "kind": "sanity", "status": "passed", "stages": ["staging"]},
    ]
    h = History(tmp_path / "h.sqlite")
    run_id = h.record(result_factory(checks=checks))
    con = sqlite3.connect(tmp_path / "h.sqlite")
    rows = con.execute(
        "SELECT stages, check_id, metric, model, dataset, value, ci_low, ci_high, ci_level, "
        "threshold_op, sample_size FROM run_checks WHERE run_id = ? ORDER BY position",
        (run_id,),
    ).fetchall()
    con.close()
    assert rows == [
        ("staging", "acc", "accuracy", "candidate", "evaluation", 0.9, 0.85, 0.95, 0.95, ">=", 200),
        ("staging,production", "ll", "log_loss", "candidate", "evaluation", 0.3, None, None,
         None, ">=", 200),
        ("staging", "py", None, None, None, None, None, None, None, None, None),
    ]  # fmt: skip


def test_get_of_an_unknown_run_names_it(tmp_path):
    h = History(tmp_path / "h.sqlite")
    with pytest.raises(HistoryError, match="there is no run 7"):
        h.get(7)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ([], "must be a mapping"),
        ({"verdict": "promote"}, "needs 'gate.name' and 'verdict'"),
        ({"gate": {"name": "g"}}, "needs 'gate.name' and 'verdict'"),
    ],
)
def test_what_is_not_a_result_is_refused(tmp_path, bad, words):
    h = History(tmp_path / "h.sqlite")
    with pytest.raises(ResultError, match=words):
        h.record(bad)
    assert _count(tmp_path / "h.sqlite") == 0


def test_a_result_json_cannot_hold_is_refused_and_nothing_is_stored(tmp_path, result_factory):
    h = History(tmp_path / "h.sqlite")
    doc = result_factory()
    doc["checks"][0]["evidence"]["x"] = math.nan
    with pytest.raises(ResultError, match="cannot be stored as JSON"):
        h.record(doc)
    assert _count(tmp_path / "h.sqlite") == 0


def test_a_run_is_stored_whole_or_not_at_all(tmp_path, result_factory, monkeypatch):
    """A failure after the run row is inserted (here: two checks at the same position)
    rolls the whole run back: every table has what it had before."""
    path = tmp_path / "h.sqlite"
    h = History(path)
    h.record(result_factory(seed=1))
    tables = ("runs", "run_stages", "run_models", "run_datasets", "run_checks")
    before = {t: _count(path, t) for t in tables}
    assert all(before.values())
    real = store_module.result_rows

    def broken(result):
        rows = real(result)
        table, cols, values = rows["children"][-1]
        rows["children"] = (*rows["children"][:-1], (table, cols, [*values, values[0]]))
        return rows

    monkeypatch.setattr(store_module, "result_rows", broken)
    with pytest.raises(HistoryError, match="UNIQUE constraint failed"):
        h.record(result_factory(seed=2))
    assert {t: _count(path, t) for t in tables} == before
    assert [r.run_id for r in h.runs()] == [1]


def test_an_empty_file_and_an_empty_sqlite_database_become_histories(tmp_path, result_factory):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    sqlite3.connect(tmp_path / "blank.sqlite").close()  # creates a 0-byte file too
    con = sqlite3.connect(tmp_path / "vacuumed.sqlite")
    con.execute("CREATE TABLE t (x)")
    con.execute("DROP TABLE t")  # a valid SQLite file with no tables
    con.commit()
    con.close()
    for name in ("empty.sqlite", "blank.sqlite", "vacuumed.sqlite"):
        h = History(tmp_path / name)
        assert h.record(result_factory()) == 1


def test_without_hard_links_the_history_is_set_up_in_place(tmp_path, result_factory, monkeypatch):
    def no_links(src, dst):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(store_module.os, "link", no_links)
    path = tmp_path / "h.sqlite"
    assert History(path).record(result_factory()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.sqlite"]
    assert History(path).runs()[0].run_id == 1
