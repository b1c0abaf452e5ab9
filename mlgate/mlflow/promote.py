"""Move a registry alias to the version the gate judged, only when its stage promoted.

The decision is the result's, never this module's: a stage whose verdict is ``promote`` or
``promote_with_warnings`` moves the alias; ``hold`` (or any other verdict) leaves the
registry untouched. Who and what decided is written to the version's tags first, then the
alias moves, then the move is read back. A registry error at any step leaves the alias where
it was (MLflow sets an alias in one request) and says so (docs/mlflow.md, "Promotion").
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from mlgate.mlflow import result as rd
from mlgate.mlflow.errors import MlflowInputError, RegistryError
from mlgate.mlflow.registry import Registry
from mlgate.models.mlflow_uri import aliases_of

#: Environment variables that name who ran the promotion, first set wins.
USER_VARIABLES = ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR", "USER", "USERNAME")


class Outcome(str, enum.Enum):
    MOVED = "moved"  # the alias now points to the candidate's version
    UNCHANGED = "unchanged"  # it already did; the tags were refreshed
    HELD = "held"  # the stage did not promote; the registry was not touched


@dataclass(frozen=True)
class Promotion:
    """What :func:`promote` did."""

    outcome: Outcome
    model_name: str
    alias: str
    version: str | None
    stage: str
    verdict: str
    previous_version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    @property
    def moved(self) -> bool:
        return self.outcome is Outcome.MOVED

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outcome"] = self.outcome.value
        return d

    def summary(self) -> str:
        """One line for a terminal or a CI log."""
        target = f"{self.model_name}@{self.alias}"
        if self.outcome is Outcome.HELD:
            why = f": {'; '.join(self.reasons)}" if self.reasons else ""
            return f"held: stage {self.stage!r} is {self.verdict}, so {target} was not moved{why}"
        was = f"was version {self.previous_version}" if self.previous_version else "was not set"
        if self.outcome is Outcome.UNCHANGED:
            return (
                f"unchanged: {target} already points to version {self.version} "
                f"(stage {self.stage!r} {self.verdict}); decision tags refreshed"
            )
        return (
            f"promoted: {target} → version {self.version} ({was}); stage {self.stage!r} "
            f"{self.verdict}; decision recorded in the version's mlgate.{self.alias}.* tags"
        )


def promote(
    result_doc: Mapping[str, Any],
    *,
    stage: str,
    model_name: str,
    alias: str,
    tracking_uri: str | None,
    version: str | int | None = None,
    role: str = "candidate",
    user: str | None = None,
    now: datetime | None = None,
) -> Promotion:
    """Point ``model_name@alias`` at the judged model's version when ``stage`` promoted.

    The version is the one the result recorded for model ``role`` (loaded from
    ``models:/<model_name>@…`` or ``/…``); for a model loaded from ``runs:/`` it is the
    version of ``model_name`` registered from that run; ``version`` may name it and must
    then agree. On promote, the tags ``mlgate.<alias>.{gate, result_fingerprint, stage,
    verdict, decided_by, decided_at, mlgate_version, previous_version, ci_run}`` are set on
    that version, then the alias is moved and read back.

    Returns a :class:`Promotion` (``HELD`` when the stage did not promote: nothing was
    touched).

    Raises:
        ResultError: ``result_doc`` is not an mlgate result.
        MlflowInputError: ``alias`` is not a name MLflow allows; ``stage`` was not decided;
            the result's model is not a version of ``model_name`` or not ``version``; no
            version can be found for it. Raised before any registry write.
        RegistryError: the registry refused or failed a request; the message says where the
            alias points (it was not moved) and how to fix it.
        MissingDependencyError: mlflow is not installed (``mlgate[mlflow]``).
    """
    doc = rd.checked(result_doc)
    if not re.fullmatch(r"[\w-]+", alias) or re.fullmatch(r"latest|v\d+", alias, re.I):
        raise MlflowInputError(
            f"alias {alias!r} cannot be set: MLflow aliases use letters, digits, '_' and '-', "
            "and reserve 'latest' and 'v<number>'; name another alias (e.g. champion)"
        )
    decision = rd.stage_decision(doc, stage)
    verdict = str(decision.get("verdict"))
    origin = rd.model_origin(doc, role)
    recorded_model, recorded_version = origin.get("model"), origin.get("version")
    what = _judged(origin, role)
    if recorded_model is not None and recorded_model != model_name:
        raise MlflowInputError(
            f"the gate judged {what}, not a version of {model_name!r}; promote "
            f"{recorded_model!r}, or gate a version of {model_name!r}"
        )
    wanted = None if version is None else str(version)
    if wanted is not None and recorded_version is not None and wanted != recorded_version:
        raise MlflowInputError(
            f"the gate judged {what}, not version {wanted}; only the judged version can be "
            f"promoted: drop --version or pass {recorded_version}"
        )
    if verdict not in rd.PROMOTING:
        reasons = tuple(str(r) for r in decision.get("reasons") or ())
        held_version = recorded_version or wanted
        return Promotion(
            Outcome.HELD, model_name, alias, held_version, stage, verdict, reasons=reasons
        )
    reg = Registry(tracking_uri)
    target = wanted or recorded_version or _version_from_run(reg, origin, model_name, what)
    if target is None:
        raise MlflowInputError(
            f"the gate judged {what}, which is no registry version of {model_name!r}; "
            f"pass --version N (a version of {model_name!r}), or gate "
            f"'models:/{model_name}@<alias>' so the result records it"
        )
    where = f"version {target} of {model_name!r} (alias @{alias})"
    untouched = f"Nothing was changed: @{alias} was not moved"
    mv = reg.call(
        f"read {where}",
        reg.client.get_model_version,
        model_name,
        target,
        state=untouched,
    )
    run_id = origin.get("run_id")
    if run_id and getattr(mv, "run_id", None) and mv.run_id != run_id:
        raise RegistryError(
            f"{where} comes from run {mv.run_id}, but the gate judged a model from run "
            f"{run_id}. {untouched}. Fix: gate the version you mean to promote"
        )
    registered = reg.call(
        f"read the aliases of {model_name!r}",
        reg.client.get_registered_model,
        model_name,
        state=untouched,
    )
    previous = aliases_of(registered).get(alias)
    stays = f"@{alias} still points to version {previous}" if previous else f"@{alias} is not set"
    tags = decision_tags(doc, stage=stage, verdict=verdict, alias=alias, user=user, now=now)
    tags[f"mlgate.{alias}.previous_version"] = previous or ""
    for key, value in tags.items():
        reg.call(
            f"tag {where} with {key}",
            reg.client.set_model_version_tag,
            model_name,
            target,
            key,
            value,
            state=f"{stays} (not moved); tags set before this one remain",
        )
    if previous == target:
        return Promotion(
            Outcome.UNCHANGED, model_name, alias, target, stage, verdict, previous, tags
        )
    reg.call(
        f"move @{alias} to {where}",
        reg.client.set_registered_model_alias,
        model_name,
        alias,
        target,
        state=f"{stays} (not moved); the decision tags are on version {target}",
    )
    now_at = reg.call(
        f"read back @{alias} of {model_name!r}",
        reg.client.get_model_version_by_alias,
        model_name,
        alias,
        state=f"@{alias} was set to version {target} but could not be read back",
        fix=f"check @{alias} in the registry (MlflowClient().get_model_version_by_alias)",
    )
    if str(now_at.version) != target:
        raise RegistryError(
            f"@{alias} of {model_name!r} was set to version {target} but reads back as "
            f"version {now_at.version} on {reg.tracking}: another writer moved it. Fix: "
            "check who moves this alias, then promote again"
        )
    return Promotion(Outcome.MOVED, model_name, alias, target, stage, verdict, previous, tags)


def decision_tags(
    doc: Mapping[str, Any],
    *,
    stage: str,
    verdict: str,
    alias: str,
    user: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The ``mlgate.<alias>.*`` tags that record who and what decided a promotion. Keyed by
    alias, so a version promoted to @staging and later @champion keeps both decisions."""
    now = now or datetime.now(timezone.utc)
    tags = {
        "gate": rd.gate_name(doc),
        "result_fingerprint": rd.fingerprint(doc),
        "stage": stage,
        "verdict": verdict,
        "seed": str(rd.seed(doc)),
        "decided_by": user or decided_by(),
        "decided_at": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "mlgate_version": str(doc.get("mlgate_version") or ""),
    }
    ci = ci_run_url()
    if ci:
        tags["ci_run"] = ci
    return {f"mlgate.{alias}.{k}": v for k, v in tags.items()}


