"""A cancelled run never leaves a stale promote behind (issue 14 item 12).

SIGTERM (how CI cancels a job) ends the run like Ctrl-C: the session finishes, the stages
hold and result.json says why. SIGKILL cannot be caught: the HOLD result.json written before
the first check stays. The runs are real processes (a signal needs one), in their own process
group, with bounded waits; the group is killed at teardown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from mlgate.history import History
from mlgate.plugin.signals import SigtermHandler, Terminated

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")

BLOCK_MODULE = '''
import os
import time

import numpy as np


def blocking(ready, release):
    """A model that says it has started (the file ``ready``), then waits for ``release``
    (at most 60 s)."""
    def predict(X):
        open(ready, "w").close()
        deadline = time.monotonic() + 60
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.02)
        p = 1.0 / (1.0 + np.exp(-5.0 * X["x"].to_numpy()))
        return np.column_stack([1.0 - p, p])
    return predict
'''


@pytest.fixture
def blocked_run(pytester, tiny, stale_promote):
    """``blocked_run(**check)`` starts ``pytest --mlgate`` on a gate whose model blocks, and
    returns (process, output file) once the first check is running."""
    procs: list[subprocess.Popen] = []
    ready, release = pytester.path / "ready", pytester.path / "release"
    module = f"block_{tiny.module}"
    (pytester.path / f"{module}.py").write_text(BLOCK_MODULE)

    def start(**check):
        stages = {
            "staging": {
                "checks": [
                    {"check": "metric_threshold", "metric": "accuracy", "min": 0.5, **check},
                    {"check": "metric_threshold", "metric": "roc_auc", "min": 0.5},
                ]
            }
        }
        cfg = tiny.config(stages=stages)
        args = {"ready": str(ready), "release": str(release)}
        cfg["models"]["candidate"] = {"factory": f"{module}:blocking", "args": args}
        tiny.write(config=cfg)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        log = pytester.path / "output.txt"
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pytest", "--mlgate", "-p", "no:cacheprovider"],
                cwd=pytester.path,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        procs.append(proc)
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the run never reached its first check"
            time.sleep(0.05)
        time.sleep(0.2)  # let the run settle into waiting
        return proc, log

    yield start
    release.touch()
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


def _result(pytester) -> dict:
    return json.loads((pytester.path / "reports" / "result.json").read_text())


@pytest.mark.parametrize(
    ("sig", "words", "check"),
    [
        pytest.param(signal.SIGTERM, "the run was cancelled (SIGTERM)", {}, id="sigterm"),
        pytest.param(
            signal.SIGTERM,
            "the run was cancelled (SIGTERM)",
            {"timeout": 120},  # the main thread waits on the check's thread
            id="sigterm-while-waiting-on-a-timeout",
        ),
        pytest.param(
            signal.SIGINT,
            "the run was interrupted (Ctrl-C)",
            {},
            id="sigint",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_a_cancelled_run_holds_and_says_why(pytester, blocked_run, sig, words, check):
    proc, log = blocked_run(**check)
    os.kill(proc.pid, sig)
    assert proc.wait(60) == pytest.ExitCode.INTERRUPTED
    out = log.read_text()
    assert "stage staging: HOLD" in out and "Traceback" not in out
    doc = _result(pytester)
    assert doc["verdict"] == "hold" and doc["exit_code"] == 10
    assert doc["run"]["partial"] is True and doc["run"]["finished_at"]
    messages = {c["id"]: c["message"] for c in doc["checks"]}
    assert messages["roc_auc"] == f"did not run: not reached ({words})"
    (run,) = History(pytester.path / "reports" / "history.sqlite").runs()
    assert run.partial and run.verdict == "hold"


def test_a_killed_run_leaves_the_in_progress_hold(pytester, blocked_run, result_schema):
    proc, _ = blocked_run()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(60)
    doc = _result(pytester)
    assert list(result_schema.iter_errors(doc)) == []
    assert doc["verdict"] == "hold" and "stale" not in doc
    assert doc["run"]["partial"] is True and doc["run"]["finished_at"] is None
    assert doc["run"]["partial_reason"].startswith("in progress: the run started at ")
    assert doc["run"]["partial_reason"].endswith(
        "has not finished; if this stays, it was killed before it could decide"
    )
    assert {c["message"] for c in doc["checks"]} == {
        "did not run: the run is in progress, or was killed before it finished"
    }
    reports = pytester.path / "reports"
    assert not (reports / "report.html").exists()  # the stale promote's report is gone
    assert not (reports / "history.sqlite").exists()


# -- the handler itself ------------------------------------------------------------------------
def test_sigterm_raises_terminated_once_then_restores_the_default():
    handler = SigtermHandler()
    previous = signal.getsignal(signal.SIGTERM)
    if previous != signal.SIG_DFL:
        pytest.skip("something else handles SIGTERM in this process")
    assert handler.install()
    try:
        with pytest.raises(Terminated, match="SIGTERM: the run was cancelled"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs before this ends
        assert handler.received
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # a second one kills
    finally:
        handler.restore()
        signal.signal(signal.SIGTERM, previous)
    assert isinstance(Terminated("x"), KeyboardInterrupt)  # no `except Exception` eats it


def test_a_handler_someone_else_installed_is_left_alone():
    def theirs(signum, frame):  # pragma: no cover - never called
        pass

    previous = signal.signal(signal.SIGTERM, theirs)
    try:
        handler = SigtermHandler()
        assert not handler.install()
        assert signal.getsignal(signal.SIGTERM) is theirs
        handler.restore()
        assert signal.getsignal(signal.SIGTERM) is theirs
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_no_handler_off_the_main_thread():
    import threading

    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("ok", SigtermHandler().install()))
    thread.start()
    thread.join(10)
    assert box == {"ok": False}


def test_the_session_restores_sigterm_after_a_run(pytester, tiny):
    tiny.write()
    before = signal.getsignal(signal.SIGTERM)
    pytester.runpytest("--mlgate")
    assert signal.getsignal(signal.SIGTERM) == before
