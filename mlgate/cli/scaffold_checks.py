"""``mlgate init``: each scaffolded check, with its bound measured by running the check.

Every bound is set from what the registered check type itself reports on the data the gate is
made from, through the same context a gate run builds (same loader, same seed, same bootstrap
streams), so the interval measured here is the interval the first run judges:

* metric thresholds: the lower end of the candidate's confidence interval less
  :data:`METRIC_MARGIN` (the upper end plus :data:`LOSS_MARGIN` of it for a loss);
* baseline: half the smallest lower end of the improvement over a baseline;
* champion: non-inferiority with stated margins (:data:`CHAMPION_MARGINS`);
* calibration: the upper end of the ECE interval plus :data:`ECE_MARGIN`;
* slices: the largest upper end of a slice's gap to the rest plus :data:`GAP_MARGIN`;
* drift and data expectations: their defaults (the expectations are inferred from the data).

A check that does not pass on the data it is made from is written with ``severity: warn`` and
a comment saying what it found, so the first run promotes while the finding stays visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mlgate.core.context import GateContext
from mlgate.core.registry import CheckRegistry
from mlgate.core.result import CheckResult, Status
from mlgate.core.task import Task
from mlgate.stats.metrics import get_metric

#: Subtracted from the lower end of a higher-is-better metric's interval.
METRIC_MARGIN = 0.02
#: A loss may grow by this share of the upper end of its interval.
LOSS_MARGIN = 0.10
#: Added to the upper end of the ECE interval.
ECE_MARGIN = 0.02
#: Added to the largest upper end of a slice's gap (a loss: this share of the overall value).
GAP_MARGIN = 0.02
#: How much worse than the champion the candidate may be, per metric (a policy, not data).
CHAMPION_MARGINS: dict[str, float | dict[str, float]] = {
    "roc_auc": 0.01,
    "accuracy": 0.01,
    "log_loss": {"relative": 0.05},
    "mae": {"relative": 0.05},
}
CHAMPION_METRICS = {
    Task.BINARY: ("roc_auc", "log_loss"),
    Task.MULTICLASS: ("accuracy", "log_loss"),
    Task.REGRESSION: ("mae",),
}
THRESHOLD_METRICS = {
    Task.BINARY: ("accuracy", "balanced_accuracy", "roc_auc"),
    Task.MULTICLASS: ("accuracy", "balanced_accuracy"),
    Task.REGRESSION: ("r2", "mae"),
}
#: The metric baselines and slices are judged on: the one a reader checks first.
PRIMARY_METRIC = {Task.BINARY: "accuracy", Task.MULTICLASS: "accuracy", Task.REGRESSION: "mae"}


@dataclass
class Proposal:
    """One check for the gate file: its keys, the comment lines above it, and whether it
    passed on the data it was made from."""

    params: dict[str, Any]
    comments: list[str] = field(default_factory=list)
    status: Status = Status.PASSED

    def demote_unless_passed(self, result: CheckResult) -> Proposal:
        """Warn-only, with the finding in a comment, when ``result`` did not pass."""
        self.status = result.status
        if result.status is not Status.PASSED:
            self.params["severity"] = "warn"
            self.comments.append(
                f"did not pass on the data it was made from ({result.status.value}: "
                f"{_short(result.message)}), so it only warns: review it"
            )
        return self


class Measurer:
    """Runs registered check types on the scaffold's context."""

    def __init__(self, ctx: GateContext, registry: CheckRegistry | None = None) -> None:
        self.ctx = ctx
        self.registry = registry or CheckRegistry.from_entry_points()

    def run(self, check: str, params: dict[str, Any]) -> CheckResult:
        return self.registry.get(check)(self.ctx, **params)

    def proposal(self, params: dict[str, Any], comments: list[str]) -> Proposal:
        """``params`` run once as written, then demoted to a warning unless they pass."""
        keys = {k: v for k, v in params.items() if k not in ("check", "id")}
        result = self.run(params["check"], keys)
        return Proposal(dict(params), list(comments)).demote_unless_passed(result)


def metric_thresholds(m: Measurer, task: Task) -> list[Proposal]:
    """One ``metric_threshold`` per metric of the task, bound below its measured interval."""
    out = []
    for name in THRESHOLD_METRICS[task]:
        metric = get_metric(name)
        probe = {"min": -1e12} if metric.higher_is_better else {"max": 1e12}
        result = m.run("metric_threshold", {"metric": name, **probe})
        ci = result.interval
        if ci is None or result.value is None:
            continue  # undefined on this data (say, one class): nothing to set a bound from
        seen = f"measured {result.value:.4g}, {_ci(ci)}"
        if metric.higher_is_better:
            bound = round_out(ci.low - METRIC_MARGIN, up=False)
            how = f"bound = lower end {ci.low:.4g} − {METRIC_MARGIN}"
            params = {"check": "metric_threshold", "metric": name, "min": bound}
        else:
            bound = round_out(ci.high * (1 + LOSS_MARGIN), up=True)
            how = f"bound = upper end {ci.high:.4g} + {LOSS_MARGIN:.0%}"
            params = {"check": "metric_threshold", "metric": name, "max": bound}
        out.append(m.proposal(params, [f"{name}: {seen}; {how}"]))
    return out


