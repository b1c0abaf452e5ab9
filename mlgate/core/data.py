"""Datasets: load a table from a file or a factory and give checks its columns by role.

The caller's data is never modified: a :class:`Dataset` only reads its frame, and every
view it hands out (features, label) is a new object.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlgate.config.schema import DatasetSpec
from mlgate.core.errors import DataError, EmptyDatasetError, require
from mlgate.core.imports import call_factory


@dataclass(frozen=True, eq=False)
class Dataset:
    """A named table with column roles (label, time, sensitive, slices, features)."""

    name: str
    frame: pd.DataFrame
    spec: DatasetSpec

    def __post_init__(self) -> None:
        if len(self.frame) == 0:
            raise EmptyDatasetError(
                f"dataset {self.name!r} has no rows; a gate cannot judge empty data."
            )
        missing = [c for c in self._declared_columns() if c not in self.frame.columns]
        if missing:
            raise DataError(
                f"dataset {self.name!r}: column(s) {missing} named in the gate file are not in "
                f"the data; available columns: {list(map(str, self.frame.columns))}"
            )

    def _declared_columns(self) -> list[str]:
        s = self.spec
        cols = [c for c in (s.label, s.time) if c is not None]
        return cols + list(s.sensitive) + list(s.slices) + list(s.features or [])

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def feature_names(self) -> list[str]:
        if self.spec.features is not None:
            return list(self.spec.features)
        drop = set(self.spec.non_feature_columns)
        return [c for c in self.frame.columns if c not in drop]

    @property
    def X(self) -> pd.DataFrame:
        """The feature columns as a new frame on each access (models get this, never
        ``frame``), so a model that writes into its input changes nothing shared. Cheap
        under pandas' copy-on-write; a copy under older pandas."""
        return self.frame.loc[:, self.feature_names]

    @cached_property
    def y(self) -> np.ndarray:
        """The label column as a read-only array. Raises DataError when no label is declared."""
        if self.spec.label is None:
            raise DataError(
                f"dataset {self.name!r} has no label column; set 'label' under "
                f"datasets.{self.name} in the gate file."
            )
        y = self.frame[self.spec.label].to_numpy(copy=True)
        if pd.isna(y).any():
            n = int(pd.isna(y).sum())
            raise DataError(
                f"dataset {self.name!r}: label column {self.spec.label!r} has {n} missing "
                "value(s); drop or fill those rows before gating."
            )
        y.setflags(write=False)
        return y

    @cached_property
    def fingerprint(self) -> str:
        """A SHA-256 of the content (values, column names and order), stable across runs."""
        h = hashlib.sha256()
        h.update("\x1f".join(map(str, self.frame.columns)).encode())
        h.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
        return h.hexdigest()

    def describe(self) -> dict[str, Any]:
        return {
            "rows": len(self.frame),
            "columns": [str(c) for c in self.frame.columns],
            "features": [str(c) for c in self.feature_names],
            "label": self.spec.label,
            "time": self.spec.time,
            "sensitive": list(self.spec.sensitive),
            "slices": list(self.spec.slices),
            "fingerprint": "sha256:" + self.fingerprint,
        }


def load_dataset(spec: DatasetSpec, *, name: str, base_dir: Path, seed: int) -> Dataset:
    """Load the dataset the gate file declares under ``datasets.<name>``.

    Raises :class:`DataError` for a missing or unreadable file, an unsupported format, or
    columns the gate file names that the data does not have.
    """
    if spec.factory is not None:
        obj = call_factory(
            spec.factory,
            args=spec.args,
            base_dir=base_dir,
            seed=seed,
            what=f"dataset {name!r}",
            error=DataError,
        )
        frame = as_frame(obj, name=name, label=spec.label)
    elif spec.format in ("auto", "parquet") and _is_many(base_dir / spec.path, spec.path):
        frame = read_parts(parquet_parts(spec, name=name, base_dir=base_dir), name)
    else:
        frame = read_table(
            base_dir / spec.path, fmt=spec.format, name=name, options=spec.read_options
        )
    return Dataset(name=name, frame=frame, spec=spec)


def _is_many(path: Path, text: str) -> bool:
    return path.is_dir() or (not path.exists() and has_glob(text))


