"""The Dask engine's data side: a partitioned Parquet dataset (footers only), and the
functions that run on the workers (read a partition, predict it, fold it) or check the files.
Kept apart from :mod:`mlgate.core.engines.dask`, which schedules them."""

from __future__ import annotations

import contextlib
import pickle
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlgate.core.data import feature_problems
from mlgate.core.engines.base import Batch, CollectRefused, PartitionFailed
from mlgate.core.engines.dask_spill import spill, unspill
from mlgate.core.errors import ConfigError, DataError, MlgateError, PredictionError

if TYPE_CHECKING:
    from mlgate.config.schema import DatasetSpec
    from mlgate.models import Predictions


@dataclass
class Partitioned:
    """A dataset as partitions: where each lives, its rows, and the columns they share."""

    name: str
    spec: DatasetSpec
    columns: list[str]
    rows: list[int]
    #: Per partition: a Parquet file (str) or a Delayed holding the partition.
    sources: list[Any]
    #: A file name (or ``partition i``) per partition, for messages.
    labels: list[str]
    starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = [0, *np.cumsum(self.rows).tolist()][:-1]

    @property
    def n_rows(self) -> int:
        return int(sum(self.rows))

    @property
    def feature_names(self) -> list[str]:
        if self.spec.features is not None:
            return list(self.spec.features)
        drop = set(self.spec.non_feature_columns)
        return [c for c in self.columns if c not in drop]

    def description(self) -> dict[str, Any]:
        """What result.json says of the dataset, as of an in-memory one (less its
        fingerprint, which the engine streams)."""
        spec = self.spec
        return {
            "rows": self.n_rows,
            "columns": list(self.columns),
            "features": self.feature_names,
            "label": spec.label,
            "time": spec.time,
            "sensitive": list(spec.sensitive),
            "slices": list(spec.slices),
        }

    def read(self, i: int, columns: Sequence[str]) -> Any:
        """A Delayed of partition ``i`` with ``columns``."""
        import dask

        source = self.sources[i]
        if isinstance(source, str):
            return dask.delayed(_read_parquet, pure=True)(source, list(columns), self.name)
        return dask.delayed(_select, pure=True)(source, list(columns))


def folding_checks() -> list[str]:
    """The registered checks that fold batches (``needs_all_rows=False``, or not under every
    parameter: marked ``*``); a check that cannot be loaded is left out."""
    from mlgate.core.registry import CheckRegistry

    registry = CheckRegistry.from_entry_points()
    out = []
    for name in registry.names():
        try:
            needs = registry.get(name).needs_all_rows
        except MlgateError:
            continue
        if callable(needs):
            out.append(f"{name}*")
        elif not needs:
            out.append(name)
    return out


# -- what runs on the workers (module-level: pickled by reference) -----------------------------
def _worker() -> str:
    """The address of the worker running the calling task (for messages)."""
    try:
        from distributed import get_worker

        return f"worker {get_worker().address}"
    except (ImportError, ValueError):  # not on a worker (a test calling it directly)
        return "no worker"


