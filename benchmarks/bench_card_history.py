"""Model card rendering and run-history writes/reads, each against a baseline measured in the
same run.

- card: building and rendering all three cards (Markdown, MCT JSON, HTML) of a result with
  60 checks (slice tables included) vs writing that result's JSON text (``result.json``);
- record: ``History.record`` vs a bare SQLite insert of the same JSON text into one table
  (same file settings: WAL, one transaction per run), on a connection kept open and on a
  connection opened per insert (as ``History`` does, so it is safe across forks and threads);
- open: ``History(path)`` on a history of N runs (recognition and integrity check) vs a
  bare ``sqlite3.connect`` + one query;
- read: ``runs(limit=20)`` and ``latest(gate)`` on N runs vs a bare ``SELECT`` of the newest
  20 JSON texts.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_card_history.py [--runs 1000]``
Latest figures are in docs/model-card.md.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlgate.history import History
from mlgate.report.card import build_card
from mlgate.report.card.html import render_html
from mlgate.report.card.markdown import render_markdown
from mlgate.report.card.mct_json import mct_document


def _result(n_checks: int = 60, seed: int = 0) -> dict[str, Any]:
    checks = []
    for i in range(n_checks):
        kind = ("metric", "slice", "drift")[i % 3]
        evidence: dict[str, Any] = {"model": "candidate", "dataset": "evaluation"}
        if kind == "slice":
            evidence["slices"] = [
                {"slice": f"group={j}", "value": 0.8 + j / 1000, "n": 50 + j} for j in range(20)
            ]
        if kind == "drift":
            evidence["features"] = [
                {"feature": f"f{j}", "statistic": j / 100, "p_value": 0.5} for j in range(20)
            ]
        checks.append(
            {
                "id": f"check-{i}", "kind": kind, "check": kind, "status": "passed",
                "severity": "block", "stages": ["staging"], "metric": "accuracy",
                "value": 0.9, "interval": {"low": 0.85, "high": 0.95, "level": 0.95,
                                           "method": "bootstrap-percentile"},
                "threshold": {"op": ">=", "value": 0.8}, "sample_size": 1000,
                "method": "bench", "message": "ok", "evidence": evidence,
            }
        )  # fmt: skip
    return {
        "schema_version": "1.0",
        "mlgate_version": "0.1.0",
        "gate": {"name": "bench", "description": "", "file": "mlgate.yaml", "task": "binary"},
        "run": {"seed": seed, "stages": ["staging"], "finished_at": "2026-01-01T00:00:00+00:00"},
        "verdict": "promote",
        "exit_code": 0,
        "stages": [{"name": "staging", "verdict": "promote", "reasons": [], "counts": {}}],
        "checks": checks,
        "models": {"candidate": {"kind": "sklearn", "class": "M", "identity": "sha256:x"}},
        "datasets": {"evaluation": {"rows": 1000, "features": ["a"], "fingerprint": "sha256:y"}},
        "model_card": {"model_details": {"name": "bench"}},
    }


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _cards(doc: dict[str, Any]) -> None:
    card = build_card(doc)
    render_markdown(card), render_html(card), json.dumps(mct_document(card))


def _bare_db(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, doc TEXT)")
    return con


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300, help="runs in the history")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    doc = _result()
    text = json.dumps(doc, indent=2)
    print(f"result: {len(doc['checks'])} checks, {len(text) / 1024:.0f} KiB of JSON")

    base = _best(lambda: json.dumps(doc, indent=2), args.repeat)
    ours = _best(lambda: _cards(doc), args.repeat)
    print(f"card   all three cards {ours * 1e3:8.2f} ms   json.dumps {base * 1e3:7.2f} ms   "
          f"ratio {ours / base:6.1f}x")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        hist = History(Path(tmp) / "h.sqlite")
        con = _bare_db(Path(tmp) / "bare.sqlite")

        def bare_insert() -> None:
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO runs (doc) VALUES (?)", (json.dumps(doc),))
            con.execute("COMMIT")

        n = args.runs
        t0 = time.perf_counter()
        for i in range(n):
            doc["run"]["seed"] = i
            hist.record(doc)
        ours = (time.perf_counter() - t0) / n
        t0 = time.perf_counter()
        for _ in range(n):
            bare_insert()
        base = (time.perf_counter() - t0) / n
        con.close()

        def bare_insert_reopen() -> None:
            c = sqlite3.connect(Path(tmp) / "bare2.sqlite", isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            c.execute("INSERT INTO runs (doc) VALUES (?)", (json.dumps(doc),))
            c.execute("COMMIT")
            c.close()

        _bare_db(Path(tmp) / "bare2.sqlite").close()
        t0 = time.perf_counter()
        for _ in range(n):
            bare_insert_reopen()
        base2 = (time.perf_counter() - t0) / n
        con = _bare_db(Path(tmp) / "bare.sqlite")
        print(f"record per run         {ours * 1e3:8.2f} ms   bare insert {base * 1e3:6.2f} ms   "
              f"ratio {ours / base:6.1f}x   ({n} runs)")  # fmt: skip
        print(f"                                    bare insert, reopened {base2 * 1e3:6.2f} ms   "
              f"ratio {ours / base2:6.1f}x")  # fmt: skip

        def bare_open() -> None:
            c = sqlite3.connect(Path(tmp) / "bare.sqlite")
            c.execute("SELECT count(*) FROM runs").fetchone()
            c.close()

        size = (Path(tmp) / "h.sqlite").stat().st_size / 2**20
        ours = _best(lambda: History(Path(tmp) / "h.sqlite"), args.repeat)
        base = _best(bare_open, args.repeat)
        print(f"open   History()       {ours * 1e3:8.2f} ms   bare open {base * 1e3:8.2f} ms   "
              f"ratio {ours / base:6.1f}x   ({size:.0f} MiB file)")  # fmt: skip

        def bare_read() -> None:
            con.execute("SELECT doc FROM runs ORDER BY id DESC LIMIT 20").fetchall()

        ours = _best(lambda: (hist.runs(limit=20), hist.latest("bench")), args.repeat)
        base = _best(bare_read, args.repeat)
        print(f"read   runs()+latest() {ours * 1e3:8.2f} ms   bare select {base * 1e3:6.2f} ms   "
              f"ratio {ours / base:6.1f}x")  # fmt: skip
        con.close()


if __name__ == "__main__":
    main()