def read_parts(files: list[Path], name: str) -> pd.DataFrame:
    """The rows of a partitioned Parquet dataset (a directory or glob, files in the order
    :func:`parquet_parts` gives) in one frame, as the in-process engine reads it: the same
    rows, in the same order, as the Dask engine's partitions. The footers are checked first,
    as on Dask, so a file whose columns or types differ from the first's, or an empty file,
    is a DataError naming it."""
    from mlgate.core.engines.dask_parts import _parquet_footers

    require("pyarrow", extra="parquet", feature="Parquet datasets")
    _, columns = _parquet_footers(files, name)
    frames = []
    for path in files:
        try:
            frames.append(pd.read_parquet(path, columns=columns))
        except (OSError, ValueError) as exc:
            raise DataError(f"dataset {name!r}: cannot read {str(path)!r}: {exc}") from exc
    return unique_columns(pd.concat(frames, ignore_index=True), name)


def read_table(
    path: Path, *, fmt: str = "auto", name: str = "?", options: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Read CSV, Parquet or NumPy ``.npz`` (arrays ``X`` and optional ``y``) into a frame.

    ``options`` are keyword arguments for pandas' reader (``sep``, ``decimal``, ...). Raises
    DataError naming the dataset and the file for a missing or unreadable file, a CSV whose
    header repeats a column name, a CSV that looks delimited by something other than the
    ``sep`` used, and an ``.npz`` without an ``X`` array.
    """
    options = dict(options or {})
    if path.is_dir() or (not path.exists() and has_glob(str(path))):
        raise DataError(
            f"dataset {name!r}: {str(path)!r} is a directory or glob, not a data file; "
            "only Parquet files are read as partitions (set format: parquet, or give one "
            "file; docs/dask.md)"
        )
    if not path.is_file():
        raise DataError(f"dataset {name!r}: file not found: {str(path)!r}")
    if fmt == "auto":
        fmt = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".npz": "npz"}.get(
            path.suffix.lower(), ""
        )
        if not fmt:
            raise DataError(
                f"dataset {name!r}: cannot tell the format of {path.name!r}; use a .csv, "
                f".parquet or .npz file, or set 'format' under datasets.{name}."
            )
    try:
        if fmt == "csv":
            return _read_csv(path, name, options)
        if fmt == "parquet":
            require("pyarrow", extra="parquet", feature="Parquet datasets")
            return unique_columns(pd.read_parquet(path, **options), name)
        with np.load(path, allow_pickle=False) as npz:
            if "X" not in npz.files:
                raise DataError(
                    f"dataset {name!r}: {path.name!r} holds arrays {sorted(npz.files)}; "
                    "expected 'X' (the features, rows × columns) and optionally 'y' (labels)"
                )
            return as_frame({k: npz[k] for k in npz.files}, name=name, label="y")
    except DataError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"dataset {name!r}: cannot read {str(path)!r}: {exc}") from exc


def has_glob(text: str) -> bool:
    """Whether a dataset path is a glob pattern (``data/*.parquet``)."""
    return any(c in text for c in "*?[")


def is_partitioned(spec: DatasetSpec, base_dir: Path) -> bool:
    """Whether the Dask engine reads dataset ``spec`` as partitioned Parquet: a ``path``
    that is a directory, a glob, or one Parquet file (a factory, CSV or ``.npz`` is read in
    memory whatever the engine)."""
    if spec.path is None or spec.format not in ("auto", "parquet"):
        return False
    path = base_dir / spec.path
    if path.is_dir() or has_glob(spec.path):
        return True
    return spec.format == "parquet" or path.suffix.lower() in PARQUET_SUFFIXES


#: File endings read as Parquet (Dask's own list).
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def parquet_parts(spec: DatasetSpec, *, name: str, base_dir: Path) -> list[Path]:
    """The Parquet files of a partitioned dataset, in the order their rows count: a
    directory's ``*.parquet`` / ``*.pq`` / ``*.parq`` files (recursively), a glob's matches,
    or the one file, each sorted by path. Raises DataError naming the path when nothing
    matches, and naming a file that is not Parquet."""
    assert spec.path is not None
    path = base_dir / spec.path
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES
        )
        where = f"directory {str(path)!r} holds no Parquet files ({', '.join(PARQUET_SUFFIXES)})"
    elif has_glob(spec.path):
        matches = glob.glob(str(path), recursive=True)
        files = sorted(p for p in map(Path, matches) if p.is_file())
        where = f"no file matches {spec.path!r} (from {str(base_dir)!r})"
    else:
        files = [path] if path.is_file() else []
        where = f"file not found: {str(path)!r}"
    if not files:
        raise DataError(f"dataset {name!r}: {where}")
    if spec.format == "auto":
        other = [p for p in files if p.suffix.lower() not in PARQUET_SUFFIXES]
        if other:
            raise DataError(
                f"dataset {name!r}: {str(other[0])!r} is not a Parquet file; a partitioned "
                "dataset is Parquet files only (or set 'format: parquet')"
            )
    return files


def _read_csv(path: Path, name: str, options: dict[str, Any]) -> pd.DataFrame:
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, **options)
    names = [str(v) for v in header.iloc[0].tolist()] if len(header) else []
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated and options.get("header", "infer") is not None:
        raise DataError(
            f"dataset {name!r}: the header of {path.name!r} repeats column(s) "
            f"{[_name(c) for c in duplicated]}; pandas would rename them silently. "
            "Give each column one name."
        )
    frame = pd.read_csv(path, **options)
    if frame.shape[1] == 1 and "sep" not in options and "delimiter" not in options:
        only = str(frame.columns[0])
        for sep in (";", "\t", "|"):
            if sep in only:
                shown = {"\t": "\\t"}.get(sep, sep)
                raise DataError(
                    f"dataset {name!r}: {path.name!r} was read as one column named "
                    f"{_name(only)}; it looks delimited by {sep!r}. Set "
                    f"'read_options: {{sep: \"{shown}\"}}' under datasets.{name}."
                )
    return frame


def unique_columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` unchanged; DataError naming the column names it repeats."""
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise DataError(
            f"dataset {name!r} repeats column name(s) {sorted({_name(c) for c in dup})}; "
            "a model and the gate would read the wrong one. Give each column one name."
        )
    return frame


def as_frame(obj: Any, *, name: str, label: str | None) -> pd.DataFrame:
    """Turn what a factory returned into a frame: a DataFrame (used as is, not copied), a 2-D
    array, an ``(X, y)`` pair, or a mapping with ``X`` and optional ``y``."""
    if isinstance(obj, pd.DataFrame):
        return unique_columns(obj, name)
    if isinstance(obj, Mapping) and "X" in obj:
        obj = (obj["X"], obj.get("y"))
    if isinstance(obj, tuple) and len(obj) == 2:
        X, y = obj
        frame = (
            unique_columns(X, name).copy() if isinstance(X, pd.DataFrame) else _array_frame(X, name)
        )
        if y is not None:
            col = label or "y"
            if col in frame.columns:
                raise DataError(f"dataset {name!r}: label column {col!r} clashes with a feature")
            y = np.asarray(y)
            if len(y) != len(frame):
                raise DataError(f"dataset {name!r}: X has {len(frame)} rows but y has {len(y)}")
            frame[col] = y
        return frame
    if isinstance(obj, np.ndarray):
        return _array_frame(obj, name)
    raise DataError(
        f"dataset {name!r}: the factory returned {type(obj).__name__}; expected a pandas "
        "DataFrame, a 2-D NumPy array, an (X, y) tuple or a mapping with 'X' and 'y'."
    )


def _array_frame(X: Any, name: str) -> pd.DataFrame:
    X = np.asarray(X)
    if X.ndim != 2:
        raise DataError(f"dataset {name!r}: X must be 2-D (rows × features), got shape {X.shape}")
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def feature_problems(X: pd.DataFrame, *, limit: int = 8) -> list[str]:
    """What in the feature frame ``X`` commonly makes an estimator fail, one line per column:
    missing or infinite numbers, and text in a column that is otherwise numeric. Used to name
    the culprit before the estimator's own words (which name neither dataset nor column)."""
    out: list[str] = []
    for col in X.columns:
        values = X[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            arr = values.to_numpy(dtype=float, na_value=np.nan)
            for what, bad in (("missing (NaN)", np.isnan(arr)), ("infinite", np.isinf(arr))):
                if bad.any():
                    out.append(
                        f"column {_name(col)}: {int(bad.sum())} {what} value(s), "
                        f"first at row {int(np.flatnonzero(bad)[0])}"
                    )
        elif values.dtype == object:
            as_num = pd.to_numeric(values, errors="coerce")
            text = as_num.isna() & values.notna()
            if text.any() and as_num.notna().sum() > text.sum():
                first = int(np.flatnonzero(text.to_numpy())[0])
                out.append(
                    f"column {_name(col)}: {int(text.sum())} text value(s) in a numeric column, "
                    f"first {_name(values.iloc[first])} at row {first}"
                )
        if len(out) >= limit:
            out.append("(more columns not listed)")
            break
    return out


def _name(value: Any) -> str:
    """A data value or column name for a message: repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
