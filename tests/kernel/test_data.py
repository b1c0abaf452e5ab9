"""Datasets: formats, column roles, clear errors, and the caller's data left untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from mlgate.config.schema import DatasetSpec
from mlgate.core.data import Dataset, as_frame, load_dataset
from mlgate.core.errors import DataError
from mlgate.core.runner import run_gate


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": rng.normal(size=50),
            "b": rng.integers(0, 5, 50),
            "t": pd.date_range("2026-01-01", periods=50, freq="D"),
            "y": rng.integers(0, 2, 50),
        }
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files_load_with_roles(tmp_path, frame, fmt):
    path = tmp_path / f"data.{fmt}"
    getattr(frame, f"to_{fmt}")(path, index=False)
    ds = load_dataset(
        DatasetSpec(path=path.name, label="y", time="t"),
        name="evaluation",
        base_dir=tmp_path,
        seed=0,
    )
    assert ds.feature_names == ["a", "b"]
    assert list(ds.X.columns) == ["a", "b"] and len(ds) == 50
    np.testing.assert_array_equal(ds.y, frame["y"].to_numpy())


def test_npz_arrays_become_columns(tmp_path):
    X = np.arange(12.0).reshape(6, 2)
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1] * 3))
    ds = load_dataset(DatasetSpec(path="d.npz", label="y"), name="e", base_dir=tmp_path, seed=0)
    assert ds.feature_names == ["x0", "x1"]
    np.testing.assert_array_equal(ds.X.to_numpy(), X)


def test_factory_results_of_every_shape():
    X = np.ones((4, 3))
    assert list(as_frame((X, [0, 1, 0, 1]), name="d", label="target").columns) == [
        "x0",
        "x1",
        "x2",
        "target",
    ]
    assert list(as_frame({"X": X}, name="d", label=None).columns) == ["x0", "x1", "x2"]
    with pytest.raises(DataError, match="X has 4 rows but y has 3"):
        as_frame((X, [0, 1, 0]), name="d", label="y")
    with pytest.raises(DataError, match="expected a pandas DataFrame"):
        as_frame("not data", name="d", label="y")
    with pytest.raises(DataError, match=r"X must be 2-D"):
        as_frame(np.ones(3), name="d", label=None)


def test_missing_declared_columns_are_named(frame):
    spec = DatasetSpec(factory="m:f", label="target", sensitive=["sex"])
    with pytest.raises(DataError) as info:
        Dataset("evaluation", frame, spec)
    msg = str(info.value)
    assert "['target', 'sex']" in msg and "available columns: ['a', 'b', 't', 'y']" in msg


def test_empty_data_and_missing_labels_are_errors(frame):
    with pytest.raises(DataError, match="has no rows"):
        Dataset("e", frame.iloc[:0], DatasetSpec(factory="m:f", label="y"))
    holes = frame.astype({"y": float})
    holes.loc[[3, 7], "y"] = np.nan
    with pytest.raises(DataError, match="label column 'y' has 2 missing value"):
        _ = Dataset("e", holes, DatasetSpec(factory="m:f", label="y")).y
    with pytest.raises(DataError, match="has no label column"):
        _ = Dataset("e", frame, DatasetSpec(factory="m:f")).y


def test_unreadable_and_unknown_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_dataset(DatasetSpec(path="no.csv"), name="e", base_dir=tmp_path, seed=0)
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(DataError, match=r"format of .d\.xlsx.*under datasets\.e\."):
        load_dataset(DatasetSpec(path="d.xlsx"), name="e", base_dir=tmp_path, seed=0)


def test_fingerprint_follows_content(frame):
    spec = DatasetSpec(factory="m:f", label="y")
    a = Dataset("e", frame, spec).fingerprint
    assert a == Dataset("e", frame.copy(), spec).fingerprint
    changed = frame.copy()
    changed.loc[0, "a"] += 1e-9
    assert a != Dataset("e", changed, spec).fingerprint


def test_views_are_copies_and_labels_read_only(frame):
    ds = Dataset("e", frame, DatasetSpec(factory="m:f", label="y"))
    view = ds.X
    view.loc[0, "a"] = 999.0
    assert frame.loc[0, "a"] != 999.0
    with pytest.raises(ValueError):
        ds.y[0] = 5


def test_a_whole_gate_run_leaves_the_callers_data_and_model_untouched(tmp_path, frame):
    """Nothing the user gave is modified: the frame passed in is equal, column by column and
    in dtype, to a deep copy taken before the run, even when the model tries to write."""

    def meddling_model(X: pd.DataFrame) -> np.ndarray:
        X["a"] = 0.0  # a model writing into its input must not reach the caller's data
        return np.column_stack([np.full(len(X), 0.5), np.full(len(X), 0.5)])

    gate = {
        "name": "g",
        "task": "binary",
        "models": {"candidate": {"factory": "unused:unused"}},
        "datasets": {"evaluation": {"factory": "unused:unused", "label": "y", "time": "t"}},
        "stages": {
            "ci": {
                "checks": [
                    {"check": "metric_threshold", "metric": "accuracy", "min": 0.1},
                    {"check": "metric_threshold", "metric": "roc_auc", "min": 0.1},
                ]
            }
        },
    }
    (tmp_path / "mlgate.yaml").write_text(yaml.safe_dump(gate))
    before = frame.copy(deep=True)
    run_gate(
        tmp_path / "mlgate.yaml",
        models={"candidate": meddling_model},
        datasets={"evaluation": frame},
    )
    pd.testing.assert_frame_equal(frame, before, check_exact=True)


def test_a_model_writing_into_its_input_does_not_change_what_the_next_model_sees(frame):
    ds = Dataset("e", frame, DatasetSpec(factory="m:f", label="y"))
    first = ds.X
    first["a"] = 0.0
    assert (ds.X["a"] != 0.0).any()
