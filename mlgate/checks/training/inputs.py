"""The input-dependence probe: a model trained on the batch must do measurably worse when its
inputs are zeroed or shuffled across the batch, each row's output must follow its own row,
and no single input feature may give the targets away.

- **zeroed / shuffled inputs** (eval mode, targets kept): the loss must rise by at least
  ``min_relative_increase``. A model that ignores its inputs (it reads the labels through a
  side channel, or memorises rows by position) does not get worse.
- **batch mixing**: ``model(x[perm])`` must equal ``model(x)[perm]``; otherwise a row's
  output depends on other rows (a reshape or transpose mixing the batch dimension).
- **label leak** (``leak_check``; 2-D inputs): an input column that determines the target on
  the batch (each of its values with a single class, or a perfect rank correlation with a
  real-valued target) is a label leaked into the inputs. Columns with more than half as many
  distinct values as rows (identifiers, measurements) are not judged as class keys, and a
  label spread over several columns (one-hot) is not detected.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlgate.checks.training.hooks import max_difference, scale, tensors
from mlgate.checks.training.loop import compute_loss
from mlgate.checks.training.probes import ProbeResult, ProbeRunner
from mlgate.checks.training.spec import import_training_torch
from mlgate.core.evidence import Table
from mlgate.core.result import Status, Threshold, rounded

MIN_ROWS = 4
MAX_LEAK_COLUMNS = 10_000
MIXING_TOLERANCE = 1e-4  # relative: float sums may be blocked differently per row order


def derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random permutation of ``range(n)`` with no fixed point (one cycle), n >= 2."""
    order = rng.permutation(n)
    perm = np.empty(n, dtype=np.int64)
    perm[order] = np.roll(order, 1)
    return perm


