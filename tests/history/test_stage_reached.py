"""The stage each run reached, kept by the history (schema 2), shown by ``mlgate history``
with whether the run was partial; a history of schema 1 (before stage_reached) opens, is
migrated once, and its stored runs get their stage from their stored documents."""

from __future__ import annotations

import copy
import json
import sqlite3

from mlgate.cli import main
from mlgate.history import SCHEMA_VERSION, History
from mlgate.history.rows import result_rows

#: The layout of schema 1, as mlgate wrote it before the stage reached was kept.
V1_DDL = (
    "CREATE TABLE mlgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        gate TEXT NOT NULL, gate_file TEXT, task TEXT,
        model_identity TEXT, verdict TEXT NOT NULL, exit_code INTEGER, seed INTEGER,
        started_at TEXT, finished_at TEXT, duration_s REAL, recorded_at TEXT NOT NULL,
        mlgate_version TEXT, result_schema TEXT, result_json TEXT NOT NULL)""",
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


def staged(result, verdicts, names=("offline", "shadow", "canary", "production")):
    result = copy.deepcopy(result)
    result["stages"] = [
        {"name": n, "verdict": v, "reasons": [], "counts": {}}
        for n, v in zip(names, verdicts, strict=False)
    ]
    result["verdict"] = "hold" if "hold" in verdicts else "promote"
    return result


def partial(result):
    result = copy.deepcopy(result)
    result["run"] |= {"partial": True, "partial_reason": "2 of 5 planned checks did not run"}
    return result


def v1_history(path, results) -> None:
    """A schema-1 history holding ``results``, written as mlgate 1 wrote them."""
    con = sqlite3.connect(path)
    for statement in V1_DDL:
        con.execute(statement)
    con.executemany(
        "INSERT INTO mlgate_meta (key, value) VALUES (?, ?)",
        [("schema", "mlgate-history"), ("schema_version", "1")],
    )
    for result in results:
        row = result_rows(result)["run"][:-1]  # schema 1 had no stage_reached
        con.execute(
            "INSERT INTO runs (gate, gate_file, task, model_identity, verdict, exit_code, seed, "
            "started_at, finished_at, duration_s, recorded_at, mlgate_version, result_schema, "
            "result_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            row,
        )
        run_id = con.execute("SELECT max(id) FROM runs").fetchone()[0]
        for s in result["stages"]:
            con.execute(
                "INSERT INTO run_stages (run_id, stage, verdict) VALUES (?,?,?)",
                (run_id, s["name"], s["verdict"]),
            )
    con.commit()
    con.close()


def test_each_run_keeps_the_stage_it_reached(tmp_path, result_factory):
    h = History(tmp_path / "h.sqlite")
    h.record(staged(result_factory(), ("promote", "promote_with_warnings", "hold", "promote")))
    h.record(staged(result_factory(), ("hold", "promote")))
    h.record(partial(staged(result_factory(), ("promote", "promote"))))
    h.record(staged(result_factory(), ("promote", "promote", "promote", "promote")))
    runs = h.runs()
    assert [(r.stage_reached, r.partial) for r in runs] == [
        ("production", False),
        (None, True),  # a partial run reaches no stage
        (None, False),  # the first stage held
        ("shadow", False),  # canary held: production's own promote does not count
    ]
    assert runs[0].to_dict()["stage_reached"] == "production"


def test_an_old_history_is_migrated_and_its_runs_get_their_stage(tmp_path, result_factory):
    path = tmp_path / "old.sqlite"
    v1_history(
        path,
        [
            staged(result_factory(), ("promote", "hold")),
            partial(staged(result_factory(), ("promote",))),
            staged(result_factory(), ("promote", "promote", "hold")),
        ],
    )
    h = History(path)
    con = sqlite3.connect(path)
    version = con.execute("SELECT value FROM mlgate_meta WHERE key='schema_version'").fetchone()
    columns = {r[1] for r in con.execute("PRAGMA table_info(runs)")}
    con.close()
    assert version == (str(SCHEMA_VERSION),) and "stage_reached" in columns
    assert [(r.stage_reached, r.partial) for r in h.runs()] == [
        ("shadow", False),
        (None, True),
        ("offline", False),
    ]
    # the old runs read back whole; a new run lands beside them; opening again changes nothing
    assert h.get(1)["stages"][1]["verdict"] == "hold"
    h.record(staged(result_factory(), ("promote",)))
    assert [r.stage_reached for r in History(path).runs()] == ["offline", "shadow", None, "offline"]


def test_a_migration_another_process_finished_first_is_not_run_twice(tmp_path, result_factory):
    path = tmp_path / "old.sqlite"
    v1_history(path, [staged(result_factory(), ("promote",))])
    first = History.__new__(History)  # inspected as schema 1 ...
    first.path, first.timeout = path, 5.0
    History(path)  # ... while another process migrates it
    first._migrate(1)  # adding the column again would fail ("duplicate column")
    assert History(path).runs()[0].stage_reached == "offline"


def test_mlgate_history_shows_the_stage_reached_and_partial_runs(tmp_path, result_factory, capsys):
    db = tmp_path / "h.sqlite"
    h = History(db)
    h.record(staged(result_factory(gate="g<\x1b[31m>"), ("promote", "hold")))
    h.record(partial(staged(result_factory(), ("promote", "promote"))))
    assert main(["history", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    header, newest, oldest = out[0].split(), out[1].split(), out[2].split()
    assert header[:7] == ["id", "finished", "gate", "verdict", "reached", "run", "model"]
    assert newest[3:6] == ["(promote)", "-", "PARTIAL"]  # not shown as a verdict
    assert oldest[3:6] == ["hold", "offline", "complete"]
    assert "\x1b" not in "\n".join(out)  # a control character from the data is not sent
    assert out[-1].startswith("PARTIAL: not every planned check ran")
    assert json.loads(json.dumps(h.runs()[0].to_dict()))["partial"] is True
