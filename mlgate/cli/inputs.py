"""Reading the CLI's inputs, with errors that name the file and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlgate.core.errors import MlgateError


class InputError(MlgateError, ValueError):
    """A file given on the command line is missing or is not what the command needs."""


def read_result_file(path: str | Path) -> dict[str, Any]:
    """A ``result.json`` written by mlgate. Raises InputError for a missing file, invalid
    JSON, or JSON that is not an mlgate result."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (expected a result.json written by mlgate)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or "schema_version" not in doc or "checks" not in doc:
        raise InputError(f"{path}: not an mlgate result (no 'schema_version' / 'checks' keys)")
    if str(doc["schema_version"]).split(".")[0] != "1":
        raise InputError(
            f"{path}: result schema {doc['schema_version']!r} is not supported "
            "by this mlgate (supports 1.x)"
        )
    return doc


def write_text(text: str, out: str | None, default: Path) -> Path | None:
    """Write to ``out`` (``-`` for stdout) or ``default``; return the path written."""
    if out == "-":
        import sys

        sys.stdout.write(text)
        return None
    path = Path(out) if out else default
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