def _read_parquet(path: str, columns: list[str], name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as exc:  # a file removed, truncated or unreadable since it was opened
        raise DataError(
            f"dataset {name!r}: cannot read {path!r} on {_worker()}: {type(exc).__name__}: "
            f"{exc}; every worker must see the dataset's files, unchanged while the gate runs"
        ) from exc


def _select(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.loc[:, columns]


def _predict_part(
    frame: pd.DataFrame, adapter: Any, source: str, classes: Any, spill_to: str | None = None
) -> Any:
    """The validated predictions of a partition; with ``spill_to``, written to a file there
    and only its handle returned (:mod:`mlgate.core.engines.dask_spill`)."""
    try:
        preds = adapter.predict(frame)
    except PredictionError as exc:
        if isinstance(exc.__cause__, Exception) and not isinstance(exc.__cause__, MlgateError):
            raise PredictionError(
                f"{source}: {exc}" + "".join(f"\n  - {p}" for p in feature_problems(frame))
            ) from None
        raise
    except MlgateError:
        raise
    except Exception as exc:
        raise _failed(source, "the model", exc) from exc
    preds = preds.validate(len(frame), source=source, classes=classes)
    if spill_to is None:
        return preds
    try:
        return spill(preds, spill_to)
    except OSError as exc:
        raise _failed(source, "writing its predictions to the spill directory", exc) from exc


def _failed(where: str, what: str, exc: BaseException) -> PartitionFailed:
    return PartitionFailed(f"{where}, on {_worker()}: {what} raised {type(exc).__name__}: {exc}")


def _label_sets(frame: pd.DataFrame, preds: Predictions, label: str):
    """The labels seen and predicted in a partition, for a classifier without declared
    classes (None otherwise: a regressor predicts values, not labels)."""
    preds = unspill(preds)
    if preds.classes is not None or preds.labels is None:
        return None
    return set(frame[label].tolist()), set(np.asarray(preds.labels).tolist())


def _payload(
    frame: pd.DataFrame, preds: Predictions | None, columns: list[str], label: str | None, where
):
    y = None
    if label is not None:
        y = frame[label].to_numpy(copy=True)
        if pd.isna(y).any():
            raise DataError(
                f"{where}: label column {label!r} has {int(pd.isna(y).sum())} missing "
                "value(s); drop or fill those rows before gating."
            )
        y.setflags(write=False)
    return frame.loc[:, columns], y, unspill(preds)


def _fold_part(payload: tuple, start: int, fn: Callable[[Batch], Any], where: str) -> Any:
    """``fn`` of a partition's batch. Its own errors (an ``EmptyDatasetError``, a
    ``DataError``) pass as they are; anything else names the partition and the worker."""
    frame, y, preds = payload
    try:
        return fn(Batch(start=start, stop=start + len(frame), frame=frame, y=y, predictions=preds))
    except MlgateError:
        raise
    except Exception as exc:
        raise _failed(where, "the check's function", exc) from exc


def _row_hashes(frame: pd.DataFrame) -> bytes:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()


# -- helpers ----------------------------------------------------------------------------------
def _nonempty(data: Partitioned) -> list[int]:
    return [i for i, n in enumerate(data.rows) if n > 0]


def _parquet_footers(files: list[Path], name: str) -> tuple[list[int], list[str]]:
    """Rows per file and the shared columns, from the footers. Raises DataError naming the
    file (and the column) for an empty file or one whose columns differ from the first's."""
    import pyarrow.parquet as pq

    rows: list[int] = []
    first = None
    for path in files:
        try:
            meta = pq.read_metadata(path)
            schema = meta.schema.to_arrow_schema()
        except (OSError, ValueError) as exc:
            raise DataError(f"dataset {name!r}: cannot read {str(path)!r}: {exc}") from exc
        if meta.num_rows == 0:
            raise DataError(
                f"dataset {name!r}: {str(path)!r} has no rows; remove the empty file (a "
                "partition of nothing is a sign of a broken export)"
            )
        types = {f.name: f.type for f in schema if not f.name.startswith("__index_level_")}
        if first is None:
            first = (path, types)
        else:
            _same_schema(name, first, (path, types))
        rows.append(int(meta.num_rows))
    assert first is not None
    return rows, list(first[1])


def _same_schema(name: str, first: tuple[Path, dict], other: tuple[Path, dict]) -> None:
    (p0, t0), (p1, t1) = first, other
    for col in t0:
        if col not in t1:
            raise DataError(
                f"dataset {name!r}: {str(p1)!r} has no column {col!r} (which {p0.name!r} has); "
                "every file of a partitioned dataset needs the same columns"
            )
        if t1[col] != t0[col]:
            raise DataError(
                f"dataset {name!r}: column {col!r} is {t1[col]} in {str(p1)!r} but {t0[col]} "
                f"in {p0.name!r}; write every file with the same types"
            )
    extra = [c for c in t1 if c not in t0]
    if extra:
        raise DataError(
            f"dataset {name!r}: {str(p1)!r} has column(s) {extra} that {p0.name!r} lacks; "
            "every file of a partitioned dataset needs the same columns"
        )


def _check_declared(data: Partitioned) -> None:
    s = data.spec
    declared = [c for c in (s.label, s.time) if c is not None]
    declared += list(s.sensitive) + list(s.slices) + list(s.features or [])
    missing = [c for c in declared if c not in data.columns]
    if missing:
        raise DataError(
            f"dataset {data.name!r}: column(s) {missing} named in the gate file are not in "
            f"the data; available columns: {data.columns}"
        )


def _concat_predictions(parts: list[Predictions]) -> Predictions:
    from mlgate.models import Predictions

    first = parts[0]

    def joined(name: str) -> np.ndarray | None:
        arrays = [getattr(p, name) for p in parts]
        return None if arrays[0] is None else np.concatenate(arrays)

    return Predictions(
        first.task,
        labels=joined("labels"),
        scores=joined("scores"),
        values=joined("values"),
        classes=first.classes,
    )


def ship_model(client: Any, adapter: Any) -> Any:
    """A future of the model on the cluster: a task that unpickles it, not scattered data,
    so the scheduler can make it again when the worker holding it dies (a scattered model
    would be lost for good: Dask's memory manager drops a broadcast's extra copies). It is
    pickled here, so the scheduler keeps bytes (it need not import the model's libraries);
    each worker fetches it once, when it first predicts."""
    import cloudpickle
    import dask

    blob = cloudpickle.dumps(adapter, protocol=pickle.HIGHEST_PROTOCOL)
    with warnings.catch_warnings():  # a large model is a large task, sent once
        warnings.filterwarnings("ignore", message=".*[Ll]arge graph", category=UserWarning)
        return client.compute(dask.delayed(_model, pure=False)(blob))


def _model(blob: bytes) -> Any:
    """The model from its pickle (:func:`ship_model`; pickled by this run's gate process)."""
    return pickle.loads(blob)


def connect(
    scheduler: str | None, timeout_s: float, cluster_options: dict[str, Any], owned: list[Any]
) -> Any:
    """A ``distributed.Client`` of the scheduler at ``scheduler`` or, without one, of a new
    ``LocalCluster`` on 127.0.0.1 (``cluster_options``: its size); what must be closed is put
    on ``owned`` (the client first). Raises ConfigError naming an address that does not
    answer within ``timeout_s``."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout_s)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"no Dask scheduler answers at {scheduler!r} (waited {timeout_s:g} s): {exc}. "
                "Start one (dask scheduler), fix the address, or drop 'scheduler' to start a "
                "LocalCluster",
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
            **cluster_options,
        )
        owned.append(cluster)
        client = Client(cluster)
    owned.insert(0, client)
    return client


def _close_all(owned: list[Any]) -> None:
    """Close what the engine started (the client first, then the cluster)."""
    while owned:
        thing = owned.pop(0)
        with contextlib.suppress(Exception):  # closing at exit: nothing left to report to
            thing.close()


def refusal(data: Partitioned, scope: Any, what: str, limit: int) -> CollectRefused:
    """Why ``what`` of ``data`` may not be gathered for the check ``scope`` (a CheckScope;
    None: no check declared) above ``limit`` rows, and what runs instead."""
    who = (
        f"check {scope.name!r} needs {what} of it in one place"
        if scope is not None
        else f"reading {what} in one place (no running check declared that it folds "
        "batches: needs_all_rows=False)"
    )
    return CollectRefused(
        f"dataset {data.name!r} has {data.n_rows:,} rows in {len(data.rows)} partitions on "
        f"the dask engine, more than engine.max_collect_rows ({limit:,}); "
        f"{who}, so it is refused rather than gathering the rows into one process. Checks "
        f"that fold batches run at any size: {', '.join(folding_checks()) or 'none'}. "
        "Raise engine.max_collect_rows only if the rows fit in this machine's memory "
        "(docs/dask.md)."
    )


def unknown_labels(name: str, model: str, pairs: Iterable[tuple[set, set] | None]) -> None:
    """Raise PredictionError when ``model`` predicted labels that never occur among dataset
    ``name``'s labels; ``pairs``: each partition's (labels, predicted labels) from
    :func:`_label_sets`, None for a model that gives its classes (validated on the worker)."""
    known: set[Any] = set()
    predicted: set[Any] = set()
    for pair in pairs:
        if pair is None:
            return
        known |= pair[0]
        predicted |= pair[1]
    unknown = predicted - known
    if unknown:
        shown = sorted(map(repr, unknown))[:10]
        raise PredictionError(
            f"model {model!r} on dataset {name!r}: predicted labels that never occur "
            f"in the dataset's labels: {', '.join(shown)}; check the label encoding, or "
            f"declare models.{model}.classes when the model may predict a class the "
            "dataset lacks"
        )