def baseline(m: Measurer, task: Task, fit_on: str | None) -> Proposal:
    """``baseline`` on the primary metric, margin half the smallest measured improvement."""
    metric = PRIMARY_METRIC[task]
    base: dict[str, Any] = {"check": "baseline", "metric": metric}
    if fit_on is not None:
        base["fit_on"] = fit_on
    probe = m.run("baseline", {k: v for k, v in base.items() if k != "check"})
    lows = [(p.interval.low, p.name) for p in probe.parts if p.interval is not None]
    comments = [
        f"the candidate must beat the trivial baselines (uniform, prior, zero_rule) on {metric} "
        f"(paired bootstrap on the same rows{', baselines fitted on ' + fit_on if fit_on else ''})"
    ]
    if lows:
        low, name = min(lows)
        margin = max(0.0, round_out(low / 2, up=False))
        base["margin"] = margin
        comments.append(
            f"smallest improvement: over {name}, lower end {low:.4g}; margin = half of it"
        )
    return m.proposal(base, comments)


def champion(m: Measurer, task: Task) -> Proposal:
    """Non-inferiority to the champion on the task's metrics, with the stated margins."""
    metrics = list(CHAMPION_METRICS[task])
    margins = {name: CHAMPION_MARGINS[name] for name in metrics}
    params = {
        "check": "champion",
        "metrics": metrics,
        "mode": "non_inferiority",
        "margin": margins if len(metrics) > 1 else margins[metrics[0]],
    }
    result = m.run("champion", {k: v for k, v in params.items() if k != "check"})
    seen = "; ".join(
        f"{p.name} {p.value:+.4g} ({_ci(p.interval)})"
        for p in result.parts
        if p.value is not None and p.interval is not None
    )
    comments = [
        "paired tests on the same rows: the candidate may be worse than the champion by at "
        "most the margin (absolute for a score, a share of the champion's value for a loss)",
    ]
    if seen:
        comments.append(f"measured improvement over the champion: {seen}")
    return Proposal(params, comments).demote_unless_passed(result)


def calibration(m: Measurer) -> Proposal | None:
    """``calibration`` with ``max_ece`` just above the measured interval; None when the
    data is too small to measure it."""
    probe = m.run("calibration", {"max_ece": 1.0})
    if probe.interval is None or probe.value is None:
        return None
    bound = min(1.0, round_out(probe.interval.high + ECE_MARGIN, up=True))
    return m.proposal(
        {"check": "calibration", "max_ece": bound},
        [
            "predicted probabilities must match observed frequencies (expected calibration "
            "error, P(positive) for a binary task, 15 equal-width bins)",
            f"ECE measured {probe.value:.4g}, {_ci(probe.interval)}; "
            f"bound = upper end + {ECE_MARGIN}",
        ],
    )


def slices(m: Measurer, task: Task, columns: list[str]) -> Proposal | None:
    """``slices`` over ``columns`` with ``max_gap`` just above the largest measured gap."""
    metric = get_metric(PRIMARY_METRIC[task])
    keys: dict[str, Any] = {
        "metric": metric.name,
        "slices": list(columns),
        "small_groups": "exclude",
    }
    probe = m.run("slices", {**keys, "max_gap": 1e12})
    gaps = [
        (p.interval.high, p.name.split(": gap")[0])
        for p in probe.parts
        if p.interval is not None and p.name.endswith("gap to rest")
    ]
    if not gaps:
        return None
    high, where = max(gaps)
    pad = GAP_MARGIN if metric.bounds == (0.0, 1.0) else GAP_MARGIN * abs(probe.value or 0.0)
    bound = round_out(max(high, 0.0) + pad, up=True)
    return m.proposal(
        {"check": "slices", **keys, "max_gap": bound},
        [
            f"{metric.name} per value of {', '.join(columns)}: no slice may be worse than "
            "the rest of the rows by more than max_gap (slices under 30 rows are left out)",
            f"largest gap measured: {where}, upper end {high:.4g}; bound = that + {pad:.4g}",
        ],
    )


def drift(m: Measurer) -> Proposal:
    """``drift`` of the features against the reference, with the check's defaults."""
    return m.proposal(
        {"check": "drift", "reference": "reference", "dataset": "evaluation"},
        [
            "each feature vs the reference: KS (numbers) / chi-squared (categories), "
            "Benjamini-Hochberg corrected, and a drift only when the effect is large too "
            "(Wasserstein / sd or PSI at least 0.1): docs/checks/drift.md"
        ],
    )


def data_expectations(m: Measurer, rules: dict[str, dict[str, Any]], min_rows: int) -> Proposal:
    """``data_expectations`` with the inferred per-column rules and a row floor."""
    params = {
        "check": "data_expectations",
        "id": "inferred-expectations",
        "expectations": [{"expect": "row_count", "min": min_rows}],
        "columns": rules,
    }
    return m.proposal(params, [])


def round_out(x: float, *, up: bool, digits: int = 3) -> float:
    """``x`` to ``digits`` significant digits, rounded up (a maximum) or down (a minimum),
    so the bound is never tighter than the number it came from."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(abs(x))))
    y = (math.ceil(x * scale) if up else math.floor(x * scale)) / scale
    return float(f"{y:.{digits}g}")


def _ci(ci: Any) -> str:
    return f"{ci.level:.0%} interval [{ci.low:.4g}, {ci.high:.4g}]"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
