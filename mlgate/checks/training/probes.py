"""Probe results, the runner that shares training runs between probes, and the probes about
learning itself: overfit one batch, loss decreases, everything stays finite, determinism.

Each probe is a function ``probe(runner) -> ProbeResult``; the runner turns what a probe
raises into a result (a detached loss is a finding, ``failed``; anything else is ``error``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.checks.training.loop import Trajectory, optimizer_hint, seeded, train
from mlgate.checks.training.options import TrainingOptions, default_tolerance
from mlgate.checks.training.spec import DetachedLossError, TrainingSetup, import_training_torch
from mlgate.core.evidence import Block, Curve
from mlgate.core.result import Part, Status, Threshold, rounded

CURVE_POINTS = 50  # loss-curve points kept in the evidence


@dataclass(frozen=True)
class ProbeResult:
    """What one probe found. ``evidence`` is small: plain values and evidence blocks."""

    probe: str
    status: Status
    message: str
    metric: str | None = None
    value: float | None = None
    threshold: Threshold | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def part(self, sample_size: int | None = None) -> Part:
        """This probe as one judged part of a training check."""
        return Part(
            self.probe,
            self.status,
            value=self.value,
            threshold=self.threshold,
            sample_size=sample_size,
            message=self.message,
        )

    def split_evidence(self) -> tuple[dict[str, Any], dict[str, Block]]:
        """The evidence as (plain values, blocks): a check of several probes keeps each
        probe's plain values under its name and its blocks at the top level."""
        plain = {k: v for k, v in self.evidence.items() if not isinstance(v, Block)}
        blocks = {k: v for k, v in self.evidence.items() if isinstance(v, Block)}
        return plain, blocks


class ProbeRunner:
    """Runs probes on one setup, sharing the training runs they have in common."""

    def __init__(self, setup: TrainingSetup, options: TrainingOptions) -> None:
        self.setup = setup
        self.options = options
        self._runs: dict[tuple[int, float | None], Trajectory] = {}

    def trajectory(self, steps: int, stop_below: float | None = None) -> Trajectory:
        """The (cached) seeded run of ``steps`` steps."""
        key = (steps, stop_below)
        if key not in self._runs:
            self._runs[key] = train(self.setup, steps, stop_below=stop_below)
        return self._runs[key]

    def overfit_run(self) -> Trajectory:
        """Training on the batch until the loss reaches ``target_loss`` (or ``max_steps``)."""
        return self.trajectory(self.options.max_steps, self.options.target_loss)

    def run(self, name: str, probe: Callable[[ProbeRunner], ProbeResult]) -> ProbeResult:
        try:
            return probe(self)
        except DetachedLossError as exc:
            return ProbeResult(name, Status.FAILED, f"detached loss: {exc}")
        except Exception as exc:
            prefix = "" if isinstance(exc, ValueError) else f"{type(exc).__name__}: "
            return ProbeResult(name, Status.ERROR, f"{prefix}{exc}")

    def seeded(self) -> Any:
        """A context manager: torch's generators seeded with the setup's seed."""
        return seeded(self.setup.seed, self.setup.device)


def curve(losses: list[float]) -> Curve:
    """The loss per step as a :class:`~mlgate.core.evidence.Curve`: at most CURVE_POINTS
    points, evenly spread, first and last kept."""
    idx = (
        np.unique(np.linspace(0, len(losses) - 1, min(CURVE_POINTS, len(losses))).round())
        if losses
        else []
    )
    steps = [int(i) for i in idx]
    return Curve(
        x=steps,
        y=[rounded(losses[i]) for i in steps],
        xlabel="step",
        ylabel="loss",
        title="training loss on one batch",
    )


def _nonfinite_failure(name: str, traj: Trajectory) -> ProbeResult:
    assert traj.nonfinite is not None
    return ProbeResult(
        name,
        Status.FAILED,
        f"non-finite values at {traj.nonfinite.describe()}",
        evidence={
            "nonfinite": {"step": traj.nonfinite.step, "stage": traj.nonfinite.stage},
            "loss_curve": curve(traj.losses),
        },
    )


# -- overfit one batch --------------------------------------------------------------------


