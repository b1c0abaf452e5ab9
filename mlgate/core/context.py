"""The gate context: what a check may use — models, datasets, cached predictions, seeds."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from mlgate.core.cache import PredictionCache
from mlgate.core.data import Dataset, load_dataset
from mlgate.core.engines import Batch, Engine, check_scope, make_engine
from mlgate.core.errors import ConfigError, MlgateError
from mlgate.core.gate import Gate
from mlgate.core.progress import Progress
from mlgate.core.result import jsonable
from mlgate.core.task import Task
from mlgate.models import ModelAdapter, Predictions, adapt, load_model

__all__ = ["Batch", "GateContext", "in_memory"]


def in_memory() -> None:
    """The source recorded for a model or dataset given to :meth:`GateContext.from_objects`:
    there is nothing to load. Raises ConfigError when called."""
    raise ConfigError("this model or dataset was given in memory; there is no file to load")


_IN_MEMORY = f"{__name__}:in_memory"


class GateContext:
    """Lazily loads the gate's models and datasets (each once) and predicts each
    (model, dataset) pair once through :attr:`predictions`.

    ``models`` / ``datasets`` let Python callers pass ready objects instead of what the gate
    file declares (an estimator or callable; a DataFrame).
    """

    def __init__(
        self,
        gate: Gate,
        *,
        seed: int | None = None,
        device: str | None = None,
        models: Mapping[str, Any] | None = None,
        datasets: Mapping[str, Any] | None = None,
        update_golden: bool = False,
        engine: Engine | str | None = None,
    ) -> None:
        self.gate = gate
        self.seed = gate.config.seed if seed is None else seed
        self.device = device
        #: ``--mlgate-update-golden``: golden-file checks rewrite their files instead of
        #: comparing against them.
        self.update_golden = update_golden
        self._given_models = dict(models or {})
        self._given_datasets = dict(datasets or {})
        self._models: dict[str, ModelAdapter | BaseException] = {}
        self._datasets: dict[str, Dataset | BaseException] = {}
        self.predictions = PredictionCache(self._predict)
        #: Where long checks report how far they have got (a no-op unless a terminal shows it).
        self.progress: Progress = Progress()
        #: Rows per batch of :meth:`batches` (None: the whole dataset in one batch).
        self.batch_rows: int | None = None
        #: Where rows are read and predicted: ``engine`` (a name or an Engine; raises
        #: MissingDependencyError for ``dask`` without ``mlgate[dask]``), else the gate file's
        #: ``engine`` key, whose errors surface when data is first read (preflight).
        self.engine: Engine = make_engine(
            engine, getattr(gate.config, "engine", None), defer=engine is None
        )

    @classmethod
    def from_objects(
        cls,
        *,
        models: Mapping[str, Any],
        datasets: Mapping[str, Any],
        task: Task | str,
        seed: int = 0,
        label: str | None = None,
        name: str = "in-memory",
        device: str | None = None,
        engine: Engine | str | None = None,
    ) -> GateContext:
        """A context over in-memory objects, validated like a gate file, with no stage: run any
        check on it by calling its check type (``CALIBRATION(ctx, max_ece=0.05)``).

        ``models`` maps names (``candidate`` is required) to estimators, torch modules or
        callables. ``datasets`` maps names (``evaluation`` is required) to a DataFrame, an
        ``(X, y)`` pair, or a mapping with the frame under ``data`` and any dataset key of the
        gate file (``label``, ``features``, ``time``, ``sensitive``, ``slices``); ``label`` is
        the label column of every dataset that does not name its own. With ``engine="dask"``
        (or a DaskEngine) a ``dask.dataframe.DataFrame`` is read partition by partition.

        Raises ConfigError (naming the key) for anything a gate file would refuse.

        Example::

            ctx = GateContext.from_objects(
                models={"candidate": clf}, datasets={"evaluation": df}, task="binary",
                label="target",
            )
            result = CALIBRATION(ctx, max_ece=0.05)
        """
        from mlgate.config.load import parse_gate
        from mlgate.core.gate import Gate

        frames: dict[str, Any] = {}
        specs: dict[str, dict[str, Any]] = {}
        for ds_name, obj in datasets.items():
            roles: dict[str, Any] = {}
            if isinstance(obj, Mapping) and "data" in obj:
                roles = {k: v for k, v in obj.items() if k != "data"}
                obj = obj["data"]
            roles.setdefault("label", label)
            if isinstance(obj, tuple) and roles["label"] is None:
                roles["label"] = "y"
            frames[ds_name] = obj
            specs[ds_name] = {"factory": _IN_MEMORY, **roles}
        raw = {
            "name": name,
            "task": Task(task).value if isinstance(task, Task) else task,
            "seed": seed,
            "models": {m: {"factory": _IN_MEMORY} for m in models},
            "datasets": specs,
            # A gate file needs a stage; a context from objects has none (checks are called).
            "stages": {"python": {"checks": [{"check": "python"}]}},
        }
        config = parse_gate(raw, source="GateContext.from_objects")
        config = config.model_copy(update={"stages": {}})
        gate = Gate(config=config, path=Path.cwd() / "<in-memory>", checks=())
        return cls(gate, device=device, models=models, datasets=frames, engine=engine)

    # -- what checks use -------------------------------------------------------------
    @property
    def task(self) -> Task:
        return self.gate.config.task

    @property
    def model_names(self) -> list[str]:
        return sorted(set(self.gate.config.models) | set(self._given_models))

    @property
    def dataset_names(self) -> list[str]:
        return sorted(set(self.gate.config.datasets) | set(self._given_datasets))

    @property
    def candidate(self) -> ModelAdapter:
        return self.model("candidate")

    @property
    def champion(self) -> ModelAdapter | None:
        return self.model("champion") if "champion" in self.model_names else None

    def model(self, name: str) -> ModelAdapter:
        """The model called ``name``, loaded on first use. Raises the load error each time."""
        return _memo(self._models, name, self._load_model)

    def dataset(self, name: str) -> Dataset:
        """The dataset called ``name``, every row in memory, loaded on first use. Raises
        CollectRefused where the engine may not gather it (a large partitioned dataset)."""
        self.engine.admit(self, name)
        return _memo(self._datasets, name, lambda n: self.engine.dataset(self, n))

    def predict(self, model: str = "candidate", dataset: str = "evaluation") -> Predictions:
        """Cached predictions of ``model`` on every row of ``dataset``. Raises CollectRefused
        where the engine may not gather them."""
        self.engine.admit(self, dataset)
        return self.predictions.get(model, dataset)

    def running(self, check_type: Any, params: Any = None) -> AbstractContextManager[Any]:
        """Scope: the data read inside is read for ``check_type`` (its ``name`` and
        ``needs_all_rows``), so an engine can refuse to gather rows for a check that needs
        them all and allow a check that folds batches. The kernel runs every check in one."""
        return check_scope(check_type, params)

    def close(self) -> None:
        """Release what the engine started (a Dask cluster and its cached predictions)."""
        self.engine.close()

    def preflight(self, checks: Sequence[Any] = ()) -> None:
        """Load every model and dataset that ``checks`` (planned checks) name, before any check
        runs, so a wrong path, an unimportable factory or a missing column is one setup error
        (exit code 4) instead of an error repeated on every check.

        A check names a model or dataset through any string parameter equal to a declared
        name (``model``, ``champion``, ``dataset``, ``reference``, ...), defaults included.
        Raises :class:`SetupError` listing every problem. An empty dataset is not a setup
        error: the checks that need it are inconclusive.
        """
        from mlgate.core.errors import EmptyDatasetError, SetupError

        models, datasets = _names_used(checks, self.model_names, self.dataset_names)
        problems = []
        try:
            self.engine.start()
        except MlgateError as exc:
            problems.append(f"  engine: {exc}")
        for kind, names, load in (
            ("models", models, self.model),
            ("datasets", datasets, lambda name: self.engine.open(self, name)),
        ):
            for name in names:
                try:
                    load(name)
                except EmptyDatasetError:
                    continue
                except MlgateError as exc:
                    problems.append(f"  {kind}.{name}: {exc}")
        if problems:
            raise SetupError(
                f"{self.gate.path}: {len(problems)} setup problem(s), found before any check "
                "ran:\n" + "\n".join(problems)
            )

    def batches(
        self,
        model: str | None = "candidate",
        dataset: str = "evaluation",
        *,
        columns: Sequence[str] | None = (),
        batch_rows: int | None = None,
    ) -> Iterator[Batch]:
        """The rows of ``dataset`` in order, as batches of at most ``batch_rows`` rows (default
        :attr:`batch_rows`; None: one batch), each with ``model``'s cached predictions on those
        rows (None: no model) and the requested ``columns`` (None: every column; the default,
        none). This is the one data path for checks that fold rows into accumulators, so an
        engine can replace it without touching a check.

        On the Dask engine a partitioned dataset gives one batch per partition (split further
        by ``batch_rows``), predicted on the workers (docs/dask.md).

        Raises ValueError for ``batch_rows`` < 1 and DataError for an unknown column.
        """
        return self.engine.batches(self, model, dataset, columns, batch_rows)

    def fold(
        self,
        model: str | None,
        dataset: str,
        fn: Callable[[Batch], Any],
        merge: Callable[[Any, Any], Any],
        *,
        columns: Sequence[str] | None = (),
    ) -> Any:
        """``fn(batch)`` of every batch of :meth:`batches`, combined with ``merge`` (associative,
        e.g. ``Accumulator.merge``). In memory it folds in row order; the Dask engine runs
        ``fn`` on the workers where the partitions live and merges in a tree, so only the
        states travel (``fn`` and ``merge`` must then be picklable)."""
        return self.engine.fold(self, model, dataset, fn, merge, columns)

    def fold_classes(self, model: str, dataset: str, *, binary: bool | None = None) -> tuple:
        """The classes every batch of a fold of ``model`` on ``dataset`` encodes labels with
        (a batch alone cannot tell): the gate file's ``classes`` for the model, else the
        model's own, else every label and predicted label seen (one fold of them). Raises
        DataError when a binary task (``binary``, default: the gate's task) does not show
        exactly two."""
        from mlgate.core.task import Task
        from mlgate.stats.poisson import SeenLabels

        spec = self.gate.config.models.get(model)
        seen = self.fold(model, dataset, SeenLabels.of, SeenLabels.merge)
        return tuple(
            seen.resolve(
                spec.classes if spec else None,
                binary=self.task is Task.BINARY if binary is None else binary,
                where=f"model {model!r} on {dataset!r}",
            )
        )

    def column_names(self, dataset: str) -> list[str]:
        """The columns of ``dataset``, without gathering its rows on a distributed engine (a
        partitioned dataset's names come from its Parquet footers)."""
        data = self.engine.open(self, dataset)
        frame = getattr(data, "frame", None)
        names = frame.columns if frame is not None else data.columns
        return [str(c) for c in names]

    def columns(self, dataset: str, names: Sequence[str]) -> Any:
        """Every row of only the columns ``names`` of ``dataset``, as one pandas DataFrame, read
        through :meth:`batches` (on Dask only those columns travel; the dataset is not cached
        whole). Raises DataError for an unknown column and CollectRefused where the engine
        may not gather every row of the dataset (``max_collect_rows``)."""
        import pandas as pd

        self.engine.admit(self, dataset)
        frames = [b.frame for b in self.batches(None, dataset, columns=list(names))]
        if len(frames) == 1:
            return frames[0]
        return pd.concat(frames, ignore_index=True)

    def rng(self, key: str) -> np.random.Generator:
        """A generator seeded from the run seed and ``key`` (a check id), so a check's random
        draws do not depend on which other checks ran or in what order."""
        return np.random.default_rng([self.seed, zlib.crc32(key.encode("utf-8"))])

    # -- loading ---------------------------------------------------------------------
    def _load_model(self, name: str) -> ModelAdapter:
        if name in self._given_models:
            spec = self.gate.config.models.get(name)
            return adapt(
                self._given_models[name],
                self.task,
                classes=spec.classes if spec else None,
                device=self.device,
                seed=self.seed,
                labels=spec.labels if spec else "proba",
            )
        spec = self.gate.config.models.get(name)
        if spec is None:
            raise ConfigError(f"no model called {name!r}; the gate declares {self.model_names}")
        return load_model(
            spec,
            name=name,
            base_dir=self.gate.base_dir,
            task=self.task,
            seed=self.seed,
            device=self.device,
        )

    def _load_dataset(self, name: str) -> Dataset:
        spec = self.gate.config.datasets.get(name)
        if spec is None:
            raise ConfigError(f"no dataset called {name!r}; the gate declares {self.dataset_names}")
        if name in self._given_datasets:
            from mlgate.core.data import as_frame

            frame = as_frame(self._given_datasets[name], name=name, label=spec.label)
            return Dataset(name=name, frame=frame, spec=spec)
        return load_dataset(spec, name=name, base_dir=self.gate.base_dir, seed=self.seed)

    def _predict(self, model: str, dataset: str) -> Predictions:
        return self.engine.predict(self, model, dataset)

    def describe(self) -> dict[str, Any]:
        """Models and datasets that were loaded, for result.json (nothing is loaded here)."""
        return {
            "models": {
                n: _describe_model(m, self.gate.config.models.get(n))
                for n, m in sorted(self._models.items())
                if not isinstance(m, BaseException)
            },
            "datasets": {
                n: d.describe()
                for n, d in sorted(self._datasets.items())
                if not isinstance(d, BaseException)
            }
            | self.engine.describe_datasets(),
            "engine": self.engine.describe(),
        }


def _describe_model(adapter: ModelAdapter, spec: Any) -> dict[str, Any]:
    """The adapter's description, where it came from, and an identity hash: the adapter's
    own ``identity()`` when it has one (a content hash), else a hash of the description."""
    info = dict(adapter.describe())
    if spec is not None:
        sources = (("factory", spec.factory), ("path", spec.path), ("uri", spec.uri))
        info["source"] = {k: v for k, v in sources if v}
    identity = getattr(adapter, "identity", None)
    if callable(identity):
        info["identity"] = identity()
    else:
        canonical = json.dumps(jsonable(info), sort_keys=True).encode()
        info["identity"] = "sha256:" + hashlib.sha256(canonical).hexdigest()
    return info


def _names_used(
    checks: Sequence[Any], models: Sequence[str], datasets: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The declared model and dataset names that the planned ``checks``' parameters mention."""
    values: set[str] = set()
    for planned in checks:
        stack: list[Any] = [getattr(planned, "params", None)]
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                values.add(value)
            elif isinstance(value, Mapping):
                stack.extend(value.values())
            elif isinstance(value, (list, tuple, set)):
                stack.extend(value)
            elif hasattr(value, "model_dump"):
                stack.append(value.model_dump())
    return sorted(values & set(models)), sorted(values & set(datasets))


def _memo(store: dict[str, Any], name: str, load) -> Any:
    if name not in store:
        try:
            store[name] = load(name)
        except Exception as exc:
            store[name] = exc
    value = store[name]
    if isinstance(value, BaseException):
        # A fresh traceback each time: re-raising the cached exception would append every
        # check's frames to it (a traceback that grew with every check).
        raise value.with_traceback(None)
    return value
