"""The Dask engine: partitioned Parquet data, predicted where it lives (``engine: dask``).

A dataset whose ``path`` is a directory, a glob or a Parquet file is opened from its Parquet
footers only (row counts and schemas, checked file against file); each file is one partition.
Each (model, dataset) pair is predicted once: the model is sent to the cluster once (a task
returning it, so a worker's loss does not lose it), each partition is read and predicted on a
worker, and the predictions are written to a file of the run's spill directory, one per
partition (:mod:`~mlgate.core.engines.dask_spill`): the prediction cache, partitioned, on
disk, so worker memory does not grow with the dataset.

``ctx.batches`` then yields one batch per partition, in row order, carrying only the columns
asked for, the label and the predictions; a few partitions are in flight at once, so this
process holds a bounded number of rows whatever the dataset's size. ``ctx.fold`` runs a
check's per-batch function on the workers and merges the results there, in partition order
(:func:`~mlgate.core.engines.dask_flow.chain`), so nothing but the (small) states travel.

A check that needs every row at once (``needs_all_rows``) may gather a dataset of at most
``max_collect_rows`` rows; above that it is refused with :class:`CollectRefused`, naming the
checks that fold batches and so run at any size. Other datasets (a CSV, a factory, a frame
given in memory) are read in memory as with the local engine.

Needs ``mlgate[dask]`` (``dask[dataframe]`` and ``distributed``); imported lazily.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlgate.core.data import Dataset, is_partitioned, parquet_parts
from mlgate.core.engines.base import (
    Batch,
    CheckScope,
    Engine,
    current_check,
    select_columns,
)
from mlgate.core.engines.dask_faults import Losses, TaskLedger
from mlgate.core.engines.dask_flow import chain, stream
from mlgate.core.engines.dask_parts import (
    Partitioned,
    _check_declared,
    _close_all,
    _concat_predictions,
    _fold_part,
    _label_sets,
    _nonempty,
    _parquet_footers,
    _payload,
    _predict_part,
    connect,
    refusal,
    ship_model,
    unknown_labels,
)
from mlgate.core.engines.dask_records import DatasetRecords
from mlgate.core.engines.dask_spill import SpillDir, open_spill, unspill
from mlgate.core.engines.local import LocalEngine
from mlgate.core.errors import MlgateError, require

if TYPE_CHECKING:
    from mlgate.config.schema import DatasetSpec, EngineSpec
    from mlgate.core.context import GateContext
    from mlgate.models import Predictions

#: The default of ``engine.max_collect_rows``.
MAX_COLLECT_ROWS = 1_000_000


def import_dask() -> tuple[Any, Any]:
    """``(dask, distributed)``; MissingDependencyError naming the ``dask`` extra."""
    dask = require("dask", extra="dask", feature="the Dask engine (engine: dask)")
    require("dask.dataframe", extra="dask", feature="the Dask engine", package="dask[dataframe]")
    distributed = require("distributed", extra="dask", feature="the Dask engine (engine: dask)")
    return dask, distributed


class DaskEngine(DatasetRecords, Engine):
    """Runs the data path on a Dask cluster.

    ``client``: an existing ``distributed.Client`` (not closed by the engine); else
    ``scheduler``: a scheduler address to connect to; else a ``LocalCluster`` of ``n_workers``
    × ``threads_per_worker`` on 127.0.0.1 is started on first use and closed by
    :meth:`close`. ``max_collect_rows``: see the module docstring. ``prefetch``: partitions in
    flight while batches are read (default: two per worker). ``spill``: keep the prediction
    cache in files, one per partition, in a directory of the run (under ``spill_dir``, default
    this machine's temporary directory), so that worker memory does not grow with the
    dataset; False keeps it in the workers' memory (:mod:`~mlgate.core.engines.dask_spill`).
    """

    name = "dask"

    def __init__(
        self,
        client: Any = None,
        *,
        scheduler: str | None = None,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        processes: bool = True,
        max_collect_rows: int = MAX_COLLECT_ROWS,
        prefetch: int | None = None,
        timeout_s: float = 10.0,
        spill: bool = True,
        spill_dir: str | None = None,
    ) -> None:
        import_dask()
        self._client = client
        self._given_client = client is not None
        self._owned: list[Any] = []
        self.scheduler = scheduler
        self.cluster_options = {
            "n_workers": n_workers,
            "threads_per_worker": threads_per_worker,
            "processes": processes,
        }
        self.max_collect_rows = max_collect_rows
        self.prefetch = prefetch
        self.timeout_s = timeout_s
        self._local = LocalEngine()
        self._datasets: dict[str, Partitioned | None] = {}
        self._fingerprints: dict[str, str] = {}
        self._models: dict[str, Any] = {}
        self._predictions: dict[tuple[str, str], list[Any]] = {}
        #: How often each (model, dataset) pair was predicted (tests: once).
        self.prediction_runs: Counter[tuple[str, str]] = Counter()
        self.spill, self.spill_dir = spill, spill_dir
        #: The run's directory of prediction files (made on first prediction); None while
        #: there is none, or when the workers cannot see it (predictions then stay in memory).
        self._spill: SpillDir | None = None
        self._spill_checked = False
        #: Which partition each submitted task reads, and what the scheduler lost of them.
        self._ledger = TaskLedger()
        self._finalizer = weakref.finalize(self, _close_all, self._owned)

    @classmethod
    def from_spec(cls, spec: EngineSpec) -> DaskEngine:
        """The engine the gate file's ``engine`` mapping describes."""
        return cls(
            scheduler=spec.scheduler,
            n_workers=spec.n_workers,
            threads_per_worker=spec.threads_per_worker,
            max_collect_rows=spec.max_collect_rows,
        )

    # -- the cluster -----------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The ``distributed.Client``, connected or started on first use. Raises ConfigError
        naming the address when the scheduler does not answer."""
        if self._client is None:
            options = self.cluster_options
            self._client = connect(self.scheduler, self.timeout_s, options, self._owned)
        self._ledger.start(self._client)
        return self._client

    def start(self) -> None:
        """Reach the scheduler (or start the LocalCluster) now: ConfigError naming it."""
        _ = self.client

    def close(self) -> None:
        """Release cached predictions (and remove their files) and close the client and
        cluster this engine started."""
        self._predictions.clear()
        self._models.clear()
        if self._spill is not None:
            self._spill.close()
            self._spill, self._spill_checked = None, False
        self._finalizer()

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def describe(self) -> dict[str, Any]:
        """The engine for result.json; with ``lost_workers`` and ``retried_partitions`` only
        when the scheduler lost a worker during the run (so ordinary runs read the same), and
        ``prediction_cache: memory`` only when the workers could not see the spill directory."""
        out: dict[str, Any] = {
            "name": self.name,
            # never the address (it may name private hosts): result.json keeps only its kind
            "scheduler": self.scheduler or ("client" if self._given_client else "LocalCluster"),
            "max_collect_rows": self.max_collect_rows,
        }
        losses = self._losses()
        if losses.lost_workers or losses.retried_partitions:
            out["lost_workers"] = losses.lost_workers
            out["retried_partitions"] = losses.retried_partitions
        if self.spill and self._spill_checked and self._spill is None:
            out["prediction_cache"] = "memory"
        return out

    def _losses(self) -> Losses:
        """Workers lost and partitions retried so far (none before the cluster was used)."""
        return Losses() if self._client is None else self._ledger.losses(self._client)

    # -- datasets ----------------------------------------------------------------------------
    def partitioned(self, ctx: GateContext, name: str) -> Partitioned | None:
        """Dataset ``name`` as partitions (None: it is read in memory). Opened once, from the
        Parquet footers only. Raises DataError naming the file and the column for files that
        disagree, an empty file, or a column the gate file names that the data lacks."""
        if name not in self._datasets:
            self._datasets[name] = self._open_partitioned(ctx, name)
        return self._datasets[name]

    def _open_partitioned(self, ctx: GateContext, name: str) -> Partitioned | None:
        spec = ctx.gate.config.datasets.get(name)
        if spec is None:
            return None
        given = ctx._given_datasets.get(name)
        if given is not None:
            import dask.dataframe as dd

            if not isinstance(given, dd.DataFrame):
                return None
            return self._open_frame(name, spec, given)
        if not is_partitioned(spec, ctx.gate.base_dir):
            return None
        files = parquet_parts(spec, name=name, base_dir=ctx.gate.base_dir)
        rows, columns = _parquet_footers(files, name)
        sources, labels = [str(f) for f in files], [f.name for f in files]
        data = Partitioned(name, spec, columns, rows, sources, labels)
        _check_declared(data)
        return data

    def _open_frame(self, name: str, spec: DatasetSpec, ddf: Any) -> Partitioned:
        lengths = self.client.compute(ddf.map_partitions(len)).result()
        columns = [str(c) for c in ddf.columns]
        data = Partitioned(
            name,
            spec,
            columns,
            [int(n) for n in lengths],
            list(ddf.to_delayed()),
            [f"partition {i}" for i in range(ddf.npartitions)],
        )
        _check_declared(data)
        return data

    def admit(self, ctx: GateContext, dataset: str) -> None:
        data = self.partitioned(ctx, dataset)
        if data is not None:
            self._admit(data, current_check(), what="every row")

    def open(self, ctx: GateContext, name: str) -> Any:
        data = self.partitioned(ctx, name)
        return data if data is not None else ctx.dataset(name)

    def dataset(self, ctx: GateContext, name: str) -> Dataset:
        data = self.partitioned(ctx, name)
        if data is None:
            return self._local.dataset(ctx, name)
        self._admit(data, current_check(), what="every row")
        reads = [self._note(data.read(i, data.columns), data, i) for i in range(len(data.rows))]
        frames = self._gather(reads, name)
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return Dataset(name=name, frame=frame, spec=data.spec)

    # -- predictions --------------------------------------------------------------------------
    def predict(self, ctx: GateContext, model: str, dataset: str) -> Predictions:
        data = self.partitioned(ctx, dataset)
        if data is None:
            return self._local.predict(ctx, model, dataset)
        self._admit(data, current_check(), what="every prediction")
        futures = self.prediction_futures(ctx, model, dataset)
        with self._task_failures(dataset):
            return _concat_predictions([unspill(f.result()) for f in futures if f is not None])

    def prediction_futures(self, ctx: GateContext, model: str, dataset: str) -> list[Any]:
        """One future per partition holding ``model``'s validated predictions on it (or the
        handle of the file they were written to: :attr:`spill`), computed on the workers once
        per pair and kept there."""
        key = (model, dataset)
        if key not in self._predictions:
            import dask

            data = self.partitioned(ctx, dataset)
            assert data is not None
            shipped = self._ship_model(ctx, model)
            spec = ctx.gate.config.models.get(model)
            classes = spec.classes if spec is not None else None
            features = data.feature_names
            parts = _nonempty(data)
            spill_to = self._spill_path()
            tasks = [
                self._note(
                    dask.delayed(_predict_part, pure=False)(
                        data.read(i, features),
                        shipped,
                        f"model {model!r} on dataset {dataset!r}, {data.labels[i]}",
                        classes,
                        spill_to,
                    ),
                    data,
                    i,
                )
                for i in parts
            ]
            self.prediction_runs[key] += 1
            futures: list[Any] = [None] * len(data.rows)
            for i, future in zip(parts, self.client.compute(tasks), strict=True):
                futures[i] = future
            if classes is None and data.spec.label is not None:
                self._check_known_labels(data, futures, model)
            self._predictions[key] = futures
        return self._predictions[key]

    def _spill_path(self) -> str | None:
        """The run's spill directory, made and checked on first use (None: predictions stay
        in the workers' memory; see :func:`open_spill`)."""
        if self.spill and not self._spill_checked:
            self._spill = open_spill(self.client, self.spill_dir)
            self._spill_checked = True
        return None if self._spill is None else self._spill.path

    def _ship_model(self, ctx: GateContext, model: str) -> Any:
        """The model, loaded here once, as a future of a task that returns it: the scheduler
        keeps the task (the pickled model), so a model lost with the worker holding it is
        made again, where scattered data would be lost for good (Dask's memory manager drops
        a broadcast's extra copies). Each worker fetches it once, when it first predicts."""
        if model not in self._models:
            self._models[model] = ship_model(self.client, ctx.model(model))
        return self._models[model]

    def _check_known_labels(self, data: Partitioned, futures: list[Any], model: str) -> None:
        """For a model that does not say its classes: every predicted label must occur among
        the dataset's labels (what :meth:`Predictions.validate` checks in memory)."""
        import dask

        label = data.spec.label
        tasks = [
            self._note(dask.delayed(_label_sets)(data.read(i, [label]), futures[i], label), data, i)
            for i in _nonempty(data)
        ]
        unknown_labels(data.name, model, self._stream(tasks, data.name))

    # -- the data path ------------------------------------------------------------------------
    def batches(
        self,
        ctx: GateContext,
        model: str | None,
        dataset: str,
        columns: Sequence[str] | None,
        batch_rows: int | None,
    ) -> Iterator[Batch]:
        data = self.partitioned(ctx, dataset)
        if data is None:
            yield from self._local.batches(ctx, model, dataset, columns, batch_rows)
            return
        scope = current_check()
        if scope is None or scope.needs_all_rows:
            self._admit(data, scope, what="every row")
        size = ctx.batch_rows if batch_rows is None else batch_rows
        if size is not None and size < 1:
            raise ValueError(f"batch_rows must be a positive number of rows, got {size}")
        wanted = data.columns if columns is None else list(columns)
        select_columns(pd.DataFrame(columns=data.columns), wanted, dataset)  # unknown → error
        preds = self.prediction_futures(ctx, model, dataset) if model is not None else None
        tasks = self._payload_tasks(data, preds, wanted)
        payloads = self._stream(tasks, dataset)
        for i, (frame, y, p) in zip(_nonempty(data), payloads, strict=False):
            start, n = data.starts[i], data.rows[i]
            step = n if size is None else size
            for lo in range(0, n, step):
                hi = min(n, lo + step)
                yield Batch(
                    start=start + lo,
                    stop=start + hi,
                    frame=frame.iloc[lo:hi],
                    y=None if y is None else y[lo:hi],
                    predictions=None if p is None else p.rows(lo, hi),
                )

    def fold(
        self,
        ctx: GateContext,
        model: str | None,
        dataset: str,
        fn: Callable[[Batch], Any],
        merge: Callable[[Any, Any], Any],
        columns: Sequence[str] | None = (),
    ) -> Any:
        data = self.partitioned(ctx, dataset)
        if data is None:
            return self._local.fold(ctx, model, dataset, fn, merge, columns)
        import dask

        wanted = data.columns if columns is None else list(columns)
        select_columns(pd.DataFrame(columns=data.columns), wanted, dataset)
        preds = self.prediction_futures(ctx, model, dataset) if model is not None else None
        tasks = self._payload_tasks(data, preds, wanted)
        parts = [
            self._note(dask.delayed(_fold_part)(task, data.starts[i], fn, _where(data, i)), data, i)
            for i, task in zip(_nonempty(data), tasks, strict=True)
        ]
        with self._task_failures(dataset):
            return self._chain(parts, merge, dataset)

    def _chain(self, parts: list[Any], merge: Callable[[Any, Any], Any], dataset: str) -> Any:
        """The partitions' states merged in partition order (:func:`chain`)."""
        note = partial(self._ledger.note_key, dataset=dataset, label=None)
        return chain(self.client, parts, merge, self._window, note)

    def _payload_tasks(self, data: Partitioned, preds: list[Any] | None, columns: list[str]):
        import dask

        label = data.spec.label
        read = list(dict.fromkeys([*columns, *([label] if label else [])]))
        return [
            self._note(
                dask.delayed(_payload)(
                    data.read(i, read),
                    None if preds is None else preds[i],
                    columns,
                    label,
                    _where(data, i),
                ),
                data,
                i,
            )
            for i in _nonempty(data)
        ]

    def _note(self, delayed: Any, data: Partitioned, i: int) -> Any:
        """``delayed``, its tasks noted as reading partition ``i`` of ``data``."""
        return self._ledger.note(delayed, data.name, data.labels[i])

    @contextmanager
    def _task_failures(self, dataset: str) -> Iterator[None]:
        """Errors of the cluster's tasks as mlgate errors: a task's own (they name their
        partition) as they are, Dask's ``KilledWorker`` (and any other failure of the
        cluster) as :class:`PartitionFailed` naming the partition and the worker."""
        try:
            yield
        except MlgateError:
            raise
        except Exception as exc:
            raise self._ledger.failure(exc, dataset) from exc

    def _stream(self, tasks: list[Any], dataset: str) -> Iterator[Any]:
        """The results of ``tasks`` (on ``dataset``) in order (:func:`stream`)."""
        return stream(self.client, tasks, self._window, lambda: self._task_failures(dataset))

    @property
    def _window(self) -> int:
        """Partitions in flight at once: :attr:`prefetch`, else two per worker."""
        return self.prefetch or 2 * self.n_workers

    def _gather(self, tasks: list[Any], dataset: str) -> list[Any]:
        return list(self._stream(tasks, dataset))

    # -- refusals -----------------------------------------------------------------------------
    def _admit(self, data: Partitioned, scope: CheckScope | None, *, what: str) -> None:
        """Allow gathering ``what`` of ``data`` into this process, or raise CollectRefused."""
        if data.n_rows > self.max_collect_rows:
            raise refusal(data, scope, what, self.max_collect_rows)


def _where(data: Partitioned, i: int) -> str:
    """Partition ``i`` of ``data``, for messages."""
    return f"dataset {data.name!r}, {data.labels[i]}"
