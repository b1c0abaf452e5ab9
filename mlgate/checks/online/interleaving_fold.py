"""One pass over a team-draft interleaving log: wins, losses and ties of the candidate, what is
wrong with the log, and the counts at fixed checkpoints of the log.

The state is counts (plus one hash per impression, to find repeated ids), folded chunk by
chunk, so the log never has to be in memory at once and a run in many batches gives the same
result as one pass. Rows with a problem (no id, a credit that is not a non-negative number, or
missing) are left out of the counts *and* counted as a problem, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlgate.checks.online.abfold import checkpoints
from mlgate.checks.online.logs import FIRST, IdLedger

#: Problem names, in the order they are reported.
NO_ID = "impressions without an id"
NOT_NUMBER = "credit that is not a number"
NEGATIVE = "negative credit"
MISSING = "missing credit"


@dataclass
class Problem:
    """How many rows have one problem, and the first few ids (or row numbers) of them."""

    count: int = 0
    first: list[Any] = field(default_factory=list)

    def note(self, keys) -> None:
        self.count += len(keys)
        for v in keys:
            if len(self.first) > FIRST:
                return
            v = v.item() if isinstance(v, np.generic) else v
            if v not in self.first:
                self.first.append(v)


def credit_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(numbers, missing, not_a_number)`` of a credit column: floats (booleans count 0/1,
    NaN where unusable), where the value is empty, and where it is there but is not a finite
    number (text, infinity)."""
    missing = values.isna().to_numpy()
    if pd.api.types.is_bool_dtype(values):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    elif values.dtype == object and values.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        out = values.astype(float).to_numpy()
    elif pd.api.types.is_numeric_dtype(values):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        out = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~missing & ~np.isfinite(out)
    return np.where(bad, np.nan, out), missing, bad


@dataclass
class InterleavingFold:
    """Fold the chunks of an interleaving log (see :meth:`add`)."""

    impression: str
    candidate: str
    champion: str
    rows: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0
    ledger: IdLedger = field(default_factory=IdLedger)
    problems: dict[str, Problem] = field(
        default_factory=lambda: {k: Problem() for k in (NO_ID, NOT_NUMBER, NEGATIVE, MISSING)}
    )
    #: (row count, wins, losses) at the checkpoints of the log
    trail: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, chunk: pd.DataFrame) -> None:
        """Fold one chunk of rows (in log order)."""
        ids = chunk[self.impression]
        rownums = np.arange(self.rows, self.rows + len(chunk))
        no_id = ids.isna().to_numpy()
        keys = ids.astype(object).to_numpy(copy=True)
        if no_id.any():  # quote a row without an id by its row number in the log
            keys[no_id] = [f"row {r}" for r in rownums[no_id]]
            self.problems[NO_ID].note(keys[no_id])
        self.ledger.add(ids[~no_id], np.zeros(int((~no_id).sum()), dtype=np.int8))

        c, c_missing, c_bad = credit_values(chunk[self.candidate])
        h, h_missing, h_bad = credit_values(chunk[self.champion])
        bad = c_bad | h_bad
        negative = ~bad & ((c < 0) | (h < 0))
        missing = ~bad & ~negative & (c_missing | h_missing)
        for name, mask in ((NOT_NUMBER, bad), (NEGATIVE, negative), (MISSING, missing)):
            if mask.any():
                self.problems[name].note(keys[mask])

        ok = ~(no_id | bad | negative | missing)
        diff = np.where(ok, np.nan_to_num(c) - np.nan_to_num(h), 0.0)
        win = ok & (diff > 0)
        loss = ok & (diff < 0)
        start = self.rows
        wins_so_far, losses_so_far = np.cumsum(win), np.cumsum(loss)
        for mark in checkpoints(start + len(chunk)):
            if mark > start:
                i = mark - start - 1
                self.trail.append(
                    (mark, self.wins + int(wins_so_far[i]), self.losses + int(losses_so_far[i]))
                )
        self.wins += int(win.sum())
        self.losses += int(loss.sum())
        self.ties += int((ok & ~win & ~loss).sum())
        self.rows += len(chunk)

    @property
    def decided(self) -> int:
        """Impressions with a winner."""
        return self.wins + self.losses

    @property
    def counted(self) -> int:
        """Impressions without a problem (won, lost or tied)."""
        return self.wins + self.losses + self.ties
