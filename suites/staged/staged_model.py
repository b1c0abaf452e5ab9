"""The offline half of the staged demo: a small scikit-learn classifier and its data.

The data is a fixed draw of ``make_classification`` (it does not follow the gate's seed: the
data a gate judges should not change when only the seed does); the candidate is a
standardised logistic regression fitted on the training split.
"""

from __future__ import annotations

import pandas as pd
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

LABEL = "target"
DATA_SEED = 20261206


def _split() -> tuple[pd.DataFrame, pd.DataFrame]:
    X, y = make_classification(
        n_samples=1_200, n_features=8, n_informative=5, class_sep=2.0, random_state=DATA_SEED
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame[LABEL] = y
    train, test = train_test_split(
        frame, test_size=0.4, stratify=frame[LABEL], random_state=DATA_SEED
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def training() -> pd.DataFrame:
    """The rows the candidate is fitted on (720)."""
    return _split()[0]


def evaluation() -> pd.DataFrame:
    """The held-out rows the offline stage judges (480)."""
    return _split()[1]


def candidate(seed: int = 0):
    """The model moving through the stages, fitted with the gate's seed."""
    train = training()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000, random_state=seed))
    return model.fit(train.drop(columns=[LABEL]), train[LABEL])