def probe_overfit(runner: ProbeRunner) -> ProbeResult:
    """The memorization test: the loss on one batch falls to ``target_loss`` within
    ``max_steps`` (and, with ``min_accuracy``, eval-mode accuracy on the batch reaches it)."""
    opts = runner.options
    traj = runner.overfit_run()
    threshold = Threshold("<=", opts.target_loss)
    if traj.nonfinite is not None:
        return _nonfinite_failure("overfit", traj)
    first, last = traj.losses[0], traj.losses[-1]
    best = int(np.argmin(traj.losses))
    accuracy = batch_accuracy(runner, traj) if traj.reached or opts.min_accuracy else None
    evidence = {
        "loss_curve": curve(traj.losses),
        "steps_run": len(traj.losses) - (1 if traj.reached else 0),
        "step_reached": len(traj.losses) - 1 if traj.reached else None,
        "first_loss": rounded(first),
        "best_loss": rounded(traj.losses[best]),
        "best_step": best,
        "max_steps": opts.max_steps,
        "batch_accuracy": rounded(accuracy),
    }
    rows = runner.setup.rows
    if not traj.reached:
        hint = optimizer_hint(traj.optimizer)
        return ProbeResult(
            "overfit",
            Status.FAILED,
            f"could not overfit one batch of {rows} rows in {opts.max_steps} steps: loss "
            f"{first:.4g} -> {last:.4g} (best {traj.losses[best]:.4g} at step {best}); the "
            f"target is <= {opts.target_loss:g}" + (f"; {hint}" if hint else ""),
            metric="loss",
            value=traj.losses[best],
            threshold=threshold,
            evidence=evidence,
        )
    steps = len(traj.losses) - 1
    message = (
        f"the loss on one batch of {rows} rows fell from {first:.4g} to {last:.4g} <= "
        f"{opts.target_loss:g} after {steps} steps (of at most {opts.max_steps})"
    )
    if accuracy is not None:
        message += f"; eval-mode accuracy on the batch {accuracy:.1%}"
    if opts.min_accuracy is not None:
        if accuracy is None:
            return ProbeResult(
                "overfit",
                Status.ERROR,
                "min_accuracy is set but accuracy cannot be computed from outputs of this shape "
                "(needs (n, k) logits with class-index targets, or (n,) logits with 0/1 targets)",
                evidence=evidence,
            )
        if accuracy < opts.min_accuracy:
            return ProbeResult(
                "overfit",
                Status.FAILED,
                f"{message}, below min_accuracy {opts.min_accuracy:.1%}",
                metric="loss",
                value=last,
                threshold=threshold,
                evidence=evidence,
            )
    return ProbeResult(
        "overfit", Status.PASSED, message, "loss", last, threshold, evidence=evidence
    )


def batch_accuracy(runner: ProbeRunner, traj: Trajectory) -> float | None:
    """Eval-mode accuracy of the trained model on the batch, when outputs are class logits
    (n, k) with class-index targets, or one logit per row with 0/1 targets; else None."""
    torch = import_training_torch()
    model = traj.model
    x, y = runner.setup.batch()
    was_training = model.training
    model.eval()
    try:
        # Seeded like every other forward pass: a model whose eval mode is still random
        # (dropout left on) must get the same verdict whatever ran before it.
        with runner.seeded(), torch.no_grad():
            out = model(x)
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor) or out.ndim == 0 or len(out) != len(y):
        return None
    if out.ndim == 2 and out.shape[1] >= 2 and y.ndim == 1 and not y.is_floating_point():
        return float((out.argmax(dim=1) == y).double().mean())
    if out[0].numel() == 1 and y[0].numel() == 1 and bool(((y == 0) | (y == 1)).all()):
        pred = (out.reshape(-1) > 0).to(y.dtype)
        return float((pred == y.reshape(-1)).double().mean())
    return None


# -- loss decreases -----------------------------------------------------------------------


