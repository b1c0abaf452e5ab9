"""The Dask engine's prediction cache on disk: one file per partition in a directory of the run.

Kept in the workers' memory, the cache (one persisted future per partition) grows every
worker's memory with the dataset: 10 million rows of a binary classifier are 240 MB of
scores and labels, spread over the workers for the whole run. So each prediction task writes
its partition's predictions to a file in a per-run directory and its future holds only the
file's path (:class:`SpilledPredictions`, a few hundred bytes); whoever needs them (a batch,
a fold, the gate's process) reads the file back for as long as it works on that partition.
Peak memory per worker is then a few partitions' worth, whatever the number of partitions.

The directory is a temporary directory on this machine (every worker of a ``LocalCluster``
sees it), or under ``spill_dir`` when the engine is given one (a shared file system for
workers on other hosts). It is checked before use: every worker must see the file the gate's
process wrote there. It is removed by :meth:`SpillDir.close` (the engine's ``close``) or, at
the latest, when the engine is garbage-collected or the process exits.
"""

from __future__ import annotations

import logging
import os
import pickle
import secrets
import shutil
import tempfile
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.core.errors import ConfigError

if TYPE_CHECKING:
    from mlgate.models import Predictions

log = logging.getLogger(__name__)

#: The file every worker must see in the spill directory (holding a random token).
_PROBE = "probe"


@dataclass(frozen=True)
class SpilledPredictions:
    """A partition's predictions, written to ``path`` (``rows`` rows)."""

    path: str
    rows: int


def spill(preds: Predictions, folder: str) -> SpilledPredictions:
    """Write ``preds`` to a new file in ``folder`` (atomically: a task retried after its
    worker died writes a file of its own, never half of another's); its handle."""
    path = Path(folder) / f"{uuid.uuid4().hex}.pkl"
    partial = path.with_suffix(".part")
    with open(partial, "wb") as f:
        pickle.dump(preds, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
    return SpilledPredictions(str(path), len(preds))


def unspill(preds: Any) -> Any:
    """The predictions a handle points to (anything else is returned as it is). The file was
    written by this run's workers into the run's own directory (created private, 0700)."""
    if isinstance(preds, SpilledPredictions):
        with open(preds.path, "rb") as f:
            return pickle.load(f)  # our own file (see the docstring)
    return preds


def _sees(folder: str, token: str) -> bool:
    """On a worker: whether ``folder`` is the directory the gate's process wrote ``token``
    into (the same path on another host would hold no such file)."""
    try:
        return (Path(folder) / _PROBE).read_text() == token
    except OSError:
        return False


class SpillDir:
    """A directory of the run for the prediction files, removed by :meth:`close`."""

    def __init__(self, parent: str | None = None) -> None:
        self.path = tempfile.mkdtemp(prefix="mlgate-predictions-", dir=parent)
        self._token = secrets.token_hex(16)
        (Path(self.path) / _PROBE).write_text(self._token)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)

    def blind_workers(self, client: Any) -> list[str]:
        """The workers that do not see this directory (none: every worker may spill here)."""
        seen = client.run(_sees, self.path, self._token)
        return sorted(str(w) for w, ok in seen.items() if not ok)

    def close(self) -> None:
        """Remove the directory and every prediction file in it."""
        self._finalizer()


def open_spill(client: Any, parent: str | None) -> SpillDir | None:
    """A new spill directory under ``parent`` (None: this machine's temporary directory) that
    every worker of ``client`` sees. When some worker does not see it: ConfigError naming the
    workers if ``parent`` was given; else None, with a warning (the predictions then stay in
    the workers' memory, which grows with the dataset, as before spilling)."""
    spill = SpillDir(parent)
    blind = spill.blind_workers(client)
    if not blind:
        return spill
    spill.close()
    shown = ", ".join(blind[:5]) + (f" and {len(blind) - 5} more" if len(blind) > 5 else "")
    if parent is not None:
        raise ConfigError(
            f"worker(s) {shown} cannot see {spill.path!r}: the prediction files must be "
            "written where every worker and this process read them (a shared file system); "
            "give a spill_dir they all see",
            path="engine.spill_dir",
        )
    log.warning(
        "the Dask worker(s) %s do not see %s (on another host?): the predictions stay in "
        "the workers' memory, which then grows with the dataset; give the engine a "
        "spill_dir on a shared file system",
        shown,
        spill.path,
    )
    return None
