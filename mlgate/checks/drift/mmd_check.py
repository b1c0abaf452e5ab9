"""The ``multivariate_drift`` check: the joint distribution of the features (or the
predicted scores) of the current data vs the reference, by an MMD permutation test.

The test only ever sees ``max_rows`` rows a side, so only those rows are read into the gate:
each side is **one fold** (``ctx.fold``) that keeps a uniform sample without replacement, the
``max_rows`` rows of least ``splitmix64_at(stream_key(seed, "<check>:reference"), position)``
(``":current"`` for the other side), with only the compared columns (and the model's
predictions for ``target: predictions``). That is a bottom-k sample
(:mod:`mlgate.stats.bottom_k`): the ranks are fixed before any row is read, so every set of
``max_rows`` rows is equally likely, and the bottom-k of a union is the bottom-k of the parts'
bottom-k, so the same rows are kept however the data is batched or partitioned. On the Dask
engine the folds run on the workers and at most ``max_rows`` rows a side reach the gate; in
memory the same code keeps the same rows, so both give the same result bytes. Rows with a
missing or infinite number in a compared numeric column are left out before sampling (a row
the encoding cannot place), unless a user ``encoder`` decides what to do with them.

The samples are then encoded **from the pooled sample of both sides**: numbers standardised by
the pooled mean and SD (a constant column is only centred), categories one-hot over the pooled
sample's 100 most frequent values (ties by text), or a user ``encoder`` applied once to the
pooled rows; ``pca: k`` is fitted on the pooled encoded rows. Why pooled, not the reference:
the permutation test is exact when, under H0, the statistic's distribution is unchanged by
permuting which rows are "reference". An encoding fitted on the pooled rows is a symmetric
function of the pooled set, applied row by row, so permuting the labels commutes with it and
the test stays exact. One fitted on the reference alone depends on the labels: PCA fitted on
the reference maximises the reference's variance along its components (the reference looks
more spread than the current data even with no drift), and the observed split is the only one
encoded with its own reference's fit, so it is not exchangeable with the permuted splits. The
test, :func:`mlgate.checks.drift.mmd.mmd_test` on torch (``device``, else the gate's device,
else CUDA when available, else CPU), permutes the pooled encoded rows (σ by the median
heuristic of the pooled rows). **failed** when the p-value is at most ``alpha`` and MMD²
reaches ``min_effect`` (``rule: both``, the default), **inconclusive** with fewer than
``min_samples`` rows a side, **passed** otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from mlgate.checks.drift.checks import validate_target
from mlgate.checks.drift.effect import Rule, flagged
from mlgate.checks.drift.folded import DriftFold
from mlgate.checks.drift.mmd import mmd_test
from mlgate.checks.drift.table import is_categorical, require_same_columns
from mlgate.config.schema import GateConfig
from mlgate.core.context import Batch, GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.imports import resolve_callable
from mlgate.core.registry import CheckType, Resamples
from mlgate.core.result import CheckResult, Part, Status, Threshold
from mlgate.core.task import Task
from mlgate.stats.bottom_k import bottom_k
from mlgate.stats.poisson import splitmix64_at, stream_key

KIND = "drift"

#: One-hot columns per categorical column at most (its most frequent values in the pooled
#: sample).
MAX_CATEGORIES = 100


class MultivariateDriftParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target: Literal["features", "predictions"] = "features"
    columns: list[str] | None = None
    categorical: list[str] = Field(default_factory=list)
    model: str = "candidate"
    reference: str = "reference"
    dataset: str = "evaluation"
    encoder: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    pca: PositiveInt | None = None
    max_rows: PositiveInt = 1000
    n_permutations: Resamples = 500
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    min_effect: float = Field(0.001, ge=0.0)
    rule: Rule = "both"
    device: str | None = None
    min_samples: PositiveInt = 30


# -- the sample: one bottom-k fold per side -----------------------------------------------------
@dataclass(frozen=True)
class Kept:
    """One side's sample so far: the kept rows' ``positions`` and ``ranks``, their compared
    columns (``frame``), and how many rows could have been kept (``eligible``) of ``rows``."""

    positions: np.ndarray
    ranks: np.ndarray
    frame: pd.DataFrame
    eligible: int
    rows: int

    def pick(self, idx: np.ndarray, eligible: int, rows: int) -> Kept:
        return Kept(self.positions[idx], self.ranks[idx], self.frame.iloc[idx], eligible, rows)


@dataclass(frozen=True)
class KeepSample:
    """The fold's batch function (picklable, for the workers): a batch's compared columns
    (``columns.frame``, as the per-column ``drift`` check reads them; the scores or values
    without the predicted label for ``target: predictions``), its rows with a
    non-finite number dropped unless ``keep_missing``, then its ``size`` rows of least rank."""

    key: int
    size: int
    columns: DriftFold
    keep_missing: bool

    def __call__(self, batch: Batch) -> Kept:
        frame = self.columns.frame(batch)
        if self.columns.target == "predictions":  # the scores (or values), not the label
            frame = frame.drop(columns=["label"], errors="ignore")
        positions = np.arange(batch.start, batch.stop, dtype=np.int64)
        ok = np.ones(len(frame), dtype=bool)
        if not self.keep_missing:
            for col in frame.columns:
                series = frame[col]
                if col not in self.columns.forced and not is_categorical(series):
                    ok &= np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))
        frame, positions = frame.loc[ok], positions[ok]
        state = Kept(positions, splitmix64_at(self.key, positions), frame, int(ok.sum()), 0)
        idx = _least(state, self.size)
        return state.pick(idx, state.eligible, len(batch))


@dataclass(frozen=True)
class MergeSample:
    """The fold's merge: the ``size`` rows of least rank of the union of two samples."""

    size: int

    def __call__(self, a: Kept, b: Kept) -> Kept:
        if not len(a.positions) or not len(b.positions):  # keep the dtypes of the rows kept
            kept = b if not len(a.positions) else a
            return kept.pick(
                np.arange(len(kept.positions)), a.eligible + b.eligible, a.rows + b.rows
            )
        both = Kept(
            np.concatenate([a.positions, b.positions]),
            np.concatenate([a.ranks, b.ranks]),
            pd.concat([a.frame, b.frame]),
            a.eligible + b.eligible,
            a.rows + b.rows,
        )
        return both.pick(_least(both, self.size), both.eligible, both.rows)


