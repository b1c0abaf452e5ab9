"""Demo data: scikit-learn's bundled digits images (1,797 8x8 images, pixel values 0-16, ten
classes), split once into a training part (reference) and a held-out part (evaluation).

The split is fixed (it does not follow the gate's seed): the data a gate judges should not
change when only the seed does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

LABEL = "target"
SPLIT_SEED = 20261122


def _split() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = load_digits(as_frame=True).frame
    train, test = train_test_split(
        frame, test_size=0.4, stratify=frame[LABEL], random_state=SPLIT_SEED
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def reference() -> pd.DataFrame:
    """The training data (60%, 1,078 rows): what the candidate was fitted on."""
    return _split()[0]


def evaluation() -> pd.DataFrame:
    """The held-out data (40%, 719 rows) the gate judges the candidate on."""
    return _split()[1]


def train_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The training split as float32 pixels (n, 64) and int64 class indices (n,)."""
    train = reference()
    X = np.array(train.drop(columns=[LABEL]), dtype=np.float32)  # writable copies
    return X, np.array(train[LABEL], dtype=np.int64)


def train_batch(rows: int = 64, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One batch for the training checks: ``rows`` training rows starting at ``offset``."""
    X, y = train_arrays()
    return X[offset : offset + rows], y[offset : offset + rows]
