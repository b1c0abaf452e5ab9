"""Progress of long checks: drawn after the terminal's text and erased again, throttled,
off by default in CI, under -q and off a terminal, and never a change to any result."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

import mlgate.plugin.progress
from mlgate.core.progress import Progress, TerminalProgress, progress_wanted
from mlgate.stats.bootstrap import bootstrap_interval
from mlgate.stats.metrics import get_metric


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_terminal_progress_draws_throttled_updates_and_erases_them():
    written: list[str] = []
    clock = FakeClock()
    progress = TerminalProgress(written.append, interval=0.5, clock=clock)
    with progress.check("staging-auc"), progress.task("bootstrap", total=1000) as advance:
        advance(100)  # no time has passed: nothing drawn
        assert written == []
        clock.now = 0.6
        advance(200)
        clock.now = 0.7
        advance(300)  # within the interval of the last draw: not drawn
        clock.now = 1.2
        advance(500)
    text = " [staging-auc: bootstrap 300/1,000]"
    final = " [staging-auc: bootstrap 1,000/1,000]"
    erase = lambda s: "\b" * len(s) + " " * len(s) + "\b" * len(s)  # noqa: E731
    assert written == [text, erase(text), final, erase(final)]
    # what is left on the screen after the task: the cursor is back where it started
    screen = "".join(written)
    assert screen.count("\b") == 2 * (len(text) + len(final))


def test_a_task_shorter_than_the_interval_shows_nothing():
    written: list[str] = []
    progress = TerminalProgress(written.append, clock=FakeClock())
    with progress.task("bootstrap", total=10) as advance:
        advance(10)
    assert written == []


def test_the_check_scope_is_restored_after_the_check():
    written: list[str] = []
    clock = FakeClock()
    progress = TerminalProgress(written.append, interval=0.0, clock=clock)
    with progress.check("outer"):
        with progress.check("inner"):
            pass
        with progress.task("work", total=2) as advance:
            clock.now = 1.0
            advance(1)
    assert written[0] == " [outer: work 1/2]"


@pytest.mark.parametrize(
    ("mode", "verbosity", "isatty", "env", "wanted"),
    [
        ("auto", 0, True, {}, True),
        ("auto", -1, True, {}, False),  # -q
        ("auto", 0, False, {}, False),  # piped to a file or a CI log
        ("auto", 0, True, {"CI": "true"}, False),
        ("auto", 0, True, {"CI": "false"}, True),
        ("auto", 2, True, {"CI": "0"}, True),
        ("on", -2, False, {"CI": "true"}, True),
        ("off", 2, True, {}, False),
    ],
)
def test_progress_is_wanted_only_where_a_person_watches(mode, verbosity, isatty, env, wanted):
    assert progress_wanted(mode, verbosity=verbosity, isatty=isatty, env=env) is wanted


def test_progress_sees_every_resample_and_changes_no_interval():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5000)
    scores = np.clip(y * 0.3 + rng.random(5000) * 0.7, 0, 1)
    output = np.column_stack([1 - scores, scores])
    stat = get_metric("roc_auc").statistic(y, output, 2)
    seen: list[int] = []
    plain = bootstrap_interval(stat, rng=np.random.default_rng(1), n_resamples=3000)
    watched = bootstrap_interval(
        stat, rng=np.random.default_rng(1), n_resamples=3000, progress=seen.append
    )
    assert sum(seen) == 3000 and len(seen) >= 1
    assert watched.interval == plain.interval


def test_the_no_op_progress_accepts_everything():
    progress = Progress()
    with progress.check("x"), progress.task("y", total=5) as advance:
        advance(5)


@pytest.fixture
def gate(pytester, gate_writer):
    gate_writer.folder = pytester.path
    gate_writer.module = "gatefix_progress"
    return gate_writer


def test_gate_run_shows_progress_when_asked_and_not_otherwise(pytester, gate, monkeypatch):
    gate.write()
    # every update drawn, so the short bootstraps of the tiny gate show on the terminal
    monkeypatch.setattr(
        mlgate.plugin.progress, "TerminalProgress", functools.partial(TerminalProgress, interval=0)
    )
    shown = pytester.runpytest("--mlgate", "--mlgate-progress=on", "-p", "no:cacheprovider")
    assert "[accuracy: accuracy bootstrap " in shown.stdout.str()
    quiet = pytester.runpytest("--mlgate", "--mlgate-progress=auto", "-p", "no:cacheprovider")
    assert "bootstrap " not in quiet.stdout.str()  # pytester's output is not a terminal
    assert shown.ret == quiet.ret == 0
    result = json.loads((pytester.path / "reports" / "result.json").read_text())
    assert result["verdict"] == "promote_with_warnings"
