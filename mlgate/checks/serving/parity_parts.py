"""The parts of a ``parity`` check (:mod:`.parity`): label agreement, score differences and
the metric change, overall and per slice, each judged by the kernel; and their evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlgate.core.evidence import Bars, Examples, Table
from mlgate.core.result import DecisionRule, Interval, Part, Status, Threshold, rounded
from mlgate.models.base import Predictions
from mlgate.stats.bootstrap import bootstrap_interval
from mlgate.stats.evaluate import compare
from mlgate.stats.intervals import wilson_interval
from mlgate.stats.losses import mean_loss_statistic
from mlgate.stats.metrics import UndefinedMetricError
from mlgate.stats.scoring import encode

if TYPE_CHECKING:
    from mlgate.checks.serving.parity import ParityParams

#: Rows shown in the ``largest_differences`` examples.
EXAMPLES = 10


class ParityJudge:
    """Judges the parts of one parity check, row subset by row subset."""

    def __init__(self, ctx, p: ParityParams, key: str, metric, orig, var, y) -> None:
        self.ctx, self.p, self.key, self.metric = ctx, p, key, metric
        self.orig, self.var, self.y = orig, var, y
        self.summary: list[dict[str, Any]] = []
        #: (original, variant) metric per row subset ("all", "slice:<name>").
        self.metric_values: dict[str, tuple[float, float]] = {}

    def overall(self, mask: np.ndarray, agree, diffs) -> list[Part]:
        p, n = self.p, int(mask.sum())
        parts: list[Part] = []
        if agree is not None:
            part = self.agreement("label agreement", agree, p.min_agreement)
            parts += [part] if p.min_agreement is not None else []
            self._note("label agreement", part, p.min_agreement, ">=")
        if diffs is not None:
            worst = float(diffs.max()) if n else None
            t = Threshold("<=", p.max_abs_diff) if p.max_abs_diff is not None else None
            status = t.judge(None, value=worst, rule=DecisionRule.POINT) if t else Status.PASSED
            part = Part(
                f"max |Δ score| <= {p.max_abs_diff:g}" if t else "max |Δ score|",
                status,
                value=worst,
                threshold=t,
                sample_size=n,
                message=f"{self.where}: the largest difference over the {n} rows is "
                f"{worst:.4g} (observed, not an estimate beyond these rows)",
            )
            parts += [part] if t else []
            self._note("max |Δ score|", part, p.max_abs_diff, "<=")
            part = self.mean_diff(diffs)
            parts += [part] if p.max_mean_abs_diff is not None else []
            self._note("mean |Δ score|", part, p.max_mean_abs_diff, "<=")
        if self.y is not None:
            part = self.metric_change(f"{self.metric.name} change", mask, p.max_metric_drop, "all")
            parts += [part] if p.max_metric_drop is not None else []
            self._note(f"{self.metric.name} change", part, p.max_metric_drop, ">=", neg=True)
            if "all" in self.metric_values:
                orig, var = self.metric_values["all"]
                self.summary[-1].update(original=rounded(orig), variant=rounded(var))
        return parts

    @property
    def where(self) -> str:
        return f"{self.p.variant!r} vs {self.p.model!r}"

    def _note(self, quantity: str, part: Part, bound, op: str, neg: bool = False) -> None:
        ci = part.interval
        self.summary.append(
            {
                "quantity": quantity,
                "value": rounded(part.value),
                "low": rounded(ci.low) if ci else None,
                "high": rounded(ci.high) if ci else None,
                "bound": None if bound is None else f"{op} {-bound if neg else bound:g}",
                "status": part.status.value if bound is not None else "reported",
                "rows": part.sample_size,
            }
        )

    def agreement(self, name: str, agree: np.ndarray, bound: float | None) -> Part:
        k, n = int(agree.sum()), len(agree)
        ci = wilson_interval(k, n, self.p.confidence)
        t = Threshold(">=", bound) if bound is not None else None
        status = t.judge(ci, value=k / n if n else None) if t else Status.PASSED
        return Part(
            f"{name} >= {bound:g}" if t else name,
            status,
            value=k / n if n else None,
            interval=ci,
            threshold=t,
            sample_size=n,
            message=f"{self.where}: {k} of {n} rows get the same label"
            + (f", {k / n:.4g} [{ci.low:.4g}, {ci.high:.4g}] (Wilson)" if ci else ""),
        )

    def mean_diff(self, diffs: np.ndarray) -> Part:
        p = self.p
        boot = bootstrap_interval(
            mean_loss_statistic("mean |Δ score|", diffs),
            rng=self.ctx.rng(f"{self.key}:mean-abs-diff"),
            n_resamples=p.n_resamples,
            level=p.confidence,
        )
        mean = float(diffs.mean()) if len(diffs) else None
        t = Threshold("<=", p.max_mean_abs_diff) if p.max_mean_abs_diff is not None else None
        status = t.judge(boot.interval, value=mean) if t else Status.PASSED
        ci = boot.interval
        return Part(
            f"mean |Δ score| <= {p.max_mean_abs_diff:g}" if t else "mean |Δ score|",
            status,
            value=mean,
            interval=ci,
            threshold=t,
            sample_size=len(diffs),
            message=f"{self.where}: mean largest score difference {mean:.4g}"
            + (f" [{ci.low:.4g}, {ci.high:.4g}] (bootstrap)" if ci else ""),
        )

    def metric_change(self, name: str, mask: np.ndarray, drop: float | None, tag: str) -> Part:
        p, metric, n = self.p, self.metric, int(mask.sum())
        t = Threshold(">=", -drop) if drop is not None else None
        label = f"{name} >= {-drop:g}" if t else name
        try:
            y, (out_o, out_v), k = encode(
                self.y[mask],
                [_subset(self.orig, mask), _subset(self.var, mask)],
                metric,
                self.ctx.task,
                models=[p.model, p.variant],
                dataset=p.dataset,
            )
            cmp = compare(
                metric,
                y,
                out_v,
                out_o,
                k,
                boundary=-(drop or 0.0),
                test="bootstrap",
                level=p.confidence,
                rng=self.ctx.rng(f"{self.key}:metric:{tag}"),
                n_resamples=p.n_resamples,
            )
        except UndefinedMetricError as exc:
            return Part(label, Status.INCONCLUSIVE, threshold=t, sample_size=n, message=str(exc))
        self.metric_values[tag] = (cmp.reference, cmp.candidate)
        ci: Interval | None = cmp.interval
        status = t.judge(ci, value=cmp.improvement) if t else Status.PASSED
        return Part(
            label,
            status,
            value=cmp.improvement,
            interval=ci,
            threshold=t,
            sample_size=n,
            message=f"{self.where}: {metric.name} {cmp.reference:.4g} → {cmp.candidate:.4g}, "
            f"change {cmp.improvement:+.4g}"
            + (f" [{ci.low:+.4g}, {ci.high:+.4g}] (paired bootstrap)" if ci else "")
            + " (positive: the variant is better)",
        )

    def slice(self, name: str, mask: np.ndarray, agree, diffs) -> tuple[list[Part], dict]:
        p, n = self.p, int(mask.sum())
        row: dict[str, Any] = {"slice": name, "rows": n}
        if diffs is not None and n:
            row["max_abs_diff"] = rounded(float(diffs[mask].max()))
            row["mean_abs_diff"] = rounded(float(diffs[mask].mean()))
        bounds = [b for b in (p.slice_agreement, p.slice_drop) if b is not None]
        if n < p.min_slice_rows:
            row["status"] = Status.INCONCLUSIVE.value
            if not bounds:
                return [], row
            return [
                Part(
                    f"slice {name}",
                    Status.INCONCLUSIVE,
                    sample_size=n,
                    message=f"{self.where}: only {n} rows (min_slice_rows={p.min_slice_rows}); "
                    "too few to judge, which is never a pass",
                )
            ], row
        parts: list[Part] = []
        if agree is not None:
            part = self.agreement(f"slice {name}: agreement", agree[mask], p.slice_agreement)
            row.update(_cells("agreement", part))
            parts += [part] if p.slice_agreement is not None else []
        if self.y is not None:
            part = self.metric_change(
                f"slice {name}: {self.metric.name} change", mask, p.slice_drop, f"slice:{name}"
            )
            if f"slice:{name}" in self.metric_values:
                orig, var = self.metric_values[f"slice:{name}"]
                row.update(original=rounded(orig), variant=rounded(var))
            row.update(_cells("change", part))
            parts += [part] if p.slice_drop is not None else []
        row["status"] = Status.worst(parts).value if parts else "reported"
        return parts, row


def _subset(preds: Predictions, mask: np.ndarray) -> Predictions:
    if mask.all():
        return preds
    idx = np.flatnonzero(mask)
    return Predictions(
        task=preds.task,
        labels=None if preds.labels is None else preds.labels[idx],
        scores=None if preds.scores is None else preds.scores[idx],
        values=None if preds.values is None else preds.values[idx],
        classes=preds.classes,
    )


def _cells(prefix: str, part: Part) -> dict[str, Any]:
    ci = part.interval
    return {
        prefix: rounded(part.value),
        f"{prefix}_low": rounded(ci.low) if ci else None,
        f"{prefix}_high": rounded(ci.high) if ci else None,
    }


def slice_evidence(rows: list[dict[str, Any]], p: ParityParams, metric: str) -> dict[str, Any]:
    out: dict[str, Any] = {"per_slice": Table.of(rows, title="per slice")}
    if any("agreement" in r for r in rows):
        kept = [r for r in rows if "agreement" in r]
        out["agreement_per_slice"] = Bars(
            labels=[r["slice"] for r in kept],
            values=[r["agreement"] for r in kept],
            low=[r["agreement_low"] for r in kept],
            high=[r["agreement_high"] for r in kept],
            over="slice",
            quantity=f"label agreement of {p.variant} with {p.model}",
        )
    if any("change" in r for r in rows):
        kept = [r for r in rows if "change" in r]
        out["metric_change_per_slice"] = Bars(
            labels=[r["slice"] for r in kept],
            values=[r["change"] for r in kept],
            low=[r["change_low"] for r in kept],
            high=[r["change_high"] for r in kept],
            over="slice",
            quantity=f"{metric} change, {p.variant} vs {p.model} (positive: variant better)",
        )
    return out


def examples(orig: Predictions, var: Predictions, diffs: np.ndarray, y) -> Examples:
    order = np.argsort(-diffs, kind="stable")[:EXAMPLES]
    rows = []
    for i in order:
        row: dict[str, Any] = {"row": int(i), "abs_diff": rounded(float(diffs[i]))}
        if orig.labels is not None:
            row.update(original=orig.labels[i], variant=var.labels[i])
        else:
            row.update(original=rounded(orig.values[i]), variant=rounded(var.values[i]))
        if y is not None:
            row["label"] = y[i]
        rows.append(row)
    return Examples(rows=tuple(rows), title="rows where the variant differs most")
