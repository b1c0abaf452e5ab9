"""The rows that store one result document: a run, its stages, models, datasets and
checks. Reads the document defensively; only the gate name and the verdict are required."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from mlgate.core.decision import stage_reached as decided_stage_reached
from mlgate.core.errors import ResultError


def result_rows(result: Mapping[str, Any]) -> dict[str, Any]:
    """The rows that store ``result``; raises ResultError when it is not a result."""
    if not isinstance(result, Mapping):
        raise ResultError(f"a result document must be a mapping; got {type(result).__name__}")
    gate = result.get("gate") if isinstance(result.get("gate"), Mapping) else {}
    if not isinstance(gate.get("name"), str) or not isinstance(result.get("verdict"), str):
        raise ResultError(
            "a result document needs 'gate.name' and 'verdict' (the layout of result.json); "
            f"got keys {sorted(map(str, result))}"
        )
    try:
        text = json.dumps(result, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ResultError(f"the result cannot be stored as JSON: {exc}") from exc
    run = _map(result.get("run"))
    models = _map(result.get("models"))
    candidate = _map(models.get("candidate"))
    run_row = (
        gate["name"],
        _text(gate.get("file")),
        _text(gate.get("task")),
        _text(candidate.get("identity")),
        result["verdict"],
        _int(result.get("exit_code")),
        _int(run.get("seed")),
        _text(run.get("started_at")),
        _text(run.get("finished_at")),
        _num(run.get("duration_s")),
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
        _text(result.get("mlgate_version")),
        _text(result.get("schema_version")),
        text,
        stage_reached(result),
    )
    stages = [
        (str(s.get("name")), str(s.get("verdict")))
        for s in _list(result.get("stages"))
        if isinstance(s, Mapping)
    ]
    model_rows = [
        (str(role), _text(m.get("kind")), _text(m.get("class")), _text(m.get("identity")))
        for role, m in models.items()
        if isinstance(m, Mapping)
    ]
    data_rows = [
        (str(name), _int(d.get("rows")), _text(d.get("fingerprint")))
        for name, d in _map(result.get("datasets")).items()
        if isinstance(d, Mapping)
    ]
    checks = [_check_row(i, c) for i, c in enumerate(_list(result.get("checks")))]
    check_cols = (
        "position", "stages", "check_id", "kind", "check_type", "status", "severity", "metric",
        "model", "dataset", "value", "ci_low", "ci_high", "ci_level", "ci_method",
        "threshold_op", "threshold_value", "sample_size",
    )  # fmt: skip
    return {
        "run": run_row,
        "children": (
            ("run_stages", ("stage", "verdict"), _unique(stages)),
            ("run_models", ("role", "kind", "class", "identity"), model_rows),
            ("run_datasets", ("name", "rows", "fingerprint"), data_rows),
            ("run_checks", check_cols, [c for c in checks if c is not None]),
        ),
    }


#: Stage verdicts that let a model go on to the next stage.


def stage_reached(result: Mapping[str, Any]) -> str | None:
    """The stage the run's model reached (:func:`mlgate.core.decision.stage_reached` over
    ``result``'s stages, in gate-file order; a stage entry that is not a mapping stops the
    climb). None for a partial run (``run.partial``)."""
    stages = []
    for s in _list(result.get("stages")):
        if not isinstance(s, Mapping):
            break
        stages.append((str(s.get("name")), s.get("verdict")))
    return decided_stage_reached(stages, partial=_map(result.get("run")).get("partial") is True)


def _check_row(position: int, c: Any) -> tuple[Any, ...] | None:
    if not isinstance(c, Mapping):
        return None
    iv, th, ev = _map(c.get("interval")), _map(c.get("threshold")), _map(c.get("evidence"))
    return (
        position,
        ",".join(str(s) for s in _list(c.get("stages"))),
        str(c.get("id", "?")),
        _text(c.get("kind")),
        _text(c.get("check")),
        _text(c.get("status")),
        _text(c.get("severity")),
        _text(c.get("metric")),
        ev.get("model") if isinstance(ev.get("model"), str) else None,
        ev.get("dataset") if isinstance(ev.get("dataset"), str) else None,
        _num(c.get("value")),
        _num(iv.get("low")),
        _num(iv.get("high")),
        _num(iv.get("level")),
        _text(iv.get("method")),
        _text(th.get("op")),
        _num(th.get("value")),
        _int(c.get("sample_size")),
    )


def _unique(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for row in rows:
        seen.setdefault(row[0], row)
    return list(seen.values())


def _map(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def _list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else []


def _text(x: Any) -> str | None:
    return None if x is None else str(x)


def _int(x: Any) -> int | None:
    return int(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None