def label_determining_columns(x: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """Columns of ``x`` (n, d) that determine ``y`` on these rows (see the module docstring).

    Returns ``[{"column", "values", "rule"}]``; empty when none does or ``y`` is constant.
    """
    n = len(y)
    y = y.reshape(n, -1)
    if y.shape[1] != 1 or n < MIN_ROWS:
        return []
    y = y[:, 0]
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        return []
    found = []
    if len(classes) <= n // 2:  # categorical targets: a column that is a key to the class
        for j in range(x.shape[1]):
            values, inv = np.unique(x[:, j], return_inverse=True)
            if not 2 <= len(values) <= n // 2:
                continue
            counts = np.bincount(inv)
            if (counts[inv] >= 2).sum() < n // 2:  # mostly singletons: proves nothing
                continue
            pairs = np.unique(inv.astype(np.int64) * len(classes) + codes)
            if len(pairs) == len(values):
                found.append({"column": j, "values": len(values), "rule": "class key"})
    elif n >= 10:  # real-valued targets: a column in perfect rank order with them
        from scipy.stats import rankdata

        ry = rankdata(y)
        rx = rankdata(x, axis=0)
        ry_c = ry - ry.mean()
        rx_c = rx - rx.mean(axis=0)
        denom = np.sqrt((rx_c**2).sum(axis=0) * (ry_c**2).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (rx_c * ry_c[:, None]).sum(axis=0) / denom
        for j in np.flatnonzero(np.abs(np.nan_to_num(rho)) >= 0.9999):
            found.append(
                {"column": int(j), "values": len(np.unique(x[:, j])), "rule": "rank order"}
            )
    return found


def probe_input_dependence(runner: ProbeRunner) -> ProbeResult:
    torch = import_training_torch()
    opts, setup = runner.options, runner.setup
    n = setup.rows
    if n < MIN_ROWS:
        return ProbeResult(
            "input_dependence",
            Status.INCONCLUSIVE,
            f"the batch has {n} rows; shuffling across the batch needs at least {MIN_ROWS}",
        )
    findings: list[str] = []
    evidence: dict[str, Any] = {}
    flat = setup.inputs.reshape(n, -1)
    if opts.leak_check and flat.shape[1] <= MAX_LEAK_COLUMNS:
        leaks = label_determining_columns(flat.double().numpy(), setup.targets.double().numpy())
        evidence["leaking_columns"] = Table(
            rows=tuple(leaks[:20]),
            columns=("column", "values", "rule"),
            title="input columns that determine the target on the batch",
        )
        if leaks:
            cols = ", ".join(str(leak["column"]) for leak in leaks[:5])
            findings.append(
                f"input column(s) {cols} determine the target on the batch ("
                + (
                    f"each of column {leaks[0]['column']}'s {leaks[0]['values']} values comes "
                    "with a single class"
                    if leaks[0]["rule"] == "class key"
                    else "perfect rank correlation with the target"
                )
                + "): labels leaked into the inputs"
            )
    elif opts.leak_check:
        evidence["leak_check"] = f"skipped: more than {MAX_LEAK_COLUMNS} input columns"

    traj = runner.overfit_run()
    if traj.nonfinite is not None:
        return ProbeResult(
            "input_dependence",
            Status.FAILED,
            f"training to judge input dependence hit non-finite values at "
            f"{traj.nonfinite.describe()}",
            evidence=evidence,
        )
    model = traj.model
    _, y = setup.batch()
    perm = torch.from_numpy(derangement(n, np.random.default_rng([setup.seed, 8])))
    perm = perm.to(setup.device)

    def x() -> Any:  # a fresh copy per pass: a model writing into its input changes nothing
        return setup.batch()[0]

    was_training = model.training
    model.eval()
    try:
        with runner.seeded(), torch.no_grad():
            out = model(x())
            losses = {
                "original": _loss(setup, model, out, y),
                "zeroed": _loss(setup, model, model(torch.zeros_like(x())), y),
                "shuffled": _loss(setup, model, model(x()[perm]), y),
            }
            out_perm = model(x()[perm])
            out_again = model(x())
    finally:
        model.train(was_training)
    out_scale = max((scale(t) for t in tensors(out)), default=0.0)
    bound = MIXING_TOLERANCE * max(1.0, out_scale)
    noise = _difference(out, out_again, None)
    mixing = _difference(out, out_perm, perm) if noise <= bound else None
    evidence.update(
        {
            "trained_steps": len(traj.losses) - (1 if traj.reached else 0),
            "losses": {k: rounded(v) for k, v in losses.items()},
            "batch_mixing_difference": mixing,
        }
    )
    if mixing is None:  # eval mode is random: the eval_mode probe names why
        evidence["batch_mixing"] = "not judged: two eval-mode passes differ (see eval_mode)"
    elif mixing > bound:
        findings.append(
            f"rows' outputs depend on other rows of the batch: permuting the batch changes "
            f"outputs by up to {mixing:.3g} beyond the permutation (the batch dimension is "
            "mixed by a reshape/transpose, or rows are memorised by position)"
        )
    base = losses["original"]
    learned = traj.losses[0] - min(traj.losses)
    judged = learned > opts.min_relative_decrease * abs(traj.losses[0])
    increases = {}
    for kind in ("zeroed", "shuffled"):
        rise = (losses[kind] - base) / max(abs(base), 1e-12)
        increases[kind] = rounded(rise)
        if judged and not losses[kind] >= base + opts.min_relative_increase * max(abs(base), 1e-6):
            findings.append(
                f"with inputs {kind} the loss is {losses[kind]:.4g} vs {base:.4g} on the real "
                f"batch (needs +{opts.min_relative_increase:.0%}): the model ignores its inputs "
                "(labels reach it another way, or it memorises rows by position)"
            )
    evidence["relative_increase"] = increases
    threshold = Threshold(">=", opts.min_relative_increase)
    worst = min((v for v in increases.values() if v is not None), default=None)
    if findings:
        return ProbeResult(
            "input_dependence",
            Status.FAILED,
            "; ".join(findings),
            "min_relative_loss_increase",
            worst,
            threshold,
            evidence,
        )
    if not judged:
        return ProbeResult(
            "input_dependence",
            Status.INCONCLUSIVE,
            f"the model did not learn the batch (loss {traj.losses[0]:.4g} -> "
            f"{min(traj.losses):.4g}), so whether it depends on its inputs cannot be judged",
            evidence=evidence,
        )
    return ProbeResult(
        "input_dependence",
        Status.PASSED,
        f"trained on the batch, the loss rises from {base:.4g} to {losses['zeroed']:.4g} with "
        f"inputs zeroed and to {losses['shuffled']:.4g} with inputs shuffled across the batch; "
        "rows' outputs follow their rows",
        "min_relative_loss_increase",
        worst,
        threshold,
        evidence,
    )


def _loss(setup: Any, model: Any, out: Any, y: Any) -> float:
    return float(compute_loss(setup, model, out, y, 0).detach())


def _difference(out: Any, other: Any, perm: Any) -> float:
    """Largest difference between ``out`` (rows permuted by ``perm`` when given) and ``other``."""
    pairs = zip(tensors(out), tensors(other), strict=False)
    return max((max_difference(a if perm is None else a[perm], b) for a, b in pairs), default=0.0)
