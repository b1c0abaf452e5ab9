"""Fixtures for Python gate checks: the gate context and a way to record a result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from mlgate.plugin.keys import RECORDED_KEY

if TYPE_CHECKING:
    from mlgate.core.context import GateContext
    from mlgate.core.result import CheckResult


def _gate_session(config: pytest.Config):
    session = config.pluginmanager.get_plugin("mlgate-session")
    if session is None:
        pytest.skip("gate checks run only with --mlgate")
    return session


@pytest.fixture(scope="session")
def mlgate(pytestconfig: pytest.Config) -> GateContext:
    """The gate context: ``candidate``, ``champion``, ``dataset(name)``, cached
    ``predict(model, dataset)``, ``seed`` and ``rng(key)``. Skips the test without --mlgate."""
    return _gate_session(pytestconfig).context


@pytest.fixture
def mlgate_record(request: pytest.FixtureRequest) -> Callable[[CheckResult], None]:
    """Record this test's :class:`~mlgate.core.result.CheckResult`.

    The recorded status decides the test's outcome: a blocking failure, error or
    inconclusive result fails the test; ``warned`` emits a warning; ``skipped`` skips.
    """
    _gate_session(request.config)
    from mlgate.plugin.outcome import apply_outcome

    def record(result: CheckResult) -> None:
        if RECORDED_KEY in request.node.stash:
            raise RuntimeError(f"{request.node.nodeid}: a check result was already recorded")
        from mlgate.core.runner import finalize
        from mlgate.plugin.markers import marker_meta

        meta = marker_meta(request.node)
        final = finalize(
            result,
            check_id=meta.check_id,
            stages=meta.stages,
            severity=meta.severity,
            check_type="python",
        )
        request.node.stash[RECORDED_KEY] = final
        apply_outcome(final, stacklevel=2)  # a warning points at the test's call

    return record
