"""Probes about parameters: every trainable parameter gets a finite, non-zero gradient
(``gradients``), is held by the optimizer and is changed by one step (``updates``).

Parameters are named as ``model.named_parameters()`` names them. ``expect_frozen`` lists
glob patterns of parameters that are meant to have ``requires_grad=False``; any other frozen
parameter is reported (a layer frozen by mistake). ``ignore_parameters`` excludes
parameters from both probes (e.g. an unused head).
"""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
from typing import Any

from mlgate.checks.training.loop import build, compute_loss, forward, learning_rates, optimizer_hint
from mlgate.checks.training.probes import ProbeResult, ProbeRunner
from mlgate.core.evidence import Table
from mlgate.core.result import Status, Threshold, rounded

MAX_ROWS = 20  # parameter rows kept in the evidence


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


def _problem_table(problems: dict[str, str], title: str) -> Table:
    """The first MAX_ROWS problems as a table of (parameter, problem)."""
    rows = [{"parameter": name, "problem": why} for name, why in problems.items()]
    return Table(rows=tuple(rows[:MAX_ROWS]), columns=("parameter", "problem"), title=title)


def _listing(problems: dict[str, str], limit: int = 6) -> str:
    items = [f"{name!r} ({why})" for name, why in problems.items()]
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


def _nonfinite_loss(probe: str, loss: float) -> ProbeResult:
    return ProbeResult(
        probe,
        Status.FAILED,
        f"the loss is {loss} before any step, so gradients cannot be judged; the finite probe "
        "names where the non-finite value arises",
        evidence={"loss": None},
    )


def _one_backward(runner: ProbeRunner) -> tuple[Any, Any, Any, float]:
    """A fresh seeded model and optimizer after one forward and backward pass in train mode."""
    setup = runner.setup
    with runner.seeded():
        model, opt = build(setup)
        x, y = setup.batch()
        model.train()
        opt.zero_grad(set_to_none=True)
        for p in model.parameters():  # a factory may hand out parameters with stale grads
            p.grad = None
        out = forward(model, x, 0)
        loss = compute_loss(setup, model, out, y, 0)
        loss.backward()
    return model, opt, loss, float(loss.detach())


def probe_gradients(runner: ProbeRunner) -> ProbeResult:
    """After one backward pass, name each parameter that is frozen by mistake, gets no
    gradient (not connected to the loss), a non-finite gradient, or an all-zero gradient."""
    opts = runner.options
    model, _, _, loss = _one_backward(runner)
    if not math.isfinite(loss):
        return _nonfinite_loss("gradients", loss)
    problems: dict[str, str] = {}
    norms: dict[str, float | None] = {}
    checked = 0
    for name, p in model.named_parameters():
        if _matches(name, opts.ignore_parameters):
            continue
        if not p.requires_grad:
            if not _matches(name, opts.expect_frozen):
                problems[name] = "frozen: requires_grad=False (list it in expect_frozen if meant)"
            continue
        checked += 1
        g = p.grad
        if g is None:
            problems[name] = "no gradient: not connected to the loss"
            norms[name] = None
            continue
        finite = g.isfinite()
        if not bool(finite.all()):
            problems[name] = f"non-finite gradient ({int((~finite).sum())} NaN/inf values)"
            norms[name] = None
            continue
        norm = float(g.detach().double().norm())
        norms[name] = norm
        if norm == 0.0:
            problems[name] = "zero gradient"
    evidence: dict[str, Any] = {
        "loss": rounded(loss),
        "checked_parameters": checked,
        "problems": _problem_table(problems, "parameters without a usable gradient"),
        "gradient_norms": {
            k: rounded(v, 4, significant=True) for k, v in list(norms.items())[:MAX_ROWS]
        },
    }
    threshold = Threshold("<=", 0)
    if problems:
        return ProbeResult(
            "gradients",
            Status.FAILED,
            f"{len(problems)} parameter(s) do not get a usable gradient: {_listing(problems)}",
            "parameters_without_gradient",
            len(problems),
            threshold,
            evidence,
        )
    if checked == 0:
        return ProbeResult(
            "gradients",
            Status.INCONCLUSIVE,
            "no trainable parameter is left to check (all frozen or ignored)",
            evidence=evidence,
        )
    return ProbeResult(
        "gradients",
        Status.PASSED,
        f"all {checked} trainable parameters get a finite, non-zero gradient",
        "parameters_without_gradient",
        0,
        threshold,
        evidence,
    )


def probe_updates(runner: ProbeRunner) -> ProbeResult:
    """The optimizer holds exactly the model's trainable parameters, and one step changes
    each of them; names those that are missing from the optimizer or left unchanged."""
    opts = runner.options
    model, opt, _, loss = _one_backward(runner)
    if not math.isfinite(loss):
        return _nonfinite_loss("updates", loss)
    trainable = {
        name: p
        for name, p in model.named_parameters()
        if p.requires_grad and not _matches(name, opts.ignore_parameters)
    }
    held = {id(p) for group in opt.param_groups for p in group["params"]}
    own = {id(p) for p in model.parameters()}
    foreign = len(held - own)
    before = {name: p.detach().clone() for name, p in trainable.items()}
    with runner.seeded():
        opt.step()
    problems: dict[str, str] = {}
    for name, p in trainable.items():
        if id(p) not in held:
            problems[name] = "not in the optimizer"
        elif p.grad is None:
            problems[name] = "not updated: it has no gradient"
        elif bool((p.detach() == before[name]).all()):
            problems[name] = "not updated by the step"
    evidence: dict[str, Any] = {
        "loss": rounded(loss),
        "trainable_parameters": len(trainable),
        "optimizer_tensors": len(held),
        "foreign_optimizer_tensors": foreign,
        "learning_rates": sorted(set(learning_rates(opt)))[:MAX_ROWS],
        "problems": _problem_table(problems, "parameters not updated by one step"),
    }
    threshold = Threshold("<=", 0)
    if not trainable:
        return ProbeResult(
            "updates",
            Status.INCONCLUSIVE,
            "the model has no trainable parameter to update (all frozen or ignored)",
            evidence=evidence,
        )
    if not problems:
        return ProbeResult(
            "updates",
            Status.PASSED,
            f"one optimizer step changed all {len(trainable)} trainable parameters",
            "parameters_not_updated",
            0,
            threshold,
            evidence,
        )
    missing = [n for n, why in problems.items() if why == "not in the optimizer"]
    causes = []
    if missing and foreign:
        causes.append(
            f"the optimizer does not hold {len(missing)} of the model's {len(trainable)} "
            f"trainable parameters but holds {foreign} tensor(s) that are not the model's: it "
            "was built over other parameters (another model instance, or a copy made before "
            "the model was moved or rebuilt)"
        )
    elif missing:
        causes.append(
            f"the optimizer does not hold {len(missing)} of the model's {len(trainable)} "
            "trainable parameters (built over a subset?)"
        )
    hint = optimizer_hint(opt)
    if hint:
        causes.append(hint)
    why = ("; ".join(causes) + ". ") if causes else ""
    return ProbeResult(
        "updates",
        Status.FAILED,
        f"{len(problems)} of {len(trainable)} trainable parameters were not updated by one "
        f"optimizer step: {why}Parameters: {_listing(problems)}",
        "parameters_not_updated",
        len(problems),
        threshold,
        evidence,
    )
