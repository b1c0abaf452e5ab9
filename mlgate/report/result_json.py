"""``result.json``: the machine-readable record of a gate run (fields and evidence blocks in
docs/result-json.md).

Same inputs and seed give the same bytes, except the ``run.started_at`` / ``run.finished_at``
timestamps and ``run.duration_s``.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.config.schema import GateConfig
from mlgate.core.decision import ExitCode, StageDecision
from mlgate.core.result import CheckResult

#: 1.1: evidence may hold typed blocks, mappings tagged with ``type`` (docs/result-json.md);
#: a 1.0 reader still reads every field it knew.
SCHEMA_VERSION = "1.1"
TIMING_KEYS = ("started_at", "finished_at", "duration_s")


def build_result(
    *,
    config: GateConfig,
    gate_file: str,
    seed: int,
    stages: Iterable[str],
    results: Iterable[CheckResult],
    decisions: Iterable[StageDecision],
    exit_code: ExitCode,
    loaded: Mapping[str, Any],
    timing: Mapping[str, Any],
) -> dict[str, Any]:
    """Assemble the result document. ``timing`` holds the only non-reproducible fields."""
    return {
        "schema_version": SCHEMA_VERSION,
        "mlgate_version": __version__,
        "gate": {
            "name": config.name,
            "description": config.description,
            "file": gate_file,
            "task": config.task.value,
        },
        "run": {
            "seed": seed,
            "stages": list(stages),
            "python": platform.python_version(),
            **{k: timing.get(k) for k in TIMING_KEYS},
        },
        "verdict": _overall(decisions := list(decisions)),
        "exit_code": int(exit_code),
        "stages": [d.to_dict() for d in decisions],
        "checks": [r.to_dict() for r in results],
        "models": dict(loaded.get("models", {})),
        "datasets": dict(loaded.get("datasets", {})),
        "model_card": config.model_card.to_json(),
    }


def _overall(decisions: list[StageDecision]) -> str:
    verdicts = {d.verdict.value for d in decisions}
    for v in ("hold", "promote_with_warnings", "promote"):
        if v in verdicts:
            return v
    return "hold"


def dumps(doc: Mapping[str, Any]) -> str:
    """Canonical JSON text: two-space indent, keys in document order, trailing newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_result(doc: Mapping[str, Any], report_dir: Path) -> Path:
    """Write ``result.json`` into ``report_dir`` (created if needed); returns its path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "result.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(dumps(doc), encoding="utf-8")
    tmp.replace(path)
    return path


def read_result(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
