"""Progress of long checks (bootstrap resampling, perturbation variants, slice discovery).

A check asks its context for a task and advances it as work is done::

    with ctx.progress.task("bootstrap", total=n_resamples) as advance:
        for chunk in chunks:
            ...
            advance(len(chunk))

:class:`Progress` itself does nothing: it is what runs without a terminal (Python callers,
``-q``, CI logs, output piped to a file). The pytest plugin swaps in a
:class:`TerminalProgress` when a person is watching (``--mlgate-progress=auto``: a terminal,
not ``-q``, no ``CI`` variable). Progress never changes a result: it is told how far the
work has got, nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

#: ``advance(n)``: ``n`` more units of the task are done.
Advance = Callable[[int], None]


def _ignore(n: int) -> None:
    return None


class Progress:
    """The no-op progress: every task is accepted and nothing is shown."""

    @contextmanager
    def check(self, check_id: str) -> Iterator[None]:
        """Scope: the tasks started inside belong to check ``check_id``."""
        yield

    @contextmanager
    def task(self, what: str, total: int) -> Iterator[Advance]:
        """A task of ``total`` units; yields ``advance(n)``."""
        yield _ignore


class TerminalProgress(Progress):
    """Shows ``[check: what done/total]`` after the text already on the terminal's line, and
    erases it again (backspaces), so pytest's own line is left as it was.

    ``write(text)`` puts text on the terminal unbuffered. Updates are drawn at most every
    ``interval`` seconds (``clock`` is injectable for tests); a task shorter than that shows
    nothing.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write, self._interval, self._clock = write, interval, clock
        self._check = ""
        self._shown = 0  # characters of the current progress text on screen

    @contextmanager
    def check(self, check_id: str) -> Iterator[None]:
        before, self._check = self._check, check_id
        try:
            yield
        finally:
            self._check = before

    @contextmanager
    def task(self, what: str, total: int) -> Iterator[Advance]:
        label = f"{self._check}: {what}" if self._check else what
        state = {"done": 0, "drawn_at": self._clock()}

        def advance(n: int) -> None:
            state["done"] += int(n)
            now = self._clock()
            if now - state["drawn_at"] >= self._interval:
                state["drawn_at"] = now
                self._draw(f" [{label} {min(state['done'], total):,}/{total:,}]")

        try:
            yield advance
        finally:
            self._erase()

    def _draw(self, text: str) -> None:
        self._erase()
        self._write(text)
        self._shown = len(text)

    def _erase(self) -> None:
        if self._shown:
            n, self._shown = self._shown, 0
            self._write("\b" * n + " " * n + "\b" * n)


def progress_wanted(mode: str, *, verbosity: int, isatty: bool, env: Mapping[str, str]) -> bool:
    """Whether to show progress: ``mode`` ``on`` / ``off``, or ``auto`` — on a terminal, at
    default or higher verbosity (not ``-q``), and not in CI (a ``CI`` variable that is set and
    not ``false`` / ``0``)."""
    if mode in ("on", "off"):
        return mode == "on"
    in_ci = env.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return isatty and verbosity >= 0 and not in_ci
