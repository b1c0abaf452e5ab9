"""Data that used to be read wrongly, or failed with words naming neither dataset nor column:
each is refused with the dataset, the file or column, and the fix."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlgate.config.schema import DatasetSpec
from mlgate.core.context import GateContext
from mlgate.core.data import as_frame, load_dataset, read_table
from mlgate.core.errors import DataError, PredictionError
from mlgate.core.imports import resolve_callable


def test_a_csv_header_repeating_a_column_is_refused(tmp_path):
    (tmp_path / "d.csv").write_text("x0,x0,x1,target\n1,2,3,0\n4,5,6,1\n")
    with pytest.raises(DataError, match=r"repeats column\(s\) \[\"'x0'\"\]"):
        read_table(tmp_path / "d.csv", name="evaluation")


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame([[1, 2, 0]], columns=["target", "x", "target"]),
        pd.DataFrame([[1, 2]], columns=["a", "a"]),
    ],
)
def test_a_frame_repeating_a_column_is_refused(frame):
    with pytest.raises(DataError, match="repeats column name"):
        as_frame(frame, name="evaluation", label="target")


@pytest.mark.parametrize(("sep", "shown"), [(";", ";"), ("\t", "\\t"), ("|", "|")])
def test_a_csv_delimited_otherwise_is_detected_and_the_option_named(tmp_path, sep, shown):
    (tmp_path / "d.csv").write_text(f"x0{sep}x1{sep}y\n1{sep}2{sep}0\n")
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "d.csv", name="evaluation")
    assert "was read as one column named" in str(info.value)
    assert f'read_options: {{sep: "{shown}"}}' in str(info.value)


def test_read_options_reach_the_reader(tmp_path):
    (tmp_path / "d.csv").write_text("x0;x1;y\n1,5;2;0\n")
    spec = DatasetSpec(path="d.csv", label="y", read_options={"sep": ";", "decimal": ","})
    data = load_dataset(spec, name="evaluation", base_dir=tmp_path, seed=0)
    assert list(data.frame.columns) == ["x0", "x1", "y"]
    assert data.frame["x0"].iloc[0] == 1.5


def test_an_unknown_read_option_names_the_file(tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match=r"cannot read .*d\.csv"):
        read_table(tmp_path / "d.csv", name="e", options={"no_such_option": 1})


def test_an_npz_without_x_lists_what_it_holds(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.ones((3, 2)), labels=np.zeros(3))
    with pytest.raises(DataError) as info:
        read_table(tmp_path / "d.npz", name="evaluation")
    assert "holds arrays ['features', 'labels']; expected 'X'" in str(info.value)


def test_a_directory_is_not_a_data_file(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        read_table(tmp_path, name="evaluation")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    return LogisticRegression().fit(X, y), X, y


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (
            lambda X: X.assign(b=np.where(np.arange(len(X)) % 10 == 3, np.nan, X["b"])),
            "column 'b': 6 missing (NaN) value(s), first at row 3",
        ),
        (
            lambda X: X.assign(c=np.where(np.arange(len(X)) == 7, np.inf, X["c"])),
            "column 'c': 1 infinite value(s), first at row 7",
        ),
        (
            lambda X: X.assign(a=X["a"].astype(object).where(np.arange(len(X)) != 5, "n/a")),
            "column 'a': 1 text value(s) in a numeric column, first 'n/a' at row 5",
        ),
    ],
)
def test_a_failing_prediction_names_model_dataset_and_column(fitted, spoil, words):
    model, X, y = fitted
    ctx = GateContext.from_objects(
        models={"candidate": model},
        datasets={"evaluation": spoil(X).assign(y=y)},
        task="binary",
        label="y",
    )
    with pytest.raises(PredictionError) as info:
        ctx.predict()
    text = str(info.value)
    assert text.startswith("model 'candidate' on dataset 'evaluation': ")
    assert words in text
    assert "failed to predict 60 rows" in text  # then the estimator's own words


def test_a_factory_module_that_is_a_symlink_is_not_refused_as_shadowed(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / "symlinked_factory_mod.py").write_text("def make():\n    return 42\n")
    gate_dir = tmp_path / "gate"
    gate_dir.mkdir()
    os.symlink(real / "symlinked_factory_mod.py", gate_dir / "symlinked_factory_mod.py")
    fn = resolve_callable("symlinked_factory_mod:make", base_dir=gate_dir, what="model")
    assert fn() == 42
    # and again, now that the module is imported (the shadowing check runs on the cached one)
    assert resolve_callable("symlinked_factory_mod:make", base_dir=gate_dir, what="m")() == 42
