"""``multivariate_drift`` on Dask (issue 17): each side is one bottom-k fold on the workers, so
the check runs far above ``engine.max_collect_rows`` and gives the in-memory result byte for
byte, for the features (with a category and PCA) and for the predicted scores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.drift.mmd_check import MULTIVARIATE_DRIFT
from mlgate.core.context import GateContext
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate

pytest.importorskip("torch", reason="MMD runs on torch (mlgate[torch])")

ROWS, REF_ROWS = 3_000, 2_000
MAX_COLLECT = 50  # far below both datasets' rows
MAX_ROWS = 400


class ScoreModel:
    """A logistic model over x1, x2 and the group, computed column by column (no BLAS), so a
    row gets the same bits in any batch and any memory layout (RowWise in conftest.py)."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        z = 1.5 * X["x1"].to_numpy(dtype=float) - X["x2"].to_numpy(dtype=float)
        z = z + 0.8 * (X["group"].to_numpy() == "b")
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def _data(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2, x3 = (rng.normal(size=n) for _ in range(3))
    group = rng.choice(np.array(["a", "b", "c"]), n)
    target = (1.5 * x1 - x2 + rng.normal(0, 0.7, n) > 0).astype(int)
    return pd.DataFrame({"x1": x1 + shift, "x2": x2, "x3": x3, "group": group, "target": target})


def _gate(folder):
    gate = folder / "gate.yaml"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        "datasets: {evaluation: {path: 'parts', label: target}, "
        "reference: {path: 'ref', label: target}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


CASES = {
    "features": {"pca": 3, "n_permutations": 200},
    "predictions": {"target": "predictions", "n_permutations": 200},
}


@pytest.mark.parametrize("n_parts", [3, 7])
@pytest.mark.parametrize("shift", [0.0, 0.4])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_sampled_test_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, shift, case, dask_client, write_parts, run_as_kernel
):
    params = {**CASES[case], "max_rows": MAX_ROWS}
    current, reference = _data(ROWS, 1, shift), _data(REF_ROWS, 2, 0.0)
    write_parts(current, tmp_path / "parts", n_parts)
    write_parts(reference, tmp_path / "ref", n_parts - 1)
    engine = DaskEngine(dask_client, max_collect_rows=MAX_COLLECT)
    ctx = GateContext(open_gate(_gate(tmp_path)), models={"candidate": ScoreModel()}, engine=engine)
    on_dask = run_as_kernel(MULTIVARIATE_DRIFT, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": ScoreModel()},
        datasets={"evaluation": current, "reference": reference},
        task="binary",
        label="target",
    )
    in_memory = MULTIVARIATE_DRIFT(local, **params)
    assert _bytes(on_dask) == _bytes(in_memory)
    ev = on_dask.evidence
    assert ev["rows_tested"] == [MAX_ROWS, MAX_ROWS] and ev["rows_total"] == [REF_ROWS, ROWS]
    # a real verdict: the planted shift of x1 moves the features and the scores
    assert on_dask.status.value == ("failed" if shift else "passed")
