"""Parameters of the ``backtest`` check, validated before anything runs: a duration pandas
would misread (``3M``), a window comparison without its bound, a relative bound on a metric
that can be negative, or a cutoff that is no date is a gate-file error naming the key."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from mlgate.config.schema import GateConfig
from mlgate.core.errors import ConfigError
from mlgate.core.registry import Resamples, require_dataset, require_model
from mlgate.core.windows import WindowSpec
from mlgate.stats.evaluate import INTERVAL_METHODS, interval_problem
from mlgate.stats.metrics import get_metric
from mlgate.stats.scoring import check_metric

#: What ``compare_to`` compares the latest window with, in words.
REFERENCE_WORDS = {
    "first": "the first window",
    "training": "the training period (rows up to the cutoff)",
    "best": "every earlier window",
}


class RelativeDrop(BaseModel):
    """``max_drop: {relative: 0.1}``: the drop as a share of the reference window's metric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    relative: float = Field(gt=0.0, le=10.0)


class BacktestParams(WindowSpec):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    min: float | None = None
    max: float | None = None
    max_decay: float | None = Field(None, ge=0.0)
    compare_to: Literal["first", "training", "best"] | None = None
    max_drop: float | RelativeDrop | None = None
    cutoff: str | float | None = None
    model: str = "candidate"
    dataset: str = "evaluation"
    judge_last: PositiveInt = 1
    train: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    train_args: dict[str, Any] = Field(default_factory=dict)
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    #: The per-window interval: `percentile` / `bca` / `wilson` / `delong` need every row;
    #: `poisson` folds batches for a fixed model on duration windows (runs on Dask at any size).
    interval: str = "percentile"
    n_resamples: Resamples = 500
    min_samples: PositiveInt = 30

    @field_validator("max_drop", mode="before")
    @classmethod
    def _relative(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        try:
            return RelativeDrop.model_validate(value)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'max_drop'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
            raise ValueError(
                f"{problems}; a relative drop is written {{relative: 0.1}} (10% of the "
                "reference window's metric)"
            ) from None

    @model_validator(mode="after")
    def _policy(self) -> BacktestParams:
        try:
            metric = get_metric(self.metric)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None
        if self.interval not in (*INTERVAL_METHODS, "poisson"):
            raise ValueError(
                f"unknown interval {self.interval!r}; use one of {[*INTERVAL_METHODS, 'poisson']}"
            )
        problem = (
            None if self.interval == "poisson" else interval_problem(metric, self.interval, None)
        )
        if problem:
            raise ValueError(problem)
        if self.min is not None and self.max is not None:
            raise ValueError("give at most one of 'min' and 'max'")
        self._check_comparison(metric)
        if (
            self.min is None
            and self.max is None
            and self.max_decay is None
            and self.compare_to is None
        ):
            raise ValueError(
                "give a policy: 'min' or 'max' (latest window), 'max_decay' and/or "
                "'compare_to' with 'max_drop'"
            )
        if isinstance(self.cutoff, str):
            try:
                pd.Timestamp(self.cutoff)
            except (ValueError, TypeError):
                raise ValueError(
                    f"cutoff {self.cutoff!r} is not a date; write e.g. cutoff: '2024-01-01' "
                    "(or a number for a numeric time column)"
                ) from None
        return self

    def _check_comparison(self, metric: Any) -> None:
        if self.compare_to is None and self.max_drop is None:
            return
        if self.compare_to is None:
            raise ValueError(
                f"max_drop ({self._drop_text()}) needs 'compare_to': the window the latest is "
                "compared with (first, training or best)"
            )
        if self.max_drop is None:
            raise ValueError(
                f"compare_to: {self.compare_to} needs 'max_drop': how much worse than that "
                "window the latest may be (e.g. max_drop: 0.05, or {relative: 0.1})"
            )
        if isinstance(self.max_drop, float) and self.max_drop < 0:
            raise ValueError(
                f"max_drop must be ≥ 0 (a drop is how much worse, whatever the metric's "
                f"direction), got {self.max_drop}"
            )
        if isinstance(self.max_drop, RelativeDrop) and metric.bounds[0] < 0:
            raise ValueError(
                f"max_drop: {{relative: {self.max_drop.relative:g}}} needs a metric that is "
                f"never negative, and {self.metric} can be; give max_drop in {self.metric}'s "
                "units instead"
            )
        if self.mode != "sliding" or (self.step is not None and self.step != self._length):
            raise ValueError(
                f"compare_to: {self.compare_to} needs windows that do not overlap, so that "
                f"they hold different rows; drop 'step' (got {self.step!r}) and use "
                f"mode: sliding (got {self.mode!r})"
            )
        if self.compare_to == "training" and self.cutoff is None:
            raise ValueError(
                "compare_to: training needs 'cutoff': the training period is the rows up to it"
            )
        if self.compare_to == "training" and self.train is not None:
            raise ValueError(
                "compare_to: training compares the fixed model with its own training period; "
                f"with train: {self.train!r} use compare_to: first or best"
            )

    @property
    def _length(self) -> Any:
        return self.every if self.every is not None else self.rows

    def _drop_text(self) -> str:
        d = self.max_drop
        return f"{{relative: {d.relative:g}}}" if isinstance(d, RelativeDrop) else f"{d}"

    @property
    def drop_bound(self) -> float:
        """``max_drop`` as a number: in the metric's units, or a share when relative."""
        d = self.max_drop
        return float(d.relative if isinstance(d, RelativeDrop) else d)  # type: ignore[arg-type]


def validate(p: BacktestParams, config: GateConfig) -> None:
    check_metric(p.metric, config.task)
    if p.train is None:
        require_model(config, p.model)
    require_dataset(config, p.dataset)
    if config.datasets[p.dataset].time is None:
        raise ConfigError(
            f"dataset {p.dataset!r} declares no 'time' column; a backtest needs one "
            f"(set datasets.{p.dataset}.time)",
            path="dataset",
        )


def cutoff_value(p: BacktestParams, dates: bool) -> Any:
    """``cutoff`` in the time column's type (``dates``: a datetime column; None without a
    cutoff). Raises ConfigError when it does not suit the column."""
    if p.cutoff is None:
        return None
    if dates:
        try:
            return pd.Timestamp(p.cutoff)
        except (ValueError, TypeError):
            raise ConfigError(f"{p.cutoff!r} is not a date", path="cutoff") from None
    if isinstance(p.cutoff, str):
        raise ConfigError(f"the time column holds numbers; got {p.cutoff!r}", path="cutoff")
    return p.cutoff
