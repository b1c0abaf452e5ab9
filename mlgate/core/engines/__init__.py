"""Execution engines behind :meth:`GateContext.batches` (docs/architecture.md, docs/dask.md).

``local`` reads and predicts in this process; ``dask`` on a Dask cluster (``mlgate[dask]``,
imported only when chosen). A gate chooses with its ``engine`` key; Python callers pass
``GateContext(..., engine="dask")`` or a ready engine (``DaskEngine(client=client)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from mlgate.core.engines.base import (
    Batch,
    CheckScope,
    CollectRefused,
    Engine,
    PartitionFailed,
    check_scope,
    current_check,
)
from mlgate.core.engines.local import LocalEngine
from mlgate.core.errors import ConfigError, MlgateError

if TYPE_CHECKING:
    from mlgate.config.schema import EngineSpec

__all__ = [
    "ENGINES",
    "Batch",
    "CheckScope",
    "CollectRefused",
    "Engine",
    "LocalEngine",
    "PartitionFailed",
    "UnavailableEngine",
    "check_scope",
    "current_check",
    "make_engine",
]

ENGINES = ("local", "dask")


class UnavailableEngine(Engine):
    """The engine a gate file names that cannot start here (its extra is not installed): every
    use raises why, so the context's preflight reports it as a setup error before any check
    runs (exit code 4) instead of the pytest session failing to start."""

    def __init__(self, name: str, error: MlgateError) -> None:
        self.name, self.error = name, error

    def _raise(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.error.with_traceback(None)

    def batches(self, *args: Any, **kwargs: Any) -> Iterator[Batch]:
        self._raise()

    fold = dataset = predict = admit = open = _raise


def make_engine(
    engine: Engine | str | None, spec: EngineSpec | None = None, *, defer: bool = False
) -> Engine:
    """The engine ``engine`` names (an Engine is used as is; None: the one ``spec``, the gate
    file's ``engine`` key, names; a name takes the rest of its settings from ``spec``).

    Raises ConfigError for an unknown name and MissingDependencyError (naming the ``dask``
    extra) for ``dask`` without Dask installed; with ``defer``, an engine that cannot start
    is an :class:`UnavailableEngine` that raises that error when used.
    """
    if isinstance(engine, Engine):
        return engine
    if defer:
        try:
            return make_engine(engine, spec)
        except MlgateError as exc:
            return UnavailableEngine(str(engine or getattr(spec, "name", "?")), exc)
    name: Any = engine if engine is not None else (spec.name if spec is not None else "local")
    if name == "local":
        return LocalEngine()
    if name == "dask":
        from mlgate.config.schema import EngineSpec
        from mlgate.core.engines.dask import DaskEngine

        spec = spec.model_copy(update={"name": "dask"}) if spec else EngineSpec(name="dask")
        return DaskEngine.from_spec(spec)
    raise ConfigError(f"unknown engine {name!r}; use one of {list(ENGINES)}", path="engine")
