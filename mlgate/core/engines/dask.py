"""The Dask engine: partitioned Parquet data, predicted where it lives (``engine: dask``).

A dataset whose ``path`` is a directory, a glob or a Parquet file is opened from its Parquet
footers only (row counts and schemas, checked file against file); each file is one partition.
Each (model, dataset) pair is predicted once: the model is scattered to every worker once
(``broadcast``), each partition is read and predicted on a worker, and the predictions stay
there (persisted futures, one per partition): the prediction cache, partitioned.

``ctx.batches`` then yields one batch per partition, in row order, carrying only the columns
asked for, the label and the predictions; a few partitions are in flight at once, so this
process holds a bounded number of rows whatever the dataset's size. ``ctx.fold`` runs a
check's per-batch function on the workers and merges the results in a tree, so nothing but
the (small) states travel.

A check that needs every row at once (``needs_all_rows``) may gather a dataset of at most
``max_collect_rows`` rows; above that it is refused with :class:`CollectRefused`, naming the
checks that fold batches and so run at any size. Other datasets (a CSV, a factory, a frame
given in memory) are read in memory as with the local engine.

Needs ``mlgate[dask]`` (``dask[dataframe]`` and ``distributed``); imported lazily.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlgate.core.data import Dataset, is_partitioned, parquet_parts
from mlgate.core.engines.base import (
    Batch,
    CheckScope,
    CollectRefused,
    Engine,
    current_check,
    select_columns,
)
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
    _row_hashes,
    folding_checks,
)
from mlgate.core.engines.local import LocalEngine
from mlgate.core.errors import ConfigError, PredictionError, require

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


class DaskEngine(Engine):
    """Runs the data path on a Dask cluster.

    ``client``: an existing ``distributed.Client`` (not closed by the engine); else
    ``scheduler``: a scheduler address to connect to; else a ``LocalCluster`` of ``n_workers``
    × ``threads_per_worker`` on 127.0.0.1 is started on first use and closed by
    :meth:`close`. ``max_collect_rows``: see the module docstring. ``prefetch``: partitions in
    flight while batches are read (default: two per worker).
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
        self._models: dict[str, Any] = {}
        self._predictions: dict[tuple[str, str], list[Any]] = {}
        #: How often each (model, dataset) pair was predicted (tests: once).
        self.prediction_runs: Counter[tuple[str, str]] = Counter()
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
            from distributed import Client, LocalCluster

            if self.scheduler is not None:
                try:
                    self._client = Client(self.scheduler, timeout=self.timeout_s)
                except (OSError, TimeoutError) as exc:
                    raise ConfigError(
                        f"no Dask scheduler answers at {self.scheduler!r} (waited "
                        f"{self.timeout_s:g} s): {exc}. Start one (dask scheduler), fix the "
                        "address, or drop 'scheduler' to start a LocalCluster",
                        path="engine.scheduler",
                    ) from exc
            else:
                cluster = LocalCluster(
                    host="127.0.0.1",
                    protocol="tcp",
                    scheduler_port=0,
                    dashboard_address=None,
                    # no dashboard; its HTTP server (health, metrics) on a free loopback port
                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                    **self.cluster_options,
                )
                self._owned.append(cluster)
                self._client = Client(cluster)
            self._owned.insert(0, self._client)
        return self._client

    def start(self) -> None:
        """Reach the scheduler (or start the LocalCluster) now: ConfigError naming it."""
        _ = self.client

    def close(self) -> None:
        """Release cached predictions and close the client and cluster this engine started."""
        self._predictions.clear()
        self._models.clear()
        self._finalizer()

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            # never the address (it may name private hosts): result.json keeps only its kind
            "scheduler": self.scheduler or ("client" if self._given_client else "LocalCluster"),
            "max_collect_rows": self.max_collect_rows,
        }

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
        frames = self._gather([data.read(i, data.columns) for i in range(len(data.rows))])
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return Dataset(name=name, frame=frame, spec=data.spec)

    def describe_datasets(self) -> dict[str, dict[str, Any]]:
        """Partitioned datasets, described like in-memory ones (their fingerprint is the
        same hash of the same content, streamed), plus their partitions."""
        out = {}
        for name, data in sorted(self._datasets.items()):
            if data is None:
                continue
            spec = data.spec
            out[name] = {
                "rows": data.n_rows,
                "columns": list(data.columns),
                "features": data.feature_names,
                "label": spec.label,
                "time": spec.time,
                "sensitive": list(spec.sensitive),
                "slices": list(spec.slices),
                "fingerprint": "sha256:" + self.fingerprint(data),
                "engine": {"name": self.name, "partitions": len(data.rows)},
            }
        return out

    def fingerprint(self, data: Partitioned) -> str:
        """The SHA-256 :attr:`Dataset.fingerprint` gives the same rows in memory: the row
        hashes are computed on the workers and streamed into one digest in row order."""
        h = hashlib.sha256()
        h.update("\x1f".join(map(str, data.columns)).encode())
        import dask

        tasks = [
            dask.delayed(_row_hashes)(data.read(i, data.columns)) for i in range(len(data.rows))
        ]
        for chunk in self._stream(tasks):
            h.update(chunk)
        return h.hexdigest()

    # -- predictions --------------------------------------------------------------------------
    def predict(self, ctx: GateContext, model: str, dataset: str) -> Predictions:
        data = self.partitioned(ctx, dataset)
        if data is None:
            return self._local.predict(ctx, model, dataset)
        self._admit(data, current_check(), what="every prediction")
        futures = self.prediction_futures(ctx, model, dataset)
        return _concat_predictions([f.result() for f in futures if f is not None])

    def prediction_futures(self, ctx: GateContext, model: str, dataset: str) -> list[Any]:
        """One future per partition holding ``model``'s validated predictions on it, computed
        on the workers once per pair and kept there."""
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
            tasks = [
                dask.delayed(_predict_part, pure=False)(
                    data.read(i, features),
                    shipped,
                    f"model {model!r} on dataset {dataset!r}, {data.labels[i]}",
                    classes,
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

    def _ship_model(self, ctx: GateContext, model: str) -> Any:
        """The model, loaded here once and scattered to every worker once."""
        if model not in self._models:
            adapter = ctx.model(model)
            (self._models[model],) = self.client.scatter([adapter], broadcast=True, hash=False)
        return self._models[model]

    def _check_known_labels(self, data: Partitioned, futures: list[Any], model: str) -> None:
        """For a model that does not say its classes: every predicted label must occur among
        the dataset's labels (what :meth:`Predictions.validate` checks in memory)."""
        import dask

        label = data.spec.label
        tasks = [
            dask.delayed(_label_sets)(data.read(i, [label]), futures[i], label)
            for i in _nonempty(data)
        ]
        known: set[Any] = set()
        predicted: set[Any] = set()
        for pair in self._gather(tasks):
            if pair is None:  # a model that gives classes: validated on the worker
                return
            known |= pair[0]
            predicted |= pair[1]
        unknown = predicted - known
        if unknown:
            shown = sorted(map(repr, unknown))[:10]
            raise PredictionError(
                f"model {model!r} on dataset {data.name!r}: predicted labels that never occur "
                f"in the dataset's labels: {', '.join(shown)}; check the label encoding, or "
                f"declare models.{model}.classes when the model may predict a class the "
                "dataset lacks"
            )

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
        payloads = self._stream(tasks)
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
        level = [
            dask.delayed(_fold_part)(task, data.starts[i], fn)
            for i, task in zip(_nonempty(data), tasks, strict=True)
        ]
        while len(level) > 1:  # a fixed tree in partition order: the same merges every run
            pairs = [
                dask.delayed(merge)(a, b) for a, b in zip(level[::2], level[1::2], strict=False)
            ]
            level = pairs + ([level[-1]] if len(level) % 2 else [])
        return self.client.compute(level[0]).result()

    def _payload_tasks(self, data: Partitioned, preds: list[Any] | None, columns: list[str]):
        import dask

        label = data.spec.label
        read = list(dict.fromkeys([*columns, *([label] if label else [])]))
        return [
            dask.delayed(_payload)(
                data.read(i, read),
                None if preds is None else preds[i],
                columns,
                label,
                f"dataset {data.name!r}, {data.labels[i]}",
            )
            for i in _nonempty(data)
        ]

    def _stream(self, tasks: list[Any]) -> Iterator[Any]:
        """The results of ``tasks`` in order, with at most :attr:`prefetch` in flight; each is
        released once handed over."""
        window = self.prefetch or 2 * self.n_workers
        pending: list[Any] = []
        it = iter(tasks)
        try:
            for task in it:
                pending.append(self.client.compute(task))
                if len(pending) >= window:
                    break
            while pending:
                future = pending.pop(0)
                result = future.result()
                future.release()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(self.client.compute(nxt))
                yield result
        finally:
            for future in pending:
                future.cancel()

    def _gather(self, tasks: list[Any]) -> list[Any]:
        return list(self._stream(tasks))

    # -- refusals -----------------------------------------------------------------------------
    def _admit(self, data: Partitioned, scope: CheckScope | None, *, what: str) -> None:
        """Allow gathering ``what`` of ``data`` into this process, or raise CollectRefused."""
        if data.n_rows <= self.max_collect_rows:
            return
        who = (
            f"check {scope.name!r} needs {what} of it in one place"
            if scope is not None
            else f"reading {what} in one place (no running check declared that it folds "
            "batches: needs_all_rows=False)"
        )
        raise CollectRefused(
            f"dataset {data.name!r} has {data.n_rows:,} rows in {len(data.rows)} partitions on "
            f"the dask engine, more than engine.max_collect_rows ({self.max_collect_rows:,}); "
            f"{who}, so it is refused rather than gathering the rows into one process. Checks "
            f"that fold batches run at any size: {', '.join(folding_checks()) or 'none'}. "
            "Raise engine.max_collect_rows only if the rows fit in this machine's memory "
            "(docs/dask.md)."
        )
