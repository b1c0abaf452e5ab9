"""What the MLflow integration reads from a result document (the content of result.json):
the stage decisions, where the candidate came from, the metrics and a fingerprint."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlgate.core.errors import ResultError
from mlgate.mlflow.errors import MlflowInputError

#: The fields of ``run`` that differ between two runs of the same gate on the same inputs
#: (result.json is otherwise byte-identical); the fingerprint leaves them out.
TIMING_KEYS = ("started_at", "finished_at", "duration_s")
#: Verdicts that let a stage promote.
PROMOTING = ("promote", "promote_with_warnings")


def checked(doc: Any) -> Mapping[str, Any]:
    """``doc`` if it looks like a result document, else ResultError naming what is missing."""
    if not isinstance(doc, Mapping):
        raise ResultError(
            f"a result document must be a mapping (the content of result.json); "
            f"got {type(doc).__name__}"
        )
    missing = [k for k in ("gate", "run", "stages", "checks", "models") if k not in doc]
    if missing:
        raise ResultError(f"not an mlgate result: no {missing} (expected a result.json)")
    return doc


def gate_name(doc: Mapping[str, Any]) -> str:
    return str(_mapping(doc.get("gate")).get("name") or "unnamed gate")


def seed(doc: Mapping[str, Any]) -> int | None:
    value = _mapping(doc.get("run")).get("seed")
    return value if isinstance(value, int) else None


def stage_verdicts(doc: Mapping[str, Any]) -> dict[str, str]:
    """``{stage: verdict}`` in decision order."""
    return {
        str(s.get("name")): str(s.get("verdict"))
        for s in doc.get("stages") or ()
        if isinstance(s, Mapping)
    }


def stage_decision(doc: Mapping[str, Any], stage: str) -> Mapping[str, Any]:
    """The decision of ``stage``; MlflowInputError naming the stages the run decided."""
    for s in doc.get("stages") or ():
        if isinstance(s, Mapping) and s.get("name") == stage:
            return s
    decided = list(stage_verdicts(doc))
    raise MlflowInputError(
        f"stage {stage!r} was not decided in this run (decided: {decided}); name one of "
        f"those, or run the gate with --mlgate-stage {stage}"
    )


def model_origin(doc: Mapping[str, Any], role: str = "candidate") -> dict[str, str]:
    """The ``mlflow_*`` fields the model ``role`` recorded (empty when it did not come from
    MLflow), without the prefix: ``uri``, ``model``, ``version``, ``alias``, ``run_id``, ..."""
    info = _mapping(_mapping(doc.get("models")).get(role))
    return {k[len("mlflow_") :]: str(v) for k, v in info.items() if k.startswith("mlflow_") and v}


def candidate_run_id(doc: Any) -> str | None:
    """The MLflow run the candidate model was logged in, when it came from MLflow."""
    return model_origin(checked(doc)).get("run_id")


def fingerprint(doc: Mapping[str, Any]) -> str:
    """``sha256:`` of the result without its timing fields: the same gate on the same inputs
    and seed gives the same fingerprint, so anyone can re-run it and compare."""
    stable = dict(doc)
    stable["run"] = {k: v for k, v in _mapping(doc.get("run")).items() if k not in TIMING_KEYS}
    text = json.dumps(stable, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MetricRow:
    """One check's statistic as MLflow gets it."""

    check_id: str
    stages: tuple[str, ...]
    status: str
    metric: str | None
    value: float | None
    low: float | None
    high: float | None
    level: float | None
    method: str | None
    threshold: str | None
    sample_size: int | None

    def describe(self) -> str:
        """``passed: accuracy 0.91 [0.88, 0.93] (95% wilson), bound >= 0.8, n=400``."""
        parts = [self.status + ":"]
        if self.metric:
            parts.append(self.metric)
        if self.value is not None:
            parts.append(f"{self.value:.6g}")
        if self.low is not None and self.high is not None:
            level = f"{self.level:.0%} " if self.level is not None else ""
            parts.append(f"[{self.low:.6g}, {self.high:.6g}] ({level}{self.method or 'interval'})")
        text = " ".join(parts)
        if self.threshold:
            text += f", bound {self.threshold}"
        if self.sample_size is not None:
            text += f", n={self.sample_size}"
        return text


def metric_rows(doc: Mapping[str, Any]) -> list[MetricRow]:
    """One row per check, in result order. A check id is unique within a stage, not across
    stages: name a row by its stage and id."""
    rows = []
    for c in doc.get("checks") or ():
        if not isinstance(c, Mapping):
            continue
        interval = _mapping(c.get("interval"))
        threshold = _mapping(c.get("threshold"))
        bound = _number(threshold.get("value"))
        rows.append(
            MetricRow(
                check_id=str(c.get("id")),
                stages=tuple(str(x) for x in c.get("stages") or ()),
                status=str(c.get("status")),
                metric=str(c["metric"]) if c.get("metric") else None,
                value=_number(c.get("value")),
                low=_number(interval.get("low")),
                high=_number(interval.get("high")),
                level=_number(interval.get("level")),
                method=str(interval["method"]) if interval.get("method") else None,
                threshold=f"{threshold.get('op')} {bound:g}" if bound is not None else None,
                sample_size=c["sample_size"] if isinstance(c.get("sample_size"), int) else None,
            )
        )
    return rows


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def _mapping(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}
