"""mlgate's pytest plugin, loaded through the ``pytest11`` entry point.

Inert without ``--mlgate``: it only registers its options, its marker and two fixtures
(which skip the test when the gate is off). With ``--mlgate`` it validates the gate file
before anything runs, collects the gate's checks as test items, and decides each stage at
the end of the session.
"""

from __future__ import annotations

import pytest

from mlgate.plugin.fixtures import mlgate, mlgate_record
from mlgate.plugin.options import pytest_addoption

__all__ = ["mlgate", "mlgate_record", "pytest_addoption", "pytest_configure", "pytest_unconfigure"]

MARKER_HELP = (
    "mlgate(kind='custom', severity='block', stages=None, id=None): declare this test a gate "
    "check of `kind`; severity 'block' holds its stages when it does not pass, 'warn' only "
    "warns; `stages` lists the stages it belongs to (default: every stage); `id` names it in "
    "the report (default: the test name). Runs only with --mlgate."
)
_PLUGIN_NAME = "mlgate-session"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    if not config.getoption("mlgate", False):
        return
    from mlgate.plugin.session import GateSession

    session = GateSession.from_config(config)  # raises pytest.UsageError on a bad gate file
    config.pluginmanager.register(session, _PLUGIN_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.pluginmanager.get_plugin(_PLUGIN_NAME)
    if session is not None:
        config.pluginmanager.unregister(session, _PLUGIN_NAME)
