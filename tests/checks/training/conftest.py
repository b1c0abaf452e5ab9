"""One batch of scikit-learn's digits for the training probes."""

from __future__ import annotations

import numpy as np
import pytest
import torch  # noqa: F401  (imported before any in-process pytester run)
from sklearn.datasets import load_digits

# The training modules are imported here, before any in-process pytester run, so those runs
# never import torch or these modules a second time.
import mlgate.checks.training.api
import mlgate.checks.training.checks
import mlgate.checks.training.sklearn_fit  # noqa: F401


@pytest.fixture(scope="session")
def digits_batch() -> tuple[np.ndarray, np.ndarray]:
    """64 digits images scaled to 0-1 (float32) and their class indices."""
    d = load_digits()
    return (d.data[:64] / 16.0).astype(np.float32), d.target[:64].astype(np.int64)
