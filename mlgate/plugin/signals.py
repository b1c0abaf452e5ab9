"""SIGTERM ends a gate run the way Ctrl-C does.

CI systems cancel or time out a job with SIGTERM (then SIGKILL after a grace period). By
default SIGTERM kills Python at once: no session end, so the previous run's ``result.json``
(perhaps a promote) stays in place. Under ``--mlgate`` the first SIGTERM raises
:class:`Terminated` (a ``KeyboardInterrupt``) in the main thread instead, which pytest handles
as an interrupt: the session ends, every check that did not run is ``skipped``, the stages
hold, and ``result.json`` says so. A second SIGTERM ends the process at once. Against
SIGKILL, which nothing can catch, the run writes an in-progress HOLD ``result.json`` before
its first check (see :mod:`mlgate.plugin.session`).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM; raised in the main thread like a Ctrl-C.

    A ``KeyboardInterrupt`` so that no ``except Exception`` in a check or a model swallows it,
    and pytest ends the session as for an interrupt (exit status 2)."""


class SigtermHandler:
    """Installs the SIGTERM handler for one session and restores what was there before.

    Nothing is installed off the main thread (Python allows signal handlers only there), on
    a platform without SIGTERM, or when something other than the default action already
    handles SIGTERM (that handler, or an explicit ignore, is left alone)."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False
        self.received = False

    def install(self) -> bool:
        """Install the handler; returns whether it was installed."""
        sigterm = getattr(signal, "SIGTERM", None)
        if sigterm is None or threading.current_thread() is not threading.main_thread():
            return False
        current = signal.getsignal(sigterm)
        if current != signal.SIG_DFL:
            return False
        self._previous = current
        signal.signal(sigterm, self._handle)
        self._installed = True
        return True

    def restore(self) -> None:
        """Put back the handler that was there before :meth:`install` (idempotent)."""
        if not self._installed:
            return
        self._installed = False
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
        self.restore()  # a second SIGTERM takes the default action: the process ends now
        raise Terminated(
            "SIGTERM: the run was cancelled; checks that did not finish count as not run "
            "and every stage they belong to holds"
        )
