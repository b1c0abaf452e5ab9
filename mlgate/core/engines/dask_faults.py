"""What the Dask engine learns about workers that die: which partition each of its tasks
reads, the scheduler's record of the workers it lost and the tasks it had to run again, and
the error a partition becomes when Dask gives up on it.

Dask retries a task whose worker dies (the scheduler reschedules the tasks the worker was
processing and recomputes the results that lived only there), so a gate survives a lost
worker with the same result. The run should still say so: the scheduler logs each worker it
removes (a ``remove-worker`` event on its ``all`` topic, with the keys it was processing and
the computed keys it lost), and :class:`TaskLedger` maps those keys back to partitions.

When a task's workers die more often than ``distributed.scheduler.allowed-failures`` allows,
Dask raises ``KilledWorker``; :meth:`TaskLedger.failure` turns it into
:class:`~mlgate.core.engines.base.PartitionFailed` naming the dataset, the partition's file
and the last worker, so the check is an ``error`` and a blocking check holds its stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlgate.core.engines.base import PartitionFailed

#: (dataset, partition label); the label is None for a task that merges partitions' states.
Where = tuple[str, str | None]


@dataclass(frozen=True)
class Losses:
    """Workers the scheduler lost since the engine started, and the partitions whose tasks
    it ran again because of that (by dataset, file names sorted)."""

    lost_workers: int = 0
    retried: dict[str, list[str]] = field(default_factory=dict)

    @property
    def retried_partitions(self) -> int:
        return sum(len(v) for v in self.retried.values())


class TaskLedger:
    """The partition behind each task key the engine submits, and the scheduler's reports of
    lost workers since :meth:`start`."""

    def __init__(self) -> None:
        self._where: dict[Any, Where] = {}
        self._after: float | None = None

    def start(self, client: Any) -> None:
        """Count only the workers lost from now on: the scheduler's event log is shared by
        every client (and every earlier run) of the cluster."""
        if self._after is None:
            self._after = max((t for t, _ in _events(client)), default=float("-inf"))

    def note(self, delayed: Any, dataset: str, label: str | None) -> Any:
        """Remember that ``delayed`` and the tasks it is computed from work on partition
        ``label`` of ``dataset``. Returns ``delayed``."""
        for key in delayed.__dask_graph__():
            self.note_key(key, dataset, label)
        return delayed

    def note_key(self, key: Any, dataset: str, label: str | None) -> None:
        """Remember that the task ``key`` works on partition ``label`` of ``dataset``."""
        self._where.setdefault(key, (dataset, label))

    def losses(self, client: Any) -> Losses:
        """The workers removed without warning (or costing this engine a task) since
        :meth:`start`, and the partitions whose tasks were rescheduled or recomputed."""
        lost: set[str] = set()
        retried: dict[str, set[str]] = {}
        after = float("-inf") if self._after is None else self._after
        for t, msg in _events(client):
            if t <= after or not isinstance(msg, dict) or msg.get("action") != "remove-worker":
                continue
            keys = [*msg.get("processing-tasks", ()), *msg.get("lost-computed-tasks", ())]
            ours = [self._where.get(_hashable(k)) for k in keys]
            hit = [w for w in ours if w is not None]
            for dataset, label in hit:
                if label is not None:
                    retried.setdefault(dataset, set()).add(label)
            if hit or not msg.get("expected", False):
                lost.add(str(msg.get("worker")))
        return Losses(len(lost), {d: sorted(v) for d, v in sorted(retried.items())})

    def failure(self, exc: BaseException, dataset: str) -> PartitionFailed:
        """The error a failed computation on ``dataset`` becomes: for ``KilledWorker``, naming
        the partition whose task kept killing its workers and the last of them."""
        from distributed.scheduler import KilledWorker

        if isinstance(exc, KilledWorker):
            name, label = self._where.get(_hashable(exc.task), (dataset, None))
            what = label if label is not None else "the merge of its partitions' results"
            worker = getattr(exc.last_worker, "address", exc.last_worker)
            allowed = exc.allowed_failures
            return PartitionFailed(
                f"dataset {name!r}, {what}: the worker running its task died, {allowed + 1} "
                f"time(s) on different workers (the last: {worker}); Dask retries such a task "
                f"at most distributed.scheduler.allowed-failures ({allowed}) times, so this "
                "partition was not evaluated and the check is not judged on the others. Look "
                "at that worker's log (out of memory? the model crashing the process?)"
            )
        return PartitionFailed(
            f"dataset {dataset!r}: its computation on the Dask cluster failed: "
            f"{type(exc).__name__}: {exc}"
        )


def _events(client: Any) -> list[tuple[float, Any]]:
    """The scheduler's ``all`` topic (none when the scheduler cannot be asked: the ledger
    then reports no loss rather than failing the run's description)."""
    try:
        return list(client.get_events("all"))
    except Exception:  # a closed or unreachable scheduler: nothing more to learn from it
        return []


def _hashable(key: Any) -> Any:
    """A task key as submitted (a tuple key may come back from the scheduler as a list)."""
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key
