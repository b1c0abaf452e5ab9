"""Outputs that survive concurrency and failure (issue 14 items 10 and 11): every file is
written under a unique temporary name and renamed into place; a report directory that cannot
be written never produces a raw traceback, the verdict lines and the exit status still reach
the user, and a result.json left from an earlier run is called out as stale."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mlgate.core.decision import ExitCode
from mlgate.history import History
from mlgate.report import outputs
from mlgate.report.outputs import atomic_write_text, write_outputs

DOC = Path(__file__).parents[1] / "report" / "data" / "result.json"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- atomic writes ---------------------------------------------------------------------------
def test_atomic_write_replaces_whole_files_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "result.json"
    atomic_write_text(target, "first\n")
    atomic_write_text(target, "second\n")
    assert target.read_text() == "second\n" and _leftovers(tmp_path) == []
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_a_failed_atomic_write_names_the_target_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("old")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(outputs.os, "replace", refuse)
    with pytest.raises(PermissionError) as exc:
        atomic_write_text(target, "new")
    assert exc.value.filename == str(target)
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_threads_writing_one_file_never_collide(tmp_path):
    target = tmp_path / "report.html"
    texts = [f"{i}:" + str(i) * 50_000 for i in range(8)]
    errors: list[BaseException] = []

    def write(text):
        try:
            for _ in range(10):
                atomic_write_text(target, text)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert target.read_text() in texts and _leftovers(tmp_path) == []


def _write_all(report_dir: str) -> list[str]:
    doc = json.loads(DOC.read_text())
    for check in doc["checks"]:  # no plots: this is about files, not drawing
        check["evidence"] = {}
    written = write_outputs(doc, Path(report_dir))
    return sorted(written.problems)


def test_processes_sharing_a_report_dir_all_write_everything(tmp_path):
    """Several runs ending at once in one report directory: none crashes, every file is
    whole (the old fixed ``*.tmp`` names made some runs fail)."""
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with context.Pool(3) as pool:
        problems = pool.map(_write_all, [str(tmp_path)] * 6, chunksize=1)
    assert problems == [[]] * 6
    assert json.loads((tmp_path / "result.json").read_text())["gate"]
    assert (tmp_path / "report.html").read_text().rstrip().endswith("</html>")
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
def test_concurrent_gate_runs_sharing_a_report_dir(pytester, tiny):
    tiny.write()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "--mlgate", "-q", "-p", "no:cacheprovider"]
    procs = [
        subprocess.Popen(
            cmd, cwd=pytester.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert not any("Traceback" in o or "NOT written" in o for o in outs)
    reports = pytester.path / "reports"
    assert len(History(reports / "history.sqlite").runs()) == 3
    assert json.loads((reports / "result.json").read_text())["verdict"] == "promote_with_warnings"
    assert _leftovers(reports) == []


# -- a report directory that cannot be written -------------------------------------------------
def test_a_report_dir_that_cannot_be_created_still_shows_the_verdict(pytester, tiny):
    tiny.write(candidate="bad")
    (pytester.path / "blocker").write_text("a file, not a directory")
    result = pytester.runpytest("--mlgate", "--mlgate-report-dir", "blocker/reports")
    assert result.ret == ExitCode.HOLD  # the verdict's exit status stands
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "stage staging: HOLD",
            "    held by: accuracy failed, roc_auc failed",
            "*mlgate: result.json was NOT written*",
            "  Not a directory: *blocker/reports*",
            "history not recorded: *",
        ]
    )
    assert "Traceback" not in out and "INTERNALERROR" not in out


def test_a_result_json_that_cannot_be_replaced_is_called_stale(
    pytester, tiny, stale_promote, monkeypatch
):
    tiny.write(candidate="bad")
    real = outputs.atomic_write_text

    def refuse(path, text):
        if Path(path).name == "result.json":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, text)

    monkeypatch.setattr(outputs, "atomic_write_text", refuse)
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    result.stdout.fnmatch_lines(
        [
            "stage staging: HOLD*",
            "*mlgate: result.json was NOT written*",
            "  Permission denied: *reports/result.json",
            "  *reports/result.json is from an EARLIER run and does not describe this one; the "
            "verdict above and the exit status do",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    # no report that would contradict the result.json in place is written
    assert not (stale_promote / "summary.md").exists()


def test_a_renderer_failure_keeps_the_result_the_verdict_and_the_history(
    pytester, tiny, monkeypatch, result_doc
):
    import mlgate.report.html

    def broken(doc):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(mlgate.report.html, "render_html", broken)
    tiny.write(candidate="bad")
    result = pytester.runpytest("--mlgate")
    assert result.ret == ExitCode.HOLD
    result.stdout.fnmatch_lines(
        ["stage staging: HOLD*", "report not written: RuntimeError: template exploded"]
    )
    assert result_doc()["verdict"] == "hold"
    assert (pytester.path / "reports" / "summary.md").exists()
    assert len(History(pytester.path / "reports" / "history.sqlite").runs()) == 1
    assert "Traceback" not in result.stdout.str()


def test_an_unwritable_history_changes_nothing_else(pytester, tiny, result_doc):
    tiny.write()
    (pytester.path / "blocker").write_text("a file")
    result = pytester.runpytest("--mlgate", "--mlgate-history", "blocker/history.sqlite")
    assert result.ret == ExitCode.PROMOTE
    result.stdout.fnmatch_lines(["history not recorded: *blocker/history.sqlite*"])
    assert result_doc()["verdict"] == "promote_with_warnings"
    assert "Traceback" not in result.stdout.str()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions"
)
def test_a_read_only_report_dir(pytester, tiny, stale_promote):
    tiny.write()
    stale_promote.chmod(0o555)
    try:
        result = pytester.runpytest("--mlgate")
    finally:
        stale_promote.chmod(0o755)
    assert result.ret == ExitCode.PROMOTE
    result.stdout.fnmatch_lines(["*result.json was NOT written*", "*is from an EARLIER run*"])
    assert "Traceback" not in result.stdout.str()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
