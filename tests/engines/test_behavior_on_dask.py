"""The transformation-based behavioural checks on Dask (issue 17): with a row cap they fold the
partitions into a stratified bottom-k sample on the workers, so they run above
``engine.max_collect_rows`` and give the in-memory result byte for byte; ``rows: all`` needs
every row in one place and is refused there."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.behavior.checks.directional import DIRECTIONAL
from mlgate.checks.behavior.checks.invariance import INVARIANCE
from mlgate.checks.behavior.checks.perturbation import PERTURBATION
from mlgate.checks.behavior.sampling import KeepLeast, LabelStrata, MergeLeast
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.engines.dask import DaskEngine
from mlgate.core.gate import open_gate

ROWS = 3_000
CAP = 400  # the sample: below the rows, far above max_collect_rows
MAX_COLLECT = 50


class GroupModel:
    """A logistic model over x1, x2 and the group, computed column by column (no BLAS), so a
    row gets the same bits in any batch and any memory layout (see RowWise in
    test_folded_checks.py)."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        z = 1.5 * X["x1"].to_numpy(dtype=float) - X["x2"].to_numpy(dtype=float)
        z = z + 0.8 * (X["group"].to_numpy() == "b")
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


@pytest.fixture(scope="module")
def grouped() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    x1, x2 = rng.normal(size=ROWS), rng.normal(size=ROWS)
    group = rng.choice(np.array(["a", "b"]), ROWS)
    target = (1.5 * x1 - x2 + rng.normal(0, 0.7, ROWS) > 0).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "group": group, "target": target})


def _gate(folder, path: str, reference: str | None = None):
    gate = folder / "gate.yaml"
    datasets = f"evaluation: {{path: '{path}', label: target, sensitive: [group]}}"
    if reference is not None:
        datasets += f", reference: {{path: '{reference}', label: target}}"
    gate.write_text(
        "name: g\ntask: binary\nseed: 0\nengine: dask\nmodels: {candidate: {factory: 'x:y'}}\n"
        f"datasets: {{{datasets}}}\n"
        "stages: {s: {checks: [{check: prediction_rate, max: 0.9}]}}\n"
    )
    return gate


def _bytes(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


CHECKS = {
    "perturbation": (
        PERTURBATION,
        {
            "columns": ["x1", "x2"],
            "variants": 3,
            "max_flip_rate": 0.01,  # fails: the counterexamples are shrunk too
            "metric": "accuracy",
            "max_metric_drop": 0.2,
            "n_resamples": 200,
        },
    ),
    "invariance": (INVARIANCE, {"max_flip_rate": 0.01}),
    "directional": (
        DIRECTIONAL,
        {
            "columns": ["x1"],
            "params": {"by": 0.5},
            "expect": "increase",
            "max_violation_rate": 0.05,
        },
    ),
}


@pytest.mark.parametrize(("n_parts", "with_reference"), [(3, False), (7, True)])
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_sampled_check_on_dask_is_the_in_memory_result(
    tmp_path, n_parts, with_reference, name, grouped, dask_client, write_parts, run_as_kernel
):
    """Byte-identical results; with 7 partitions the gate also declares a partitioned
    ``reference`` (1,500 rows, also above the limit) for the transformation's statistics."""
    check, params = CHECKS[name]
    params = {**params, "rows": CAP}
    write_parts(grouped, tmp_path / "parts", n_parts)
    datasets = {"evaluation": {"data": grouped, "sensitive": ["group"]}}
    reference = None
    if with_reference:  # twice the spread: the noise differs from the evaluation data's
        frame = grouped.iloc[::2].assign(x1=lambda f: 2 * f["x1"], x2=lambda f: 2 * f["x2"])
        datasets["reference"] = frame.reset_index(drop=True)
        reference = "ref"
        write_parts(datasets["reference"], tmp_path / reference, 2)
    engine = DaskEngine(dask_client, max_collect_rows=MAX_COLLECT)
    gate = open_gate(_gate(tmp_path, "parts", reference))
    ctx = GateContext(gate, models={"candidate": GroupModel()}, engine=engine)
    on_dask = run_as_kernel(check, ctx, **params)
    local = GateContext.from_objects(
        models={"candidate": GroupModel()}, datasets=datasets, task="binary", label="target"
    )
    in_memory = check(local, **params)
    assert _bytes(on_dask) == _bytes(in_memory)
    sample = on_dask.evidence["sample"]
    assert (sample["rows_used"], sample["rows_total"], sample["sampled"]) == (CAP, ROWS, True)
    assert engine.prediction_runs[("candidate", "evaluation")] == 1
    # a real verdict, not an error: the group and the noise flip labels; x1 only raises P(1)
    assert on_dask.status.value == ("passed" if name == "directional" else "failed")


def test_rows_all_needs_every_row_and_is_refused_above_the_limit(
    tmp_path, grouped, dask_client, write_parts, run_as_kernel
):
    write_parts(grouped, tmp_path / "parts", 3)
    engine = DaskEngine(dask_client, max_collect_rows=MAX_COLLECT)
    ctx = GateContext(
        open_gate(_gate(tmp_path, "parts")), models={"candidate": GroupModel()}, engine=engine
    )
    with pytest.raises(CollectRefused) as refused:
        run_as_kernel(INVARIANCE, ctx, max_flip_rate=0.01, rows="all")
    text = str(refused.value)
    assert "check 'invariance' needs every row" in text
    folding = text.split("run at any size:")[1]
    assert all(f"{kind}*" in folding for kind in CHECKS)  # fold unless rows: all


def test_the_fold_functions_pickle_for_the_workers():
    keep = KeepLeast(3, LabelStrata((0, 1)), np.array([2, 3]))
    again = pickle.loads(pickle.dumps(keep))
    assert again.key == 3 and again.rule == keep.rule and again.quota.tolist() == [2, 3]
    assert pickle.loads(pickle.dumps(MergeLeast(np.array([1])))).quota.tolist() == [1]
