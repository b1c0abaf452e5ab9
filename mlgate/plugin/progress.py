"""Progress on the terminal for long checks, under ``--mlgate-progress`` (default ``auto``)."""

from __future__ import annotations

import contextlib
import os

import pytest

from mlgate.core.progress import Progress, TerminalProgress, progress_wanted


def terminal_progress(config: pytest.Config) -> Progress:
    """A :class:`TerminalProgress` on pytest's terminal when progress is wanted, else the
    no-op :class:`Progress`. Output capture is suspended for each write (as pytest does for
    a debugger prompt), so progress reaches the terminal while a check runs."""
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is None:
        return Progress()
    wanted = progress_wanted(
        config.getoption("mlgate_progress"),
        verbosity=config.get_verbosity(),
        isatty=bool(getattr(tr, "isatty", False)),
        env=os.environ,
    )
    if not wanted:
        return Progress()
    capman = config.pluginmanager.get_plugin("capturemanager")

    def write(text: str) -> None:
        suspended = capman.global_and_fixture_disabled() if capman else contextlib.nullcontext()
        with suspended:
            tr.write(text, flush=True)

    return TerminalProgress(write)
