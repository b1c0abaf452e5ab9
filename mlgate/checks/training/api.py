"""The Python API of the training probes: :func:`check_training` returns a
:class:`~mlgate.core.result.CheckResult` a marker test can hand to ``mlgate_record``::

    @pytest.mark.mlgate(kind="training")
    def test_mlp_can_learn(mlgate, mlgate_record):
        mlgate_record(
            check_training(make_mlp, torch.nn.CrossEntropyLoss(), make_optimizer,
                           train_batch(), seed=mlgate.seed, device=mlgate.device)
        )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from mlgate.checks.training.eval_mode import probe_eval_mode
from mlgate.checks.training.inputs import probe_input_dependence
from mlgate.checks.training.loop import build, seeded
from mlgate.checks.training.options import ALL_PROBES, TrainingOptions
from mlgate.checks.training.parameters import probe_gradients, probe_updates
from mlgate.checks.training.probes import (
    ProbeResult,
    ProbeRunner,
    probe_determinism,
    probe_finite,
    probe_loss_decreases,
    probe_overfit,
)
from mlgate.checks.training.spec import TrainingSetup
from mlgate.core.errors import ConfigError, MlgateError
from mlgate.core.evidence import Table
from mlgate.core.result import PRECEDENCE, CheckResult, Status, Threshold

KIND = "training"

PROBES: dict[str, Callable[[ProbeRunner], ProbeResult]] = {
    "overfit": probe_overfit,
    "loss_decreases": probe_loss_decreases,
    "finite": probe_finite,
    "gradients": probe_gradients,
    "updates": probe_updates,
    "determinism": probe_determinism,
    "input_dependence": probe_input_dependence,
    "eval_mode": probe_eval_mode,
}
assert tuple(PROBES) == ALL_PROBES


def check_training(
    model_factory: Callable[..., Any],
    loss_fn: Any,
    optimizer_factory: Callable[..., Any],
    batch: Any,
    *,
    probes: Sequence[str] | None = None,
    seed: int = 0,
    device: str | None = None,
    check_id: str = "torch-training",
    **options: Any,
) -> CheckResult:
    """Run the training probes on one batch and return one :class:`CheckResult`.

    ``model_factory`` builds a fresh ``torch.nn.Module`` (called with ``seed=`` when it takes
    one); ``loss_fn(output, targets)`` returns a scalar tensor; ``optimizer_factory`` is an
    Optimizer class (called with the parameters) or a callable taking the model; ``batch`` is
    ``(inputs, targets)`` or a callable returning it. ``probes`` defaults to all of
    :data:`~mlgate.checks.training.options.ALL_PROBES`; ``options`` are the fields of
    :class:`~mlgate.checks.training.options.TrainingOptions` (``max_steps``, ``target_loss``, ...).

    The result is ``failed`` when any probe fails, else ``error`` when one could not run,
    else ``inconclusive`` when one could not decide, else ``passed``
    (:meth:`~mlgate.core.result.Status.worst` of the probes). With several probes,
    ``evidence["probes"]`` is a :class:`~mlgate.core.evidence.Table` of each probe's status and
    message, ``evidence[<probe>]`` holds its plain values and ``evidence["<probe>.<name>"]``
    its blocks (e.g. ``"overfit.loss_curve"``, a :class:`~mlgate.core.evidence.Curve`).

    Raises:
        ConfigError: an unknown probe or option, or an option out of range.
        TrainingSetupError: a piece is not callable or the batch is malformed.
        MissingDependencyError: torch is not installed.
    """
    try:
        opts = TrainingOptions(**options)
    except ValidationError as exc:
        raise ConfigError(f"check_training: invalid options: {_errors(exc)}") from None
    chosen = _probes(probes)
    setup = TrainingSetup.create(
        model_factory, loss_fn, optimizer_factory, batch, seed=seed, device=device
    )
    return run_probes(setup, chosen, opts, check_id=check_id)


def _probes(probes: Sequence[str] | None) -> tuple[str, ...]:
    if probes is None:
        return ALL_PROBES
    if isinstance(probes, str):
        probes = [probes]
    unknown = [p for p in probes if p not in PROBES]
    if unknown or not probes:
        raise ConfigError(
            f"probes: unknown {unknown or 'empty list'}; choose from {list(ALL_PROBES)}",
            path="probes",
        )
    return tuple(dict.fromkeys(probes))


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}"
        for e in exc.errors(include_url=False)
    )


def run_probes(
    setup: TrainingSetup,
    probes: Sequence[str],
    options: TrainingOptions,
    *,
    check_id: str = "torch-training",
    evidence: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Run ``probes`` on ``setup`` and combine them into one result whose status is the worst
    probe's (one probe: its own metric and evidence; several: the number that failed, a table
    of the probes, each probe's plain evidence under its name and its blocks under
    ``"<probe>.<name>"``). ``evidence`` is added to the result's evidence (e.g. where the
    setup came from)."""
    context = {
        **(evidence or {}),
        "batch_rows": setup.rows,
        "device": setup.device,
        "seed": setup.seed,
    }
    try:  # build once first: a setup that cannot run is one error, not one per probe
        with seeded(setup.seed, setup.device):
            build(setup)
    except MlgateError as exc:
        return CheckResult(
            check_id=check_id, kind=KIND, status=Status.ERROR, message=str(exc), evidence=context
        )
    runner = ProbeRunner(setup, options)
    results = [runner.run(name, PROBES[name]) for name in probes]
    parts = [r.part(sample_size=setup.rows) for r in results]
    if len(results) == 1:
        (r,) = results
        return CheckResult.from_parts(
            KIND,
            parts,
            check_id=check_id,
            metric=r.metric,
            method=f"mlgate.checks.training probe {r.probe!r} on one batch",
            message=f"{r.probe}: {r.message}",
            evidence={**context, "probe": r.probe, **r.evidence},
        )
    failed = [r for r in results if r.status is Status.FAILED]
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=check_id,
        metric="failed_probes",
        value=len(failed),
        interval=None,
        threshold=Threshold("<=", 0),
        sample_size=setup.rows,
        method="mlgate.checks.training probes on one batch: " + ", ".join(probes),
        message=_summary(results),
        evidence={**context, **_probe_evidence(results)},
    )


def _probe_evidence(results: list[ProbeResult]) -> dict[str, Any]:
    """The evidence of several probes: a table of their verdicts, then each probe's plain
    values under its name and its blocks under ``"<probe>.<name>"`` (blocks stay at the top
    level, where the report draws them)."""
    table = Table(
        rows=tuple(
            {"probe": r.probe, "status": r.status.value, "message": r.message} for r in results
        ),
        columns=("probe", "status", "message"),
        title="training probes",
    )
    evidence: dict[str, Any] = {"probes": table}
    for r in results:
        plain, blocks = r.split_evidence()
        if plain:
            evidence[r.probe] = plain
        evidence.update({f"{r.probe}.{key}": block for key, block in blocks.items()})
    return evidence


def _summary(results: list[ProbeResult]) -> str:
    bad = [r for r in results if r.status is not Status.PASSED]
    if not bad:
        return f"all {len(results)} training probes passed: " + ", ".join(r.probe for r in results)
    counts = {s.value: sum(r.status is s for r in bad) for s in PRECEDENCE}
    head = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    groups: dict[tuple[str, str], list[str]] = {}  # one cause often fails several probes
    for r in bad:
        groups.setdefault((r.status.value, r.message), []).append(r.probe)
    return f"{head} of {len(results)} training probes: " + " | ".join(
        f"{', '.join(names)} {status}: {message}" for (status, message), names in groups.items()
    )
