"""The train/eval mode probe: after ``model.eval()`` every submodule is in eval mode and two
forward passes on the same batch give the same outputs.

Catches dropout (or any random op) left on at evaluation, e.g. ``F.dropout(x, p)`` without
``training=self.training``, and modules whose ``train()`` override ignores ``eval()``. The
module where the two passes first diverge is named, from forward hooks.
"""

from __future__ import annotations

from mlgate.checks.training.hooks import locate_divergence, max_difference, record_calls, tensors
from mlgate.checks.training.loop import build, forward
from mlgate.checks.training.options import default_tolerance
from mlgate.checks.training.probes import ProbeResult, ProbeRunner
from mlgate.checks.training.spec import import_training_torch
from mlgate.core.result import Status, Threshold


def probe_eval_mode(runner: ProbeRunner) -> ProbeResult:
    torch = import_training_torch()
    setup = runner.setup
    tol = default_tolerance(runner.options.eval_tolerance, setup.device)
    with runner.seeded():
        model, _ = build(setup)
        model.eval()
        still_training = [name or "(the model)" for name, m in model.named_modules() if m.training]
        with torch.no_grad():  # each pass gets its own copy of the batch
            with record_calls(model) as first_calls:
                first = tensors(forward(model, setup.batch()[0], 0))
            with record_calls(model) as second_calls:
                second = tensors(forward(model, setup.batch()[0], 0))
    worst = max((max_difference(a, b) for a, b in zip(first, second, strict=False)), default=0.0)
    scale = max(
        (float(a[a.isfinite()].abs().max()) for a in first if a.isfinite().any()), default=0
    )
    differs = len(first) != len(second) or worst > tol * max(1.0, scale)
    evidence = {
        "max_output_difference": worst,
        "tolerance": tol,
        "modules_still_training": still_training[:20],
    }
    threshold = Threshold("<=", tol)
    if differs:
        culprit = locate_divergence(first_calls, second_calls, tol)
        where = (
            f"; the randomness enters in {culprit}"
            if culprit is not None
            else "; the module that introduced it could not be paired between the passes"
        )
        evidence["culprit"] = culprit
        return ProbeResult(
            "eval_mode",
            Status.FAILED,
            f"in eval mode two forward passes on the same batch differ (by up to {worst:.3g}): "
            "dropout or another random op stays on at evaluation (F.dropout without "
            f"training=self.training?){where}",
            "max_output_difference",
            worst,
            threshold,
            evidence,
        )
    if still_training:
        return ProbeResult(
            "eval_mode",
            Status.FAILED,
            f"after model.eval(), {len(still_training)} module(s) are still in training mode: "
            f"{still_training[:5]} (a train() override that ignores mode=False?)",
            "max_output_difference",
            worst,
            threshold,
            evidence,
        )
    return ProbeResult(
        "eval_mode",
        Status.PASSED,
        "in eval mode two forward passes on the same batch agree"
        + (" exactly" if tol == 0 else f" within {tol:g}"),
        "max_output_difference",
        worst,
        threshold,
        evidence,
    )
