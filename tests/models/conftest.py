"""Data shared by the model adapter tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification


def _frame_of(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


@pytest.fixture
def frame_of():
    """Turns a 2-D array into a frame with columns f0, f1, ..."""
    return _frame_of


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    return _frame_of(X), y


@pytest.fixture(scope="module")
def multiclass_data():
    X, y = make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=1
    )
    return _frame_of(X), np.array(["a", "b", "c"])[y]
