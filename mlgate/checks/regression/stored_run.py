"""The earlier run ``previous_run`` compares with: its stored ``result.json`` (a file, or a run
of the history database), the stored check for each metric, and whether it evaluated the same
data (the datasets' fingerprints)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.core.context import GateContext
from mlgate.core.errors import DataError

if TYPE_CHECKING:
    from mlgate.checks.regression.previous_run import HistorySource, PreviousRunParams


def from_history(ctx: GateContext, source: HistorySource) -> tuple[dict[str, Any], str]:
    """The stored result of the run ``source`` names, and a label for it. Raises DataError
    when the database or the run is missing (HistoryError for a foreign or corrupt file)."""
    from mlgate.history import History

    db = (ctx.gate.base_dir / source.db).resolve()
    if not db.is_file():
        raise DataError(
            f"previous run: no history database at {str(db)!r} (gate runs record one in their "
            "report directory; point 'history.db' at it, relative to the gate file)"
        )
    history = History(db)
    gate = source.gate or ctx.gate.config.name
    if isinstance(source.run, int):
        return history.get(source.run), f"{source.db} run {source.run}"
    verdicts = ("promote", "promote_with_warnings") if source.run == "latest_promoted" else None
    doc = history.latest(gate, verdict=verdicts)
    if doc is None:
        which = "promoted run" if verdicts else "run"
        raise DataError(
            f"previous run: {str(db)!r} has no {which} of gate {gate!r} to compare with "
            "(the first run has nothing before it; use a stored result.json with 'path')"
        )
    return doc, f"{source.db} {source.run} of {gate!r}"


def load_previous(path: Path) -> dict[str, Any]:
    """An earlier run's result.json. Raises DataError naming the file."""
    if not path.is_file():
        raise DataError(f"previous run: no result.json at {str(path)!r}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"previous run: {str(path)!r} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("checks"), list):
        raise DataError(f"previous run: {str(path)!r} has no 'checks' list (not a result.json?)")
    return doc


def stored_check(doc: dict[str, Any], p: PreviousRunParams, metric: str) -> dict[str, Any]:
    """The stored check to compare ``metric`` with. Raises DataError when there is none, or
    several that disagree (then name one with ``previous_check``)."""
    wanted = p.check_id_of(metric)
    found = []
    for c in doc["checks"]:
        if c.get("value") is None:
            continue
        if wanted is not None:
            if c.get("id") == wanted:
                found.append(c)
            continue
        ev = c.get("evidence") or {}
        if (
            c.get("metric") == metric
            and ev.get("model", p.previous_model) == p.previous_model
            and ev.get("dataset", p.dataset) == p.dataset
        ):
            found.append(c)
    if not found:
        what = f"id {wanted!r}" if wanted else f"metric {metric!r} of model {p.previous_model!r}"
        raise DataError(f"previous run has no check with a value for {what}")
    if len({(c.get("value"), json.dumps(c.get("interval"))) for c in found}) > 1:
        ids = sorted({c.get("id") for c in found})
        raise DataError(
            f"previous run has several different {metric!r} results ({ids}); choose one with "
            "previous_check"
        )
    return found[0]


def same_data(doc: dict[str, Any], ctx: GateContext, dataset: str) -> bool | None:
    """Whether the stored run evaluated the same rows (its dataset fingerprint); None when it
    recorded none."""
    stored = ((doc.get("datasets") or {}).get(dataset) or {}).get("fingerprint")
    if not stored:
        return None
    # the engine's: a partitioned dataset on Dask is hashed on the workers, not gathered
    return stored == "sha256:" + ctx.engine.fingerprint(ctx, dataset)