def decided_by() -> str:
    """The user from the environment (:data:`USER_VARIABLES`), else ``unknown``."""
    for name in USER_VARIABLES:
        value = os.environ.get(name)
        if value:
            return value
    return "unknown"


def ci_run_url() -> str | None:
    """The CI job that ran the promotion: GitHub Actions' run URL or GitLab's job URL."""
    env = os.environ
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL") or None


def _judged(origin: Mapping[str, str], role: str) -> str:
    """``version 2 of 'churn' (models:/churn@challenger)``, or what else the model was."""
    if origin.get("version"):
        return f"version {origin['version']} of {origin.get('model')!r} ({origin.get('uri')})"
    if origin.get("uri"):
        return f"the model at {origin['uri']}"
    return f"a model {role!r} that was not loaded from MLflow"


def _version_from_run(
    reg: Registry, origin: Mapping[str, str], model_name: str, what: str
) -> str | None:
    """The one version of ``model_name`` registered from the judged model's run."""
    run_id = origin.get("run_id")
    if not run_id:
        return None
    found = reg.call(
        f"find the versions of {model_name!r} from run {run_id}",
        reg.client.search_model_versions,
        f"name='{model_name}' and run_id='{run_id}'",
        state="Nothing was changed",
    )
    versions = sorted({str(v.version) for v in found}, key=int)
    if len(versions) > 1:
        raise MlflowInputError(
            f"the gate judged {what}; run {run_id} has versions {versions} of "
            f"{model_name!r}: pass --version to say which one to promote"
        )
    return versions[0] if versions else None
