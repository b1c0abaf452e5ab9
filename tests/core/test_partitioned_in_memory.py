"""A directory or glob of Parquet files is one dataset on the in-process engine too, so the same
gate file runs in process and on Dask (issue 17): the rows in the Dask engine's order, the
files' footers checked the same way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")

from mlgate.config.schema import DatasetSpec
from mlgate.core.data import load_dataset
from mlgate.core.errors import DataError


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n), "y": rng.integers(0, 2, n)}
    )


def _write(folder: Path, frames: list[pd.DataFrame], names: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        name = names[i] if names else f"part-{i:03d}.parquet"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(folder / name, index=False)
    return folder


def _load(tmp_path: Path, path: str, **spec):
    return load_dataset(
        DatasetSpec(path=path, label="y", **spec), name="evaluation", base_dir=tmp_path, seed=0
    )


def test_a_directory_is_its_files_rows_in_path_order(tmp_path):
    parts = [_frame(n, seed) for seed, n in enumerate([7, 1, 12])]
    # Written out of order, one in a subfolder: the order is the sorted paths', as on Dask.
    _write(tmp_path / "d", parts, ["b.parquet", "a.parquet", "sub/c.parquet"])
    data = _load(tmp_path, "d")
    expected = pd.concat([parts[1], parts[0], parts[2]], ignore_index=True)
    pd.testing.assert_frame_equal(data.frame, expected)


def test_a_glob_reads_only_its_matches(tmp_path):
    parts = [_frame(5, 0), _frame(6, 1), _frame(4, 2)]
    _write(tmp_path / "d", parts, ["keep-0.parquet", "drop.parquet", "keep-1.parquet"])
    data = _load(tmp_path, "d/keep-*.parquet")
    expected = pd.concat([parts[0], parts[2]], ignore_index=True)
    pd.testing.assert_frame_equal(data.frame, expected)


def test_a_retyped_column_names_the_file_and_the_column(tmp_path):
    bad = _frame(5, 1).assign(x=lambda f: f["x"].astype(str))
    _write(tmp_path / "d", [_frame(5, 0), bad])
    with pytest.raises(DataError, match=r"column 'x' is \w*string in .*part-001\.parquet"):
        _load(tmp_path, "d")


def test_a_missing_column_names_the_file(tmp_path):
    _write(tmp_path / "d", [_frame(5, 0), _frame(5, 1).drop(columns="c")])
    with pytest.raises(DataError, match=r"part-001\.parquet' has no column 'c'"):
        _load(tmp_path, "d")


def test_an_empty_file_is_an_error_naming_it(tmp_path):
    _write(tmp_path / "d", [_frame(5, 0), _frame(0, 1)])
    with pytest.raises(DataError, match=r"part-001\.parquet' has no rows"):
        _load(tmp_path, "d")


def test_a_directory_without_parquet_is_an_error_naming_it(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "rows.csv").write_text("x,y\n1,0\n")
    with pytest.raises(DataError, match=r"holds no Parquet files"):
        _load(tmp_path, "d")


def test_a_csv_directory_is_refused_with_the_fix(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(DataError, match=r"only Parquet files are read as partitions"):
        _load(tmp_path, "d", format="csv")
