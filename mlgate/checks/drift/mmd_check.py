"""The ``multivariate_drift`` check: the joint distribution of the features (or the
predicted scores) of the current data vs the reference, by an MMD permutation test.

Rows are encoded (numbers standardised by the reference's mean and SD, categories one-hot
over the reference's categories, or a user ``encoder``), optionally reduced by PCA fitted on the
reference (``pca: k``), subsampled to ``max_rows`` per side, and tested with
:func:`mlgate.checks.drift.mmd.mmd_test` on torch
(``device``, else the gate's device, else CUDA when
available, else CPU). **failed** when the p-value is at most ``alpha`` and MMD² reaches
``min_effect`` (``rule: both``, the default), **inconclusive** with fewer than ``min_samples``
rows a side, **passed** otherwise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from mlgate.checks.drift.checks import paired_frames, validate_target
from mlgate.checks.drift.effect import Rule, flagged
from mlgate.checks.drift.mmd import mmd_test
from mlgate.checks.drift.table import is_categorical
from mlgate.config.schema import GateConfig
from mlgate.core.context import GateContext
from mlgate.core.errors import ConfigError, DataError
from mlgate.core.imports import resolve_callable
from mlgate.core.registry import CheckType, Resamples
from mlgate.core.result import CheckResult, Part, Status, Threshold

KIND = "drift"


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


def encode_frames(
    ref: pd.DataFrame, cur: pd.DataFrame, categorical: set[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Both frames as float matrices: numbers standardised by the reference (a constant column
    is only centred), categories one-hot over the reference's categories (others: all zero).
    Rows with a missing number are dropped. The frames are not modified."""
    blocks_r, blocks_c, names = [], [], []
    for col in ref.columns:
        if col in categorical or is_categorical(ref[col]) or is_categorical(cur[col]):
            cats = pd.unique(ref[col].astype(object))
            for c in cats[:100]:
                blocks_r.append((ref[col].astype(object) == c).to_numpy(dtype=float))
                blocks_c.append((cur[col].astype(object) == c).to_numpy(dtype=float))
                names.append(f"{col}={c}")
        else:
            r = ref[col].to_numpy(dtype=float)
            c = cur[col].to_numpy(dtype=float)
            mu, sd = np.nanmean(r), np.nanstd(r)
            sd = sd if sd > 0 else 1.0
            blocks_r.append((r - mu) / sd)
            blocks_c.append((c - mu) / sd)
            names.append(str(col))
    xr, xc = np.column_stack(blocks_r), np.column_stack(blocks_c)
    return xr[np.isfinite(xr).all(1)], xc[np.isfinite(xc).all(1)], names


def _encoded(ctx: GateContext, p: MultivariateDriftParams) -> tuple[np.ndarray, np.ndarray, str]:
    ref, cur, categorical = paired_frames(ctx, p)  # type: ignore[arg-type]
    if p.target == "predictions":
        ref, cur = ref.drop(columns=["label"]), cur.drop(columns=["label"])
    if p.encoder is not None:
        fn = resolve_callable(
            p.encoder,
            base_dir=ctx.gate.base_dir,
            what="multivariate_drift encoder",
            error=ConfigError,
        )
        xr, xc = (np.asarray(fn(f), dtype=float) for f in (ref, cur))
        if xr.ndim != 2 or xc.ndim != 2 or xr.shape[1] != xc.shape[1]:
            raise DataError(
                f"encoder {p.encoder!r} must return 2-D arrays with the same columns, got "
                f"{xr.shape} and {xc.shape}"
            )
        how = f"encoder {p.encoder}"
    else:
        xr, xc, _ = encode_frames(ref, cur, set(categorical + p.categorical))
        how = "standardised numbers, one-hot categories"
    if p.pca is not None:
        from sklearn.decomposition import PCA

        k = min(p.pca, xr.shape[1], len(xr))
        pca = PCA(n_components=k, random_state=0).fit(xr)
        xr, xc = pca.transform(xr), pca.transform(xc)
        how += f", PCA to {k} components fitted on the reference"
    return xr, xc, how


def run_multivariate_drift(ctx: GateContext, p: MultivariateDriftParams) -> CheckResult:
    xr, xc, how = _encoded(ctx, p)
    base = {"check_id": _default_id(p)}
    if min(len(xr), len(xc)) < p.min_samples:
        note = f"{len(xr)} reference and {len(xc)} current row(s); min_samples={p.min_samples}"
        part = Part("rows", Status.INCONCLUSIVE, sample_size=len(xc), message=note)
        return CheckResult.from_parts(KIND, [part], **base, value=None, message=note)
    rng = ctx.rng(f"multivariate_drift:{p.target}:{p.reference}:{p.dataset}")
    sub_r = (
        xr[np.sort(rng.choice(len(xr), p.max_rows, replace=False))] if len(xr) > p.max_rows else xr
    )
    sub_c = (
        xc[np.sort(rng.choice(len(xc), p.max_rows, replace=False))] if len(xc) > p.max_rows else xc
    )
    res = mmd_test(
        sub_r, sub_c, rng=rng, n_permutations=p.n_permutations, device=p.device or ctx.device
    )
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
            f"permutation test on torch ({res.device}); rows: {how}; drifted when "
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
            "rows_available": [len(xr), len(xc)],
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
)

#: ``multivariate_drift_check(mlgate, pca=5)`` from Python: the check type itself (raises
#: MissingDependencyError without torch).
multivariate_drift_check = MULTIVARIATE_DRIFT