def _least(state: Kept, size: int) -> np.ndarray:
    strata = np.zeros(len(state.positions), dtype=np.int64)
    return bottom_k(strata, state.ranks, state.positions, np.array([size], dtype=np.int64))


@dataclass(frozen=True)
class Side:
    """One side's sample in row order (``frame``, indexed 0..n-1), the rows eligible for it and
    the side's rows."""

    frame: pd.DataFrame
    eligible: int
    rows: int


def check_key(p: MultivariateDriftParams) -> str:
    """The check's identity in its random streams (the permutations and the two samples)."""
    return f"multivariate_drift:{p.target}:{p.reference}:{p.dataset}"


def _columns(ctx: GateContext, p: MultivariateDriftParams, dataset: str) -> list[str]:
    """The feature columns compared on ``dataset`` (metadata only on a distributed engine).
    Raises DataError for a column the data does not have."""
    data = ctx.engine.open(ctx, dataset)
    available = [str(c) for c in (data.frame.columns if hasattr(data, "frame") else data.columns)]
    columns = list(p.columns if p.columns is not None else data.feature_names)
    missing = [c for c in columns if c not in available]
    if missing:
        raise DataError(f"dataset {dataset!r} has no column(s) {missing}; columns: {available}")
    return columns


def draw_sides(ctx: GateContext, p: MultivariateDriftParams) -> tuple[Side, Side]:
    """The reference's and the current data's samples: at most ``max_rows`` rows each, one
    bottom-k fold per side (see the module docstring). Raises DataError naming the columns
    one side lacks."""
    regression = ctx.task is Task.REGRESSION
    columns: list[str] = []
    model = None
    if p.target == "features":
        columns = _columns(ctx, p, p.reference)
        require_same_columns(columns, _columns(ctx, p, p.dataset), p.reference, p.dataset)
    else:
        model = p.model
    spec = DriftFold(p.target, tuple(columns), frozenset(p.categorical), regression)
    sides = []
    for name, dataset in (("reference", p.reference), ("current", p.dataset)):
        key = stream_key(ctx.seed, f"{check_key(p)}:{name}")
        keep = KeepSample(key, p.max_rows, spec, keep_missing=p.encoder is not None)
        state = ctx.fold(model, dataset, keep, MergeSample(p.max_rows), columns=columns)
        if state is None:
            sides.append(Side(pd.DataFrame(columns=columns), 0, 0))
            continue
        order = np.argsort(state.positions, kind="stable")
        frame = state.frame.iloc[order].reset_index(drop=True)
        sides.append(Side(frame, state.eligible, state.rows))
    return sides[0], sides[1]


