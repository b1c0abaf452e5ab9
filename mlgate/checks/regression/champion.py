"""Champion comparison: is the candidate at least as good as the champion (non-inferiority
with a margin, the usual promotion rule), or better (superiority)?

Both models are scored on the same rows and compared with a paired test per metric: McNemar
(exact binomial for fewer than 25 discordant rows; Tango's score test against a non-zero
margin) for accuracy, DeLong for binary ROC AUC, a paired bootstrap for any other metric.
The improvement (positive = candidate better, whatever the metric's direction) is tested
against the boundary −margin (non-inferiority) or +margin (superiority) with one-sided level
α = (1 − confidence) / 2, so "passed" matches "the two-sided interval lies above the
boundary". With several metrics the p-values are adjusted (Holm by default).

Per metric: **passed** when the adjusted p-value is ≤ α; **failed** when the whole interval
lies at or below the boundary; otherwise **inconclusive**, with the number of rows that would
be needed to decide (power ``power``, assuming the observed difference is the true one).
The check passes only when every metric passes.

A margin may be relative to the champion's metric, ``margin: {relative: 0.02}`` ("at most 2%
of the champion's MAE worse"), also per metric (``margin: {mae: {relative: 0.02}, roc_auc:
0.01}``): that metric's relative improvement, sign·(candidate / champion − 1), is tested
against −0.02 with a paired bootstrap of the ratio (:mod:`mlgate.checks.regression.relative`).

``interval: poisson`` folds batches instead (:mod:`mlgate.checks.regression.champion_poisson`),
so the check runs on Dask at any size: each model is folded into Poisson bootstraps that share
one weight key, so the per-resample difference is a paired bootstrap; McNemar and DeLong, which
need both outputs of each row together, give way to it for every metric.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from mlgate.checks.regression.champion_poisson import poisson_comparisons
from mlgate.checks.regression.relative import relative_compare
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.engines import CollectRefused
from mlgate.core.errors import ConfigError, EmptyDatasetError, MlgateError
from mlgate.core.evidence import Bars, Table
from mlgate.core.params import RelativeMargin
from mlgate.core.registry import CheckType, Resamples, require_dataset, require_model
from mlgate.core.result import CheckResult, Interval, Part, Status, Threshold, rounded
from mlgate.stats.evaluate import TESTS, Comparison, choose_test, compare
from mlgate.stats.metrics import UndefinedMetricError, get_metric
from mlgate.stats.multiple_testing import CORRECTIONS, adjust
from mlgate.stats.power import required_rows
from mlgate.stats.scoring import check_metric, encode

KIND = "regression"


class ChampionParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: list[str] = Field(min_length=1)
    mode: Literal["non_inferiority", "superiority"] = "non_inferiority"
    margin: float | RelativeMargin | dict[str, float | RelativeMargin] | None = None
    champion: str = "champion"
    model: str = "candidate"
    dataset: str = "evaluation"
    test: str | dict[str, str] = "auto"
    correction: str = "holm"
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    power: float = Field(0.8, gt=0.0, lt=1.0)
    n_resamples: Resamples = 1000
    interval: Literal["percentile", "bca", "poisson"] = Field(
        "percentile",
        description="`percentile` / `bca`: McNemar, DeLong or a paired bootstrap over rows "
        "(every row in one place); `poisson`: a paired Poisson bootstrap of every metric, each "
        "model's batches folded with the same row weights (runs on Dask at any size; ranking "
        "metrics on a grid of score buckets, exact up to 4,096 distinct scores).",
    )
    min_samples: PositiveInt = 30
    max_undefined_fraction: float = Field(0.05, ge=0.0, le=1.0)

    @field_validator("metrics", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("margin", mode="before")
    @classmethod
    def _relative(cls, v: Any) -> Any:
        # {relative: 0.02} is one relative margin; any other mapping is {metric: margin}.
        if isinstance(v, dict) and "relative" in v:
            return _relative_margin(v, "margin")
        if isinstance(v, dict):
            return {
                name: _relative_margin(m, f"margin.{name}") if isinstance(m, dict) else m
                for name, m in v.items()
            }
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ChampionParams:
        for name in self.metrics:
            try:
                get_metric(name)
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError(f"metrics listed twice: {self.metrics}")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"unknown correction {self.correction!r}; use one of {CORRECTIONS}")
        if self.mode == "non_inferiority" and self.margin is None:
            raise ValueError(
                "non-inferiority needs a 'margin': how much worse than the champion the "
                "candidate may be (in the metric's units), e.g. margin: 0.01"
            )
        if isinstance(self.margin, dict):
            for name in self.margin:
                if name not in self.metrics:
                    raise ValueError(
                        f"'margin' names metric {name!r}, which is not in 'metrics' "
                        f"{self.metrics}; a relative margin is written margin: {{relative: 0.02}}"
                    )
        for name in self.metrics:
            if self.margin_of(name) < 0:
                raise ValueError(f"margin of {name!r} must be ≥ 0, got {self.margin_of(name)}")
            if self.relative(name):
                if get_metric(name).bounds[0] < 0:
                    raise ValueError(
                        f"the margin of {name!r} is relative, which needs a metric that is never "
                        f"negative, and {name} can be; give its margin in {name}'s units"
                    )
                if self.test_of(name) not in ("auto", "bootstrap"):
                    raise ValueError(
                        f"the margin of {name!r} is relative: it is tested with a paired "
                        f"bootstrap of the ratio, not {self.test_of(name)!r}; drop 'test' for it"
                    )
        if self.interval == "poisson":
            for name in self.metrics:
                if self.test_of(name) not in ("auto", "bootstrap"):
                    raise ValueError(
                        f"test {self.test_of(name)!r} of {name!r} needs both models' outputs of "
                        "each row together, which interval: poisson does not gather (it folds "
                        "each model's batches); under poisson every metric is compared with "
                        "the paired Poisson bootstrap: drop 'test' or use interval: percentile"
                    )
        tests = self.test if isinstance(self.test, dict) else {}
        for name in tests:
            if name not in self.metrics:
                raise ValueError(f"'test' names metric {name!r}, which is not in 'metrics'")
        for test in tests.values() if tests else [self.test]:
            if test not in TESTS:
                raise ValueError(f"unknown test {test!r}; use one of {list(TESTS)}")
        return self

    def _margin(self, metric: str) -> float | RelativeMargin:
        if isinstance(self.margin, dict):
            if metric not in self.margin:
                raise ValueError(f"'margin' has no entry for metric {metric!r}")
            return self.margin[metric]
        return self.margin if self.margin is not None else 0.0

    def margin_of(self, metric: str) -> float:
        """The margin of ``metric``: in its units, or a share of the champion's when
        :meth:`relative`."""
        m = self._margin(metric)
        return float(m.relative if isinstance(m, RelativeMargin) else m)

    def relative(self, metric: str) -> bool:
        return isinstance(self._margin(metric), RelativeMargin)

    def boundary(self, metric: str) -> float:
        """The improvement to beat: −margin (non-inferiority) or +margin (superiority)."""
        m = self.margin_of(metric)
        return -m if self.mode == "non_inferiority" else m

    def test_of(self, metric: str) -> str:
        return self.test.get(metric, "auto") if isinstance(self.test, dict) else self.test

    @property
    def alpha(self) -> float:
        return (1.0 - self.confidence) / 2.0


def _relative_margin(value: dict, key: str) -> RelativeMargin:
    """``{relative: 0.02}`` read as a relative margin; ValueError naming ``key`` otherwise."""
    try:
        return RelativeMargin.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'margin'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        where = "" if key == "margin" else f"{key}: got {value!r}: "
        raise ValueError(
            f"{where}{problems}; a relative margin is written {{relative: 0.02}} (2% of the "
            "champion's metric)"
        ) from None


def _validate(p: ChampionParams, config: GateConfig) -> None:
    for i, name in enumerate(p.metrics):
        metric = check_metric(name, config.task, path=f"metrics[{i}]")
        try:
            choose_test(metric, 2 if config.task.value == "binary" else 3, p.test_of(name))
        except ValueError as exc:
            raise ConfigError(str(exc), path="test") from None
    require_model(config, p.model)
    require_model(config, p.champion, path="champion")
    require_dataset(config, p.dataset)


def run_champion(ctx: GateContext, p: ChampionParams) -> CheckResult:
    if p.interval == "poisson":  # folds batches: runs on Dask at any size (docs/dask.md)
        try:
            results, n = poisson_comparisons(ctx, p)
        except (CollectRefused, EmptyDatasetError):  # the kernel's to report
            raise
        except MlgateError as exc:
            return CheckResult(f"champion-{p.metrics[0]}", KIND, Status.ERROR, message=str(exc))
        return _decide(p, results, n)
    data = ctx.dataset(p.dataset)
    cand = ctx.predict(p.model, p.dataset)
    champ = ctx.predict(p.champion, p.dataset)
    n = len(data)
    results: list[Comparison | str] = []
    for name in p.metrics:
        metric = get_metric(name)
        try:
            y, (out_c, out_b), k = encode(
                data.y,
                [cand, champ],
                metric,
                ctx.task,
                models=[p.model, p.champion],
                dataset=p.dataset,
            )
            if p.relative(name):
                results.append(
                    relative_compare(
                        metric,
                        y,
                        out_c,
                        out_b,
                        k,
                        boundary=p.boundary(name),
                        level=p.confidence,
                        rng=ctx.rng(f"champion:{name}:{p.model}:{p.champion}:{p.dataset}:ratio"),
                        n_resamples=p.n_resamples,
                        method=p.interval,
                    )
                )
                continue
            with ctx.progress.task(f"{name} vs champion", p.n_resamples) as advance:
                cmp = compare(
                    metric,
                    y,
                    out_c,
                    out_b,
                    k,
                    boundary=p.boundary(name),
                    test=p.test_of(name),  # type: ignore[arg-type]
                    level=p.confidence,
                    rng=ctx.rng(f"champion:{name}:{p.model}:{p.champion}:{p.dataset}"),
                    n_resamples=p.n_resamples,
                    bootstrap_method=p.interval,
                    progress=advance,
                )
            results.append(cmp)
        except UndefinedMetricError as exc:
            results.append(f"{name} undefined: {exc}")
        except MlgateError as exc:
            return CheckResult(f"champion-{name}", KIND, Status.ERROR, message=str(exc))
    return _decide(p, results, n)


def _decide(p: ChampionParams, results: list[Comparison | str], n: int) -> CheckResult:
    """The check's result from each metric's comparison: p-values adjusted over the metrics,
    each judged against its boundary."""
    p_values = [
        r.p_value if isinstance(r, Comparison) and r.p_value is not None else 1.0 for r in results
    ]
    adjusted = adjust(p_values, p.correction)  # type: ignore[arg-type]
    rows = [_row(p, r, float(q), n) for r, q in zip(results, adjusted, strict=True)]
    return _result(p, rows, results, n)


def _row(p: ChampionParams, r: Comparison | str, p_adj: float, n: int) -> dict[str, Any]:
    if isinstance(r, str):
        return {"metric": r.split(" ")[0], "status": "inconclusive", "message": r}
    undefined = r.details.get("undefined_resamples", 0) / max(r.details.get("n_resamples", 1), 1)
    row: dict[str, Any] = {
        "metric": r.metric,
        "candidate": rounded(r.candidate),
        "champion": rounded(r.reference),
        "improvement": rounded(r.improvement),
        "boundary": rounded(r.boundary),
        "interval": [rounded(r.interval.low), rounded(r.interval.high)] if r.interval else None,
        "se": rounded(r.se),
        "test": r.test,
        "p_value": rounded(r.p_value, 8),
        "p_adjusted": rounded(p_adj, 8),
        **{k: v for k, v in r.details.items() if k != "no_interval"},
    }
    if n < p.min_samples:
        status, msg = Status.INCONCLUSIVE, f"only {n} rows; min_samples={p.min_samples}"
    elif r.interval is None or r.p_value is None or undefined > p.max_undefined_fraction:
        status, msg = (
            Status.INCONCLUSIVE,
            f"{r.metric}: no interval (undefined on too many resamples)",
        )
    elif p_adj <= p.alpha:
        status, msg = Status.PASSED, _claim(p, r, p_adj)
    elif at_or_below(r.interval, r.boundary):
        status, msg = (
            Status.FAILED,
            (
                f"{r.metric}: {_improvement(r)} {r.improvement:+.4g} [{r.interval.low:+.4g}, "
                f"{r.interval.high:+.4g}] is at or below {r.boundary:+g}"
            ),
        )
    else:
        needed = (
            required_rows(
                se=r.se,
                n=n,
                difference=r.improvement,
                boundary=r.boundary,
                alpha=p.alpha,
                power=p.power,
            )
            if r.se is not None
            else None
        )
        row["rows_needed"] = needed
        status, msg = Status.INCONCLUSIVE, _undecided(p, r, p_adj, n, needed)
    row["status"], row["message"] = status.value, msg
    return row


def at_or_below(interval: Interval, boundary: float) -> bool:
    """Whether the whole ``interval`` of the improvement lies at or below ``boundary`` (the
    claim is disproved). The boundary itself counts as a failure (a claim is shown only above
    it), so this judges "improvement <= boundary" rather than the inclusive ">= boundary" of
    the reported threshold, which would leave an interval ending on the boundary undecided."""
    return Threshold("<=", boundary).judge(interval) is Status.PASSED


def _claim(p: ChampionParams, r: Comparison, p_adj: float) -> str:
    what = "non-inferior" if p.mode == "non_inferiority" else "superior"
    return (
        f"{r.metric}: {what} ({_improvement(r)} {r.improvement:+.4g} [{r.interval.low:+.4g}, "
        f"{r.interval.high:+.4g}] vs boundary {r.boundary:+g}, adjusted p={p_adj:.3g})"
    )


def _improvement(r: Comparison) -> str:
    """How a comparison's statistic is named: a relative margin judges a share of the
    champion's metric."""
    return "relative improvement" if r.details.get("relative") else "improvement"


