"""Demo data: scikit-learn's bundled breast-cancer data (569 rows, 30 features), split once.

The split is fixed (it does not follow the gate's seed): the data a gate judges should not
change when only the seed does.
"""

from __future__ import annotations

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

LABEL = "target"
SPLIT_SEED = 20261122


def _split() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = load_breast_cancer(as_frame=True).frame
    # Label 1 = benign in scikit-learn's encoding; keep it, the gate only needs it consistent.
    train, test = train_test_split(
        frame, test_size=0.4, stratify=frame[LABEL], random_state=SPLIT_SEED
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def reference() -> pd.DataFrame:
    """The training data (60%): what the models were fitted on."""
    return _split()[0]


def evaluation() -> pd.DataFrame:
    """The held-out data (40%, 228 rows) the gate judges the models on."""
    return _split()[1]
