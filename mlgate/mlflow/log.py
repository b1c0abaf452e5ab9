"""Log a gate run to MLflow: the verdict per stage, every check's statistic with its interval,
and the report, summary and model card as artifacts (docs/mlflow.md, "What is logged")."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlgate.mlflow import result as rd
from mlgate.mlflow.errors import MlflowInputError
from mlgate.mlflow.registry import Registry

#: The files of a report directory that are logged, in this order, under ``ARTIFACT_DIR``.
OUTPUT_FILES = (
    "result.json",
    "report.html",
    "summary.md",
    "model_card.md",
    "model_card.json",
    "model_card.html",
)
ARTIFACT_DIR = "mlgate"
PREFIX = "mlgate."
# MLflow's per-request limits for log_batch (the server rejects bigger batches).
_BATCH = {"metrics": 1000, "params": 100, "tags": 100}
_TAG_VALUE_LIMIT = 5000  # below every MLflow version's limit


@dataclass(frozen=True)
class LoggedRun:
    """Where a gate run was logged, and what was logged."""

    run_id: str
    experiment_id: str
    new_run: bool
    metrics: tuple[str, ...]
    tags: tuple[str, ...]
    artifacts: tuple[str, ...]
    tracking_uri: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """``logged to MLflow run <id> (new run; 12 metrics, 9 tags, 6 artifacts) on <uri>``."""
        which = "new run" if self.new_run else "existing run"
        return (
            f"logged to MLflow run {self.run_id} ({which}; {len(self.metrics)} metrics, "
            f"{len(self.tags)} tags, {len(self.artifacts)} artifacts) on {self.tracking_uri}"
        )


def log_run(
    result_doc: Mapping[str, Any],
    outputs_dir: str | Path,
    *,
    tracking_uri: str | None,
    run_id: str | None = None,
    experiment: str | None = None,
) -> LoggedRun:
    """Log the gate run ``result_doc`` describes into an MLflow run and return where.

    A new run in ``experiment`` (default: the gate's name, created if needed) unless
    ``run_id`` names an existing run, such as the candidate's own
    (:func:`mlgate.mlflow.candidate_run_id`). Logged:

    - metrics ``mlgate.check.<stage>.<check id>`` (the statistic) with ``.ci_low`` /
      ``.ci_high`` (its interval), and ``mlgate.verdict.<stage>`` (1 promote, 0 hold);
    - tags ``mlgate.gate``, ``mlgate.seed``, ``mlgate.verdict``, ``mlgate.verdict.<stage>``,
      ``mlgate.result_fingerprint``, ``mlgate.candidate.*`` (the candidate's MLflow origin)
      and ``mlgate.check.<stage>.<check id>`` (status, value, interval with its level and
      method, bound, n);
    - params ``mlgate.gate``, ``mlgate.seed``, ``mlgate.stages`` in a new run only (a run's
      params cannot change, so the candidate's run gets them as tags);
    - the files of ``outputs_dir`` among :data:`OUTPUT_FILES` under ``mlgate/`` (result.json
      from ``result_doc`` when the folder has none).

    Raises:
        ResultError: ``result_doc`` is not an mlgate result.
        MlflowInputError: ``outputs_dir`` is not a folder; both ``run_id`` and ``experiment``.
        RegistryError: the server refused or failed a request (a new run is marked FAILED).
        MissingDependencyError: mlflow is not installed (``mlgate[mlflow]``).
    """
    doc = rd.checked(result_doc)
    outputs = Path(outputs_dir)
    if not outputs.is_dir():
        raise MlflowInputError(
            f"{outputs}: no such folder; pass the report directory the gate wrote "
            "(--mlgate-report-dir, default reports/)"
        )
    if run_id is not None and experiment is not None:
        raise MlflowInputError(
            f"give run_id ({run_id}) or experiment ({experiment}), not both: a run already "
            "belongs to an experiment"
        )
    reg = Registry(tracking_uri)
    new_run = run_id is None
    if new_run:
        experiment_id = _experiment(reg, experiment or rd.gate_name(doc))
        run = reg.call(
            f"create a run in experiment {experiment_id}",
            reg.client.create_run,
            experiment_id,
            run_name=f"mlgate {rd.gate_name(doc)}: {doc.get('verdict')}",
            state="nothing was logged",
        )
    else:
        run = reg.call(
            f"find run {run_id!r}",
            reg.client.get_run,
            run_id,
            state="nothing was logged",
            fix="pass the id of an existing run, or log to a new run (no --run-id)",
        )
    rid, experiment_id = run.info.run_id, run.info.experiment_id
    try:
        metrics, params, tags = _records(doc, new_run=new_run)
        _log_batches(reg, rid, metrics, params, tags)
        artifacts = _log_artifacts(reg, rid, doc, outputs)
    except BaseException as exc:
        if new_run:
            _terminate(reg, rid, "FAILED")
        if reg.is_error(exc):
            raise reg.fail(
                f"log the gate run to run {rid}",
                exc,
                state="the run holds what was logged before the failure"
                + (" and is marked FAILED" if new_run else ""),
            ) from exc
        raise
    if new_run:
        # MLflow prints the run's URL to stdout here; stdout is the caller's (a command's one
        # line of output, pytest's terminal), so the URL goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            reg.call(
                f"finish run {rid}",
                reg.client.set_terminated,
                rid,
                "FINISHED",
                state="everything was logged; the run is still marked RUNNING",
            )
    return LoggedRun(
        run_id=rid,
        experiment_id=str(experiment_id),
        new_run=new_run,
        metrics=tuple(m.key for m in metrics),
        tags=tuple(t.key for t in tags),
        artifacts=artifacts,
        tracking_uri=reg.tracking,
    )


def _experiment(reg: Registry, name: str) -> str:
    exp = reg.call(
        f"look up experiment {name!r}",
        reg.client.get_experiment_by_name,
        name,
        state="nothing was logged",
    )
    if exp is None:
        return reg.call(
            f"create experiment {name!r}",
            reg.client.create_experiment,
            name,
            state="nothing was logged",
        )
    if getattr(exp, "lifecycle_stage", "active") == "deleted":
        raise MlflowInputError(
            f"experiment {name!r} is deleted on {reg.tracking}; restore it "
            "(MlflowClient().restore_experiment(...)) or pass another --experiment"
        )
    return exp.experiment_id


def _records(doc: Mapping[str, Any], *, new_run: bool) -> tuple[list, list, list]:
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    metrics: list[Metric] = []
    tags = {
        "gate": rd.gate_name(doc),
        "seed": str(rd.seed(doc)),
        "verdict": str(doc.get("verdict")),
        "result_fingerprint": rd.fingerprint(doc),
        "mlgate_version": str(doc.get("mlgate_version") or ""),
        "gate_file": str(dict(doc.get("gate") or {}).get("file") or ""),
    }
    for stage, verdict in rd.stage_verdicts(doc).items():
        tags[f"verdict.{stage}"] = verdict
        value = 1.0 if verdict in rd.PROMOTING else 0.0
        metrics.append(Metric(f"{PREFIX}verdict.{stage}", value, now, 0))
    for key, value in rd.model_origin(doc).items():
        tags[f"candidate.{key}"] = value
    for row in rd.metric_rows(doc):
        for stage in row.stages:  # an id is unique within its stage only
            name = f"check.{stage}.{row.check_id}"
            tags[name] = row.describe()
            for suffix, value in (("", row.value), (".ci_low", row.low), (".ci_high", row.high)):
                if value is not None:
                    metrics.append(Metric(f"{PREFIX}{name}{suffix}", value, now, 0))
    params = []
    if new_run:
        stages = ",".join(rd.stage_verdicts(doc))
        params = [
            Param(f"{PREFIX}gate", tags["gate"][:500]),
            Param(f"{PREFIX}seed", tags["seed"]),
            Param(f"{PREFIX}stages", stages[:500]),
        ]
    run_tags = [RunTag(PREFIX + k, v[:_TAG_VALUE_LIMIT]) for k, v in tags.items() if v]
    return metrics, params, run_tags


def _log_batches(reg: Registry, run_id: str, metrics: list, params: list, tags: list) -> None:
    for kind, items in (("metrics", metrics), ("params", params), ("tags", tags)):
        size = _BATCH[kind]
        for start in range(0, len(items), size):
            reg.client.log_batch(run_id, **{kind: items[start : start + size]})


def _log_artifacts(reg: Registry, run_id: str, doc: Mapping[str, Any], outputs: Path) -> tuple:
    logged = []
    for name in OUTPUT_FILES:
        path = outputs / name
        if path.is_file():
            reg.client.log_artifact(run_id, str(path), artifact_path=ARTIFACT_DIR)
            logged.append(f"{ARTIFACT_DIR}/{name}")
    if f"{ARTIFACT_DIR}/result.json" not in logged:
        reg.client.log_dict(run_id, dict(doc), f"{ARTIFACT_DIR}/result.json")
        logged.insert(0, f"{ARTIFACT_DIR}/result.json")
    return tuple(logged)


def _terminate(reg: Registry, run_id: str, status: str) -> None:
    # Best effort: the failure that brought us here is what the user must see.
    with contextlib.suppress(Exception), contextlib.redirect_stdout(sys.stderr):
        reg.client.set_terminated(run_id, status)
