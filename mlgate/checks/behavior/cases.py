"""Minimum-functionality cases: inputs with the output the model must give, read from a
YAML or CSV file or written inline in the gate file, with templates for text.

A case is a mapping of feature values plus ``expected`` (and an optional ``name``)::

    - {name: plain positive, text: "I love this film", expected: 1}
    - template: "{name} thought the {thing} was {adj}"
      fill: {name: [Maria, Wei], thing: [film, book], adj: [great, superb]}
      column: text        # the feature the template fills (default: text)
      expected: 1

A template case expands into one case per combination of its ``fill`` values.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mlgate.core.errors import ConfigError, DataError

EXPECTED = "expected"
NAME = "name"
_TEMPLATE_KEYS = ("template", "fill", "column")


def expand_cases(cases: Sequence[Mapping[str, Any]], *, where: str = "cases") -> list[dict]:
    """Each case as a flat mapping (templates expanded), named ``<name>`` or
    ``<name>[i]`` (default name: ``case <n>``).

    Raises:
        ConfigError: a case is not a mapping, has no ``expected``, or a template names a
            placeholder that ``fill`` does not give.
    """
    out: list[dict] = []
    for i, case in enumerate(cases):
        path = f"{where}[{i}]"
        if not isinstance(case, Mapping):
            raise ConfigError(
                f"{path}: a case is a mapping of feature values and 'expected', got {case!r}"
            )
        if EXPECTED not in case:
            raise ConfigError(f"{path}: the case has no 'expected' output: {dict(case)}")
        name = str(case.get(NAME, f"case {i}"))
        if "template" not in case:
            out.append({**case, NAME: name})
            continue
        out += _expand_template(case, name, path)
    return out


def _expand_template(case: Mapping[str, Any], name: str, path: str) -> list[dict]:
    template = case["template"]
    fill = case.get("fill") or {}
    column = case.get("column", "text")
    if not isinstance(template, str) or not isinstance(fill, Mapping):
        raise ConfigError(f"{path}: 'template' must be a string and 'fill' a mapping of lists")
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    missing = sorted({f for f in fields if f not in fill})
    if missing:
        raise ConfigError(
            f"{path}: template {template!r} uses {missing}, which 'fill' does not give "
            f"(fill has {sorted(fill)})"
        )
    keys = [k for k in fill if k in fields]
    choices = [fill[k] if isinstance(fill[k], list) else [fill[k]] for k in keys]
    fixed = {k: v for k, v in case.items() if k not in (*_TEMPLATE_KEYS, NAME)}
    return [
        {
            **fixed,
            column: template.format(**dict(zip(keys, combo, strict=True))),
            NAME: f"{name}[{j}]",
        }
        for j, combo in enumerate(itertools.product(*choices))
    ]


def read_cases(path: Path) -> list[dict]:
    """Cases from a YAML file (a list, or a mapping with ``cases``) or a CSV file (one case
    per row, an ``expected`` column), templates expanded.

    Raises:
        DataError: the file is missing, unreadable or of another format.
        ConfigError: a case is malformed.
    """
    if not path.is_file():
        raise DataError(f"minimum-functionality cases file not found: {str(path)!r}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            cases = doc.get("cases") if isinstance(doc, Mapping) else doc
            if not isinstance(cases, list):
                raise DataError(
                    f"{path}: expected a list of cases (or a mapping with 'cases'), got "
                    f"{type(cases).__name__}"
                )
        elif suffix == ".csv":
            frame = pd.read_csv(path)
            cases = frame.to_dict("records")
        else:
            raise DataError(f"{path}: cases files are .yaml, .yml or .csv, not {suffix!r}")
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise DataError(f"cannot read cases from {str(path)!r}: {exc}") from exc
    return expand_cases(cases, where=path.name)


def cases_frame(cases: list[dict], features: Sequence[str] | None) -> tuple[pd.DataFrame, list]:
    """The model's input frame (columns in ``features`` order, or as the cases give them)
    and the expected outputs.

    Raises:
        DataError: a case lacks a feature, or gives a column that is not a feature.
    """
    frame = pd.DataFrame.from_records(cases)
    inputs = [c for c in frame.columns if c not in (EXPECTED, NAME)]
    if features is not None:
        missing = [c for c in features if c not in inputs]
        extra = [c for c in inputs if c not in features]
        if missing or extra:
            raise DataError(
                "minimum-functionality cases must give exactly the model's features "
                f"{list(features)}; missing: {missing}, not features: {extra}"
            )
        inputs = list(features)
    for case in cases:
        lacking = [c for c in inputs if c not in case]
        if lacking:
            raise DataError(
                f"case {case.get(NAME)!r} does not give feature(s) {lacking}; every case must "
                "give every feature (write null for a missing value)"
            )
    return frame[inputs], frame[EXPECTED].tolist()
