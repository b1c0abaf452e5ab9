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
            "engine": engine_record(config, loaded),
        },
        "verdict": _overall(decisions := list(decisions)),
        "exit_code": int(exit_code),
        "stages": [d.to_dict() for d in decisions],
        "checks": [r.to_dict() for r in results],
        "models": dict(loaded.get("models", {})),
        "datasets": dict(loaded.get("datasets", {})),
        "model_card": config.model_card.to_json(),
    }


def engine_record(config: GateConfig, loaded: Mapping[str, Any]) -> dict[str, Any]:
    """``run.engine``: which engine read and predicted the rows, its scheduler's kind (never
    the address, which may name private hosts: ``LocalCluster``, or the address's scheme,
    ``tcp``), and the partitions of each partitioned dataset; ``lost_workers`` and
    ``retried_partitions`` (counts) only when the Dask scheduler lost a worker during the run
    and ran that worker's partitions again (``datasets.<name>.engine.retried`` names them).

    The gate's ``engine`` setting (with ``--mlgate-engine`` / ``--mlgate-scheduler`` applied
    by the session) says which engine ran; a description the context gives under ``engine``
    (``Engine.describe()``) takes precedence, for an engine passed from Python."""
    given = loaded.get("engine") if isinstance(loaded.get("engine"), Mapping) else {}
    spec = getattr(config, "engine", None)
    name = str(given.get("name") or getattr(spec, "name", None) or "local")
    address = given.get("scheduler", getattr(spec, "scheduler", None))
    scheduler = None
    if name != "local":
        scheduler = scheduler_kind(address)
    partitions = {}
    for dataset, info in sorted(dict(loaded.get("datasets", {})).items()):
        engine = info.get("engine") if isinstance(info, Mapping) else None
        if isinstance(engine, Mapping) and isinstance(engine.get("partitions"), int):
            partitions[str(dataset)] = int(engine["partitions"])
    record: dict[str, Any] = {"name": name, "scheduler": scheduler, "partitions": partitions}
    for key in ("lost_workers", "retried_partitions"):  # only when Dask lost a worker
        if isinstance(given.get(key), int) and given[key]:
            record[key] = int(given[key])
    return record


def scheduler_kind(address: Any) -> str:
    """A scheduler address reduced to its kind: ``tcp://10.1.2.3:8786`` → ``tcp``; none (or
    ``LocalCluster``) → ``LocalCluster``; an address without a scheme → ``address``."""
    if address is None or str(address) in ("LocalCluster", "client"):
        return "LocalCluster" if address is None else str(address)
    text = str(address)
    scheme, sep, _ = text.partition("://")
    if sep and scheme.isascii() and scheme.replace("+", "").replace("-", "").isalnum():
        return scheme.lower()
    return "address"


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
