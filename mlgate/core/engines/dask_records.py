"""What the Dask engine records about its partitioned datasets for result.json: their
description, partitions and retried partitions, and their fingerprint, hashed on the workers
(a mixin of :class:`~mlgate.core.engines.dask.DaskEngine`, kept apart to keep that module about
scheduling)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from mlgate.core.engines.dask_parts import _row_hashes

if TYPE_CHECKING:
    from mlgate.core.context import GateContext
    from mlgate.core.engines.dask_parts import Partitioned

#: The most retried partitions a dataset's description lists by name (it counts them all).
_LISTED = 20


class DatasetRecords:
    """Dataset descriptions and fingerprints of :class:`DaskEngine` (which provides
    ``name``, ``_datasets``, ``_fingerprints``, ``_local``, ``partitioned``, ``_losses``,
    ``_note`` and ``_stream``)."""

    def describe_datasets(self) -> dict[str, dict[str, Any]]:
        """Partitioned datasets, described like in-memory ones (their fingerprint is the
        same hash of the same content, streamed), plus their partitions."""
        out = {}
        retried = self._losses().retried
        for name, data in sorted(self._datasets.items()):
            if data is None:
                continue
            engine: dict[str, Any] = {"name": self.name, "partitions": len(data.rows)}
            if retried.get(name):  # only when a lost worker's tasks were run again
                engine["retried_partitions"] = len(retried[name])
                engine["retried"] = retried[name][:_LISTED]
            fingerprint = "sha256:" + self._streamed_fingerprint(data)
            out[name] = {**data.description(), "fingerprint": fingerprint, "engine": engine}
        return out

    def fingerprint(self, ctx: GateContext, name: str) -> str:
        data = self.partitioned(ctx, name)
        return (
            self._local.fingerprint(ctx, name) if data is None else self._streamed_fingerprint(data)
        )

    def _streamed_fingerprint(self, data: Partitioned) -> str:
        """The SHA-256 :attr:`Dataset.fingerprint` gives the same rows in memory: the row
        hashes are computed on the workers and streamed into one digest in row order (once
        per dataset and run: the rows do not change)."""
        if data.name in self._fingerprints:
            return self._fingerprints[data.name]
        h = hashlib.sha256()
        h.update("\x1f".join(map(str, data.columns)).encode())
        import dask

        tasks = [
            self._note(dask.delayed(_row_hashes)(data.read(i, data.columns)), data, i)
            for i in range(len(data.rows))
        ]
        for chunk in self._stream(tasks, data.name):
            h.update(chunk)
        self._fingerprints[data.name] = h.hexdigest()
        return self._fingerprints[data.name]