def _undecided(p: ChampionParams, r: Comparison, p_adj: float, n: int, needed: int | None) -> str:
    base = (
        f"{r.metric}: {_improvement(r)} {r.improvement:+.4g} [{r.interval.low:+.4g}, "
        f"{r.interval.high:+.4g}] cannot be told from the boundary {r.boundary:+g} "
        f"(adjusted p={p_adj:.3g} > α={p.alpha:g})"
    )
    if needed is None:
        why = (
            "the observed difference sits on the boundary: no sample size decides it"
            if r.improvement == r.boundary
            else "the rows needed cannot be estimated (no spread in the data)"
        )
        return f"{base}; {why}"
    return (
        f"{base}; about {needed:,} rows would be needed to decide (power {p.power:.0%}, "
        f"if the observed difference is the true one; {n:,} rows now)"
    )


#: Columns of the per-metric table; the test's details (discordant rows, resamples) go
#: between the figures and the verdict.
FIGURES = (
    "metric",
    "candidate",
    "champion",
    "improvement",
    "boundary",
    "interval",
    "se",
    "test",
    "p_value",
    "p_adjusted",
)
VERDICT = ("status", "rows_needed", "message")


def _result(p: ChampionParams, rows, results, n: int) -> CheckResult:
    parts = [_part(p, row, r, n) for row, r in zip(rows, results, strict=True)]
    status = Status.worst(parts)
    decisive = next(i for i, part in enumerate(parts) if part.status is status)
    r = results[decisive] if isinstance(results[decisive], Comparison) else None
    what = "non-inferior to" if p.mode == "non_inferiority" else "superior to"
    head = {
        Status.PASSED: f"{p.model!r} is {what} {p.champion!r} on {', '.join(p.metrics)}",
        Status.FAILED: f"{p.model!r} is not {what} {p.champion!r}",
        Status.INCONCLUSIVE: f"the data cannot tell whether {p.model!r} is {what} {p.champion!r}",
        Status.ERROR: "a metric could not be compared",
    }[status]
    return CheckResult.from_parts(
        KIND,
        parts,
        check_id=f"champion-{p.metrics[0]}",
        metric=f"{parts[decisive].name} improvement over {p.champion}",
        sample_size=n,
        method=(
            f"{r.test if r else 'paired test'}, {p.mode.replace('_', '-')}, one-sided "
            f"α={p.alpha:g}, {p.correction} correction over {len(p.metrics)} metric(s)"
        ),
        message=f"{head}. " + "; ".join(row["message"] for row in rows),
        evidence={
            "model": p.model,
            "champion": p.champion,
            "dataset": p.dataset,
            "mode": p.mode,
            "correction": p.correction,
            "alpha": p.alpha,
            "confidence": p.confidence,
            "metrics": Table(rows=tuple(rows), columns=_columns(rows), title="per metric"),
            "improvement": Bars(
                labels=[part.name for part in parts],
                values=[rounded(part.value) for part in parts],
                low=[rounded(part.interval.low) if part.interval else None for part in parts],
                high=[rounded(part.interval.high) if part.interval else None for part in parts],
                over="metric",
                quantity=f"improvement over {p.champion}",
                title=f"improvement of {p.model!r} over {p.champion!r} per metric",
            ),
        },
    )


