"""The session records the run in the history database, after writing every report; the
renderers record nothing. A history file that is not mlgate's is never overwritten: the
reports are still written, the terminal says why the run was not recorded, and the gate's
exit status does not change."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from mlgate.core.decision import ExitCode
from mlgate.history import History

REPORTS = ("result.json", "report.html", "summary.md", "model_card.md", "model_card.json")


@pytest.fixture
def gate(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_history"
    return gate_writer


def test_the_session_records_the_run_after_the_reports(pytester, gate, monkeypatch):
    import mlgate.plugin.session as session

    seen = {}

    class Spy(History):
        def record(self, doc):
            seen["reports"] = {p.name for p in self.path.parent.iterdir()}
            return super().record(doc)

    monkeypatch.setattr(session, "History", Spy)
    gate.write()
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.PROMOTE
    db = pytester.path / "reports" / "history.sqlite"
    assert set(REPORTS) <= seen["reports"]  # every report was written before the record
    (run,) = History(db).runs()
    assert run.gate == "tiny"
    result.stdout.fnmatch_lines([f"history: {db}"])


def test_a_foreign_history_file_is_reported_and_kept(pytester, gate):
    gate.write()
    reports = pytester.path / "reports"
    reports.mkdir()
    foreign = reports / "history.sqlite"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE orders (id INTEGER)")
    before = foreign.read_bytes()
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.PROMOTE  # the gate's verdict, not the record, decides
    result.stdout.fnmatch_lines([f"history not recorded: *{foreign}*"])
    assert foreign.read_bytes() == before
    for name in REPORTS:
        assert (reports / name).is_file(), name
    assert "history:" not in result.stdout.str()


def test_history_off_records_nothing(pytester, gate):
    gate.write()
    result = pytester.runpytest("--mlgate", "--mlgate-history", "off")
    assert result.ret == ExitCode.PROMOTE
    assert not (pytester.path / "reports" / "history.sqlite").exists()


def test_rendering_imports_no_history():
    code = (
        "import sys, mlgate.report.outputs, mlgate.report.compare;"
        "bad = [m for m in sys.modules if m.startswith('mlgate.history')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
