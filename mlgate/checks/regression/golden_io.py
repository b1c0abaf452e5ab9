"""Golden files: known inputs with the outputs the model must keep giving.

Four formats, chosen by the file's extension:

CSV (``.csv``) and Parquet (``.parquet``, ``.pq``; needs ``mlgate[parquet]``)
    The plain layout: one row per case, the model's input columns plus the expected output.
    Reserved columns: ``case`` (the case's name, optional), ``expected`` (the label, or the
    value for regression; another name with the check's ``expected_column``, e.g. the
    dataset's label column, so an excerpt of the evaluation data is a golden file as it is)
    and ``score:<class>`` (the expected probability of each class, optional). Every other
    column is a model input. Parquet keeps the inputs' types (integers, categories,
    timestamps) where CSV reads them back as pandas infers them.
JSON (``.json``) / YAML (``.yaml``, ``.yml``)
    ``{"cases": [{"case": "c1", "inputs": {"x": 1.5}, "expected": {"label": 1,
    "scores": {"0": 0.2, "1": 0.8}}}]}`` (``value`` instead of ``label`` for regression;
    ``scores`` optional). Other top-level keys (``model``, ``written_by``) are notes.

Floats are written with Python's shortest round-trip representation, so a written file reads
back exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mlgate.core.errors import DataError, require

SCORE_PREFIX = "score:"
EXPECTED = "expected"
FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
}


@dataclass(frozen=True)
class GoldenCases:
    """Cases of a golden file: names, model inputs, expected labels or values, and expected
    class scores (a frame with one column per class, or None)."""

    names: list[str]
    inputs: pd.DataFrame
    expected: list[Any]
    scores: pd.DataFrame | None

    def __len__(self) -> int:
        return len(self.names)


def golden_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"golden file {str(path)!r}: unknown format {path.suffix!r}; "
            "use .csv, .parquet, .json or .yaml"
        )
    return fmt


def read_golden(path: Path, *, expected: str = EXPECTED) -> GoldenCases:
    """Read a golden file (``expected``: the column of expected outputs in a CSV or Parquet
    file). Raises DataError naming the file for a malformed one."""
    fmt = golden_format(path)
    if fmt == "parquet":
        require("pyarrow", extra="parquet", feature="Parquet golden files")
    try:
        if fmt == "csv":
            return _from_frame(pd.read_csv(path), path, expected)
        if fmt == "parquet":
            return _from_frame(pd.read_parquet(path), path, expected)
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise DataError(f"golden file {str(path)!r} cannot be read: {exc}") from exc
    return _from_doc(doc, path)


def _from_frame(frame: pd.DataFrame, path: Path, expected: str) -> GoldenCases:
    if expected not in frame.columns:
        hint = "" if expected != EXPECTED else " (or name the column with expected_column)"
        raise DataError(
            f"golden file {str(path)!r} has no {expected!r} column{hint}; "
            f"columns: {list(map(str, frame.columns))}"
        )
    names = (
        frame["case"].astype(str).tolist()
        if "case" in frame.columns
        else [f"row {i + 1}" for i in range(len(frame))]
    )
    score_cols = [c for c in frame.columns if str(c).startswith(SCORE_PREFIX)]
    inputs = frame.drop(columns=[expected, *score_cols, *(["case"] if "case" in frame else [])])
    scores = None
    if score_cols:
        scores = frame[score_cols].astype(float)
        scores.columns = [str(c)[len(SCORE_PREFIX) :] for c in score_cols]
    return GoldenCases(names, inputs.reset_index(drop=True), frame[expected].tolist(), scores)


def _from_doc(doc: Any, path: Path) -> GoldenCases:
    cases = doc.get("cases") if isinstance(doc, dict) else None
    if not isinstance(cases, list):
        raise DataError(f"golden file {str(path)!r} needs a top-level 'cases' list")
    names, inputs, expected, scores = [], [], [], []
    for i, case in enumerate(cases):
        where = f"golden file {str(path)!r}, cases[{i}]"
        if not isinstance(case, dict) or "inputs" not in case or "expected" not in case:
            raise DataError(f"{where}: each case needs 'inputs' and 'expected'")
        exp = case["expected"]
        if not isinstance(exp, dict) or not ({"label", "value"} & set(exp)):
            raise DataError(f"{where}: 'expected' needs a 'label' or a 'value'")
        names.append(str(case.get("case", f"case {i + 1}")))
        inputs.append(case["inputs"])
        expected.append(exp.get("label", exp.get("value")))
        scores.append({str(k): float(v) for k, v in (exp.get("scores") or {}).items()})
    score_frame = pd.DataFrame(scores) if any(scores) else None
    return GoldenCases(names, pd.DataFrame(inputs), expected, score_frame)


def write_golden(
    path: Path,
    cases: GoldenCases,
    *,
    notes: dict[str, Any],
    regression: bool = False,
    expected: str = EXPECTED,
) -> None:
    """Write ``cases`` to ``path`` in the format of its extension (folders are created);
    expected outputs are written as ``value`` for regression, else as ``label`` (in the
    ``expected`` column of a CSV or Parquet file)."""
    fmt = golden_format(path)
    if fmt == "parquet":
        require("pyarrow", extra="parquet", feature="Parquet golden files")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("csv", "parquet"):
        frame = cases.inputs.copy()
        frame.insert(0, "case", cases.names)
        frame[expected] = cases.expected
        if cases.scores is not None:
            for col in cases.scores.columns:
                frame[f"{SCORE_PREFIX}{col}"] = cases.scores[col].to_numpy()
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        return
    key = "value" if regression else "label"
    doc = {**notes, "cases": [_case_doc(cases, i, key) for i in range(len(cases))]}
    if fmt == "json":
        path.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _case_doc(cases: GoldenCases, i: int, key: str) -> dict[str, Any]:
    expected: dict[str, Any] = {key: plain(cases.expected[i])}
    if cases.scores is not None:
        expected["scores"] = {str(c): float(cases.scores.iloc[i][c]) for c in cases.scores}
    inputs = {str(k): plain(v) for k, v in cases.inputs.iloc[i].items()}
    return {"case": cases.names[i], "inputs": inputs, "expected": expected}


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value JSON / YAML can write (NaN as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