def _part(p: ChampionParams, row: dict[str, Any], r: Comparison | str, n: int) -> Part:
    """The judged metric as a part; the headline of a metric without a comparison has no
    value, interval or threshold."""
    status, message = Status(row["status"]), row["message"]
    if not isinstance(r, Comparison):
        return Part(row["metric"], status, sample_size=n, message=message)
    return Part(
        row["metric"],
        status,
        value=r.improvement,
        interval=r.interval,
        threshold=Threshold(">=", p.boundary(row["metric"])),
        sample_size=n,
        message=message,
    )


def _columns(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    details = dict.fromkeys(c for row in rows for c in row if c not in FIGURES + VERDICT)
    return FIGURES + tuple(details) + VERDICT


def _default_id(p: ChampionParams) -> str:
    return "champion-" + "-".join(p.metrics)


CHAMPION = CheckType(
    name="champion",
    kind=KIND,
    params=ChampionParams,
    run=run_champion,
    summary="Paired comparison with the champion on the same rows (McNemar, DeLong, paired "
    "bootstrap): non-inferiority with a margin (or {relative: 0.02} of the champion's metric) "
    "or superiority, several metrics with Holm / "
    "Bonferroni / BH correction; inconclusive with the rows needed when the data cannot tell. "
    "interval: poisson folds batches (a paired Poisson bootstrap; runs on Dask at any size).",
    validate=_validate,
    default_id=_default_id,
    # interval: poisson folds each model's batches (champion_poisson; ranking metrics on a
    # grid of score buckets); the other intervals, McNemar and DeLong need every row at once.
    needs_all_rows=lambda p: p.interval != "poisson",
)

#: The check as a Python function: ``champion_check(mlgate, metrics=["accuracy"],
#: margin=0.01)`` (the check type itself; parameters are validated as in the gate file).
champion_check = CHAMPION