def probe_loss_decreases(runner: ProbeRunner) -> ProbeResult:
    """Over the first ``steps`` steps the loss falls by at least ``min_relative_decrease``
    (the mean of the last few losses against the first)."""
    opts = runner.options
    traj = runner.trajectory(opts.steps)
    if traj.nonfinite is not None:
        return _nonfinite_failure("loss_decreases", traj)
    losses = traj.losses
    window = max(1, min(3, len(losses) // 4))
    first, last = losses[0], float(np.mean(losses[-window:]))
    threshold = Threshold(">=", opts.min_relative_decrease)
    evidence = {"loss_curve": curve(losses), "steps": len(losses), "window": window}
    if first == 0.0:
        return ProbeResult(
            "loss_decreases",
            Status.INCONCLUSIVE,
            "the loss is already 0 at step 0: there is nothing to decrease (trivial targets?)",
            evidence=evidence,
        )
    decrease = (first - last) / abs(first)
    what = (
        f"loss {first:.4g} -> {last:.4g} (mean of the last {window}) over {len(losses)} "
        f"steps: {decrease:+.1%} relative decrease"
    )
    if threshold.holds(decrease):
        return ProbeResult(
            "loss_decreases",
            Status.PASSED,
            what,
            "relative_decrease",
            decrease,
            threshold,
            evidence,
        )
    hint = optimizer_hint(traj.optimizer)
    return ProbeResult(
        "loss_decreases",
        Status.FAILED,
        f"the loss does not decrease: {what}, needs at least {opts.min_relative_decrease:.0%}"
        + (f"; {hint}" if hint else ""),
        "relative_decrease",
        decrease,
        threshold,
        evidence,
    )


# -- finite -------------------------------------------------------------------------------


def probe_finite(runner: ProbeRunner) -> ProbeResult:
    """Inputs, parameters, outputs, loss and gradients stay finite for ``steps`` steps; the
    first NaN or infinity is named with its step and the module (or stage) that made it."""
    traj = runner.trajectory(runner.options.steps)
    if traj.nonfinite is not None:
        result = _nonfinite_failure("finite", traj)
        return ProbeResult(
            "finite",
            Status.FAILED,
            result.message,
            metric="first_nonfinite_step",
            value=traj.nonfinite.step,
            evidence=result.evidence,
        )
    return ProbeResult(
        "finite",
        Status.PASSED,
        f"inputs, outputs, loss and gradients stayed finite for {len(traj.losses)} steps",
        evidence={"steps": len(traj.losses)},
    )


# -- determinism --------------------------------------------------------------------------


def probe_determinism(runner: ProbeRunner) -> ProbeResult:
    """Two runs with the same seed give the same losses (exactly on the CPU; within
    ``determinism_tolerance`` elsewhere) and the same final parameters."""
    opts = runner.options
    tol = default_tolerance(opts.determinism_tolerance, runner.setup.device)
    first = runner.trajectory(opts.steps)
    second = train(runner.setup, opts.steps)
    for traj in (first, second):
        if traj.nonfinite is not None:
            return _nonfinite_failure("determinism", traj)
    a, b = np.asarray(first.losses), np.asarray(second.losses)
    n = min(len(a), len(b))
    diff = np.abs(a[:n] - b[:n])
    bound = tol * np.maximum(1.0, np.abs(a[:n]))
    threshold = Threshold("<=", tol)
    evidence: dict[str, Any] = {"steps": n, "tolerance": tol}
    bad = np.flatnonzero(diff > bound)
    if len(bad) or len(a) != len(b):
        step = int(bad[0]) if len(bad) else n
        evidence["first_difference"] = {
            "step": step,
            "run_1": _at(a, step),
            "run_2": _at(b, step),
        }
        return ProbeResult(
            "determinism",
            Status.FAILED,
            f"two runs with seed {runner.setup.seed} differ from step {step}: loss "
            f"{_at(a, step)} vs {_at(b, step)} (tolerance {tol:g}); something random is not "
            "seeded from torch (NumPy's or Python's global generator, a time-based seed) or a "
            "kernel is non-deterministic",
            "max_loss_difference",
            float(diff.max()) if n else math.inf,
            threshold,
            evidence,
        )
    params = _parameter_difference(first.model, second.model)
    evidence["max_parameter_difference"] = params
    if params > tol:
        return ProbeResult(
            "determinism",
            Status.FAILED,
            f"two runs with seed {runner.setup.seed} give the same losses but parameters that "
            f"differ by up to {params:.3g}",
            "max_parameter_difference",
            params,
            threshold,
            evidence,
        )
    return ProbeResult(
        "determinism",
        Status.PASSED,
        f"two runs with seed {runner.setup.seed} gave the same {n} losses"
        + (" exactly" if tol == 0 else f" within {tol:g}"),
        "max_loss_difference",
        float(diff.max()) if n else 0.0,
        threshold,
        evidence,
    )


def _at(arr: np.ndarray, i: int) -> float | None:
    return rounded(arr[i], 8) if i < len(arr) else None


def _parameter_difference(m1: Any, m2: Any) -> float:
    worst = 0.0
    first, second = list(m1.parameters()), list(m2.parameters())
    if len(first) != len(second):
        return math.inf
    for p, q in zip(first, second, strict=True):
        if p.shape != q.shape:
            return math.inf
        if p.numel():
            worst = max(worst, float((p.detach() - q.detach()).abs().max()))
    return worst