# -- the encoding: fitted on the pooled sample ----------------------------------------------------
def encode_pooled(
    ref: pd.DataFrame, cur: pd.DataFrame, categorical: set[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Both samples as float matrices, encoded by a rule fitted on their pooled rows (so the
    encoding is the same whichever rows are called reference): numbers standardised by the
    pooled mean and SD (a constant column is only centred), categories one-hot over the pooled
    rows' :data:`MAX_CATEGORIES` most frequent values (ties by text; others: all zero). A
    column is categorical when declared, or not numeric on either side. Rows with a missing
    number are dropped. The frames are not modified."""
    pooled = pd.concat([ref, cur], ignore_index=True)
    blocks, names = [], []
    for col in ref.columns:
        if col in categorical or is_categorical(ref[col]) or is_categorical(cur[col]):
            values = pooled[col].astype(object)
            counts = values.value_counts(dropna=True)
            cats = sorted(counts.index, key=lambda c: (-int(counts[c]), str(c)))
            for c in cats[:MAX_CATEGORIES]:
                blocks.append((values == c).to_numpy(dtype=float))
                names.append(f"{col}={c}")
        else:
            x = pooled[col].to_numpy(dtype=float, na_value=np.nan)
            mu, sd = np.nanmean(x) if len(x) else 0.0, np.nanstd(x) if len(x) else 0.0
            blocks.append((x - mu) / (sd if sd > 0 else 1.0))
            names.append(str(col))
    z = np.column_stack(blocks) if blocks else np.zeros((len(pooled), 0))
    xr, xc = z[: len(ref)], z[len(ref) :]
    return xr[np.isfinite(xr).all(1)], xc[np.isfinite(xc).all(1)], names


def _encoded(
    ctx: GateContext, p: MultivariateDriftParams, ref: pd.DataFrame, cur: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, str]:
    if p.encoder is not None:
        fn = resolve_callable(
            p.encoder,
            base_dir=ctx.gate.base_dir,
            what="multivariate_drift encoder",
            error=ConfigError,
        )
        z = np.asarray(fn(pd.concat([ref, cur], ignore_index=True)), dtype=float)
        if z.ndim != 2 or len(z) != len(ref) + len(cur):
            raise DataError(
                f"encoder {p.encoder!r} must return a 2-D array with one row per row it is "
                f"given ({len(ref) + len(cur)}), got shape {z.shape}"
            )
        xr, xc = z[: len(ref)], z[len(ref) :]
        xr, xc = xr[np.isfinite(xr).all(1)], xc[np.isfinite(xc).all(1)]
        how = f"encoder {p.encoder} on the pooled sample"
    else:
        xr, xc, _ = encode_pooled(ref, cur, set(p.categorical))
        how = "standardised numbers, one-hot categories, fitted on the pooled sample"
    if p.pca is not None and min(len(xr), len(xc)) >= 2:
        from sklearn.decomposition import PCA

        both = np.vstack([xr, xc])
        k = min(p.pca, both.shape[1], len(both))
        pca = PCA(n_components=k, random_state=0).fit(both)
        xr, xc = pca.transform(xr), pca.transform(xc)
        how += f", PCA to {k} components fitted on the pooled sample"
    return xr, xc, how


def _too_few(p: MultivariateDriftParams, n_ref: int, n_cur: int, base: dict) -> CheckResult:
    note = f"{n_ref} reference and {n_cur} current row(s); min_samples={p.min_samples}"
    part = Part("rows", Status.INCONCLUSIVE, sample_size=n_cur, message=note)
    return CheckResult.from_parts(KIND, [part], **base, value=None, message=note)


def run_multivariate_drift(ctx: GateContext, p: MultivariateDriftParams) -> CheckResult:
    ref, cur = draw_sides(ctx, p)
    base = {"check_id": _default_id(p)}
    if min(len(ref.frame), len(cur.frame)) < p.min_samples:
        return _too_few(p, len(ref.frame), len(cur.frame), base)
    xr, xc, how = _encoded(ctx, p, ref.frame, cur.frame)
    if min(len(xr), len(xc)) < p.min_samples:
        return _too_few(p, len(xr), len(xc), base)
    rng = ctx.rng(check_key(p))
    res = mmd_test(xr, xc, rng=rng, n_permutations=p.n_permutations, device=p.device or ctx.device)
    drifted = flagged(res.p_value, res.mmd2, alpha=p.alpha, min_effect=p.min_effect, rule=p.rule)
    verdict = "drifted" if drifted else "no drift"
    # The flag is a permutation test and MMD²'s point estimate against min_effect: no interval,
    # so a decision rule has nothing to re-judge (docs/checks/drift.md).
    test = Part(
        "MMD² permutation test",
        Status.FAILED if drifted else Status.PASSED,
        value=res.mmd2,
        sample_size=len(xc),
        message=f"p = {res.p_value:.4g}, MMD² = {res.mmd2:.4g}: {verdict}",
    )
    sampled = ref.eligible > p.max_rows or cur.eligible > p.max_rows
    rows = (
        f"a seeded uniform sample of at most {p.max_rows:,} rows a side (bottom-k of a hash of "
        "the seed, the check and the row's position)"
        if sampled
        else "every row"
    )
    return CheckResult.from_parts(
        KIND,
        [test],
        **base,
        metric="MMD²",
        value=res.mmd2,
        interval=None,
        threshold=Threshold("<=", p.min_effect),
        sample_size=len(xc),
        method=(
            f"unbiased MMD² with a Gaussian kernel (median-heuristic σ), {p.n_permutations}-"
            f"permutation test on torch ({res.device}) of {rows}; rows: {how}; drifted when "
            + {
                "both": f"p ≤ {p.alpha:g} and MMD² ≥ {p.min_effect:g}",
                "significance": f"p ≤ {p.alpha:g}",
                "effect": f"MMD² ≥ {p.min_effect:g}",
            }[p.rule]
        ),
        message=(
            f"{verdict}: MMD² = {res.mmd2:.4g} (p = {res.p_value:.4g}) between {p.dataset!r} "
            f"and {p.reference!r} over {xr.shape[1]} dimension(s)"
        ),
        evidence={
            "target": p.target,
            "reference": p.reference,
            "dataset": p.dataset,
            "p_value": res.p_value,
            "mmd2": res.mmd2,
            "mmd": res.distance,
            "sigma": res.sigma,
            "dimensions": int(xr.shape[1]),
            "rows_tested": [res.n_x, res.n_y],
            "rows_available": [ref.eligible, cur.eligible],
            "rows_total": [ref.rows, cur.rows],
            "sampled": sampled,
            "n_permutations": res.n_permutations,
            "device": res.device,
            "alpha": p.alpha,
            "min_effect": p.min_effect,
            "rule": p.rule,
        },
    )


def _validate(p: MultivariateDriftParams, config: GateConfig) -> None:
    validate_target(p, config, ["reference", "dataset"])  # type: ignore[arg-type]


def _default_id(p: MultivariateDriftParams) -> str:
    return f"multivariate-drift-{p.target}"


MULTIVARIATE_DRIFT = CheckType(
    name="multivariate_drift",
    kind=KIND,
    params=MultivariateDriftParams,
    run=run_multivariate_drift,
    summary="Joint drift of the features (or scores) vs a reference: MMD² permutation test on "
    "torch (CPU or GPU) after optional PCA or a user encoder, with an effect-size floor.",
    validate=_validate,
    default_id=_default_id,
    # one bottom-k fold per side: at most max_rows rows a side reach the gate (docs/scale.md)
    needs_all_rows=False,
)

#: ``multivariate_drift_check(mlgate, pca=5)`` from Python: the check type itself (raises
#: MissingDependencyError without torch).
multivariate_drift_check = MULTIVARIATE_DRIFT
