"""alibi-detect's drift detectors as mlgate check types.

* ``alibi_ks_drift`` — ``KSDrift``: per numeric feature, two-sample KS (asymptotic);
* ``alibi_chi2_drift`` — ``ChiSquareDrift``: per categorical feature, chi-squared (2 × k);
* ``alibi_tabular_drift`` — ``TabularDrift``: KS for numbers, chi-squared for categories;
* ``alibi_mmd_drift`` — ``MMDDrift`` (PyTorch backend): joint MMD² permutation test;
* ``alibi_lsdd_drift`` — ``LSDDDrift`` (PyTorch backend): least-squares density difference;
* ``alibi_classifier_drift`` — ``ClassifierDrift`` (scikit-learn backend): can a classifier
  tell the two sets apart (out-of-fold)?

Each compares the ``dataset`` (default ``evaluation``) with the ``reference`` on the feature
columns (or ``columns``). The detector's output maps to the result: ``is_drift`` → failed,
otherwise passed; fewer than ``min_samples`` rows a side → inconclusive. ``value`` is the
(smallest) p-value, ``threshold`` the detector's (corrected) p-value threshold, and the
evidence has the statistic (``distance``), the per-feature table for the univariate detectors,
and the detector's metadata. alibi-detect's detectors judge on significance alone; mlgate's own
``drift`` check adds an effect-size rule.

The detectors' random draws (permutations, folds) use global RNGs; they are seeded from the
gate's seed inside a block that restores NumPy's and torch's global state afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from mlgate.api import (
    Bars,
    CheckResult,
    CheckType,
    ConfigError,
    DataError,
    GateContext,
    Status,
    Table,
    Threshold,
    call_factory,
)

KIND = "drift"


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reference: str = "reference"
    dataset: str = "evaluation"
    columns: list[str] | None = None
    p_val: float = Field(0.05, gt=0.0, lt=1.0)
    max_rows: PositiveInt | None = None
    min_samples: PositiveInt = 30


class UnivariateParams(_Common):
    correction: Literal["bonferroni", "fdr"] = "bonferroni"


class TabularParams(UnivariateParams):
    categorical: list[str] = Field(default_factory=list)


class KernelParams(_Common):
    max_rows: PositiveInt | None = 1000
    n_permutations: PositiveInt = 100
    device: str | None = None


class LSDDParams(KernelParams):
    n_kernel_centers: PositiveInt | None = None


class ClassifierParams(_Common):
    max_rows: PositiveInt | None = 2000
    classifier: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    n_folds: int = Field(5, ge=2)


def _validate(p: _Common, config) -> None:
    for key in ("reference", "dataset"):
        name = getattr(p, key)
        if name not in config.datasets:
            raise ConfigError(f"no dataset {name!r}; declared: {sorted(config.datasets)}", path=key)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed NumPy's and torch's global generators for the detector, restoring both after."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        try:
            import torch
        except ImportError:  # the scikit-learn-only detectors do not need it
            yield
            return
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        np.random.set_state(state)


def _frames(ctx: GateContext, p: _Common) -> tuple[pd.DataFrame, pd.DataFrame]:
    ref, cur = ctx.dataset(p.reference), ctx.dataset(p.dataset)
    cols = p.columns if p.columns is not None else ref.feature_names
    for data in (ref, cur):
        missing = [c for c in cols if c not in data.frame.columns]
        if missing:
            raise DataError(f"dataset {data.name!r} has no column(s) {missing}")
    rng = ctx.rng(f"alibi:{p.reference}:{p.dataset}")
    out = []
    for data in (ref, cur):
        frame = data.frame.loc[:, cols]
        if p.max_rows is not None and len(frame) > p.max_rows:
            frame = frame.iloc[np.sort(rng.choice(len(frame), p.max_rows, replace=False))]
        out.append(frame)
    return out[0], out[1]


def _numeric(frame: pd.DataFrame, what: str) -> np.ndarray:
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise DataError(f"{what} needs numeric columns; {bad} are not (use alibi_chi2_drift)")
    return frame.to_numpy(dtype=np.float64)


def _codes(ref: pd.DataFrame, cur: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Categorical columns as integer codes over the union of both sides' categories."""
    r, c = ref.copy(), cur.copy()  # never modify the datasets' frames
    for col in cols:
        both = pd.concat([ref[col], cur[col]], ignore_index=True).astype(object)
        codes, _ = pd.factorize(both, use_na_sentinel=False)
        r[col], c[col] = codes[: len(ref)], codes[len(ref) :]
    return r.to_numpy(dtype=np.float64), c.to_numpy(dtype=np.float64)


def _too_few(p: _Common, ref, cur, check_id: str) -> CheckResult | None:
    if min(len(ref), len(cur)) >= p.min_samples:
        return None
    return CheckResult(
        check_id=check_id,
        kind=KIND,
        status=Status.INCONCLUSIVE,
        sample_size=len(cur),
        message=f"{len(ref)} reference and {len(cur)} current row(s); min_samples={p.min_samples}",
    )


def _result(
    check_id: str, detector: str, p: _Common, out: dict, columns: list[str], n: int
) -> CheckResult:
    """Map a detector's ``predict`` output to a check result."""
    import alibi_detect

    data, meta = out["data"], out.get("meta", {})
    p_vals = np.atleast_1d(np.asarray(data["p_val"], dtype=float))
    dist = np.atleast_1d(np.asarray(data.get("distance", np.nan), dtype=float))
    drift = bool(np.any(data["is_drift"]))
    threshold = float(data["threshold"])
    evidence: dict[str, Any] = {
        "detector": detector,
        "alibi_detect_version": alibi_detect.__version__,
        "backend": meta.get("backend"),
        "reference": p.reference,
        "dataset": p.dataset,
        "p_val": p.p_val,
        "threshold": threshold,
        "distance": dist.tolist() if len(dist) > 1 else float(dist[0]),
    }
    if len(p_vals) > 1 or (len(columns) == 1 and detector in _UNIVARIATE):
        evidence["columns"] = Table.of(
            (
                {
                    "column": c,
                    "p_value": float(pv),
                    "statistic": float(d),
                    "drifted": bool(pv < threshold),
                }
                for c, pv, d in zip(columns, p_vals, dist, strict=True)
            ),
            title=f"{detector} per feature",
        )
        evidence["effects"] = Bars(
            labels=tuple(columns),
            values=tuple(float(d) for d in dist),
            over="feature",
            quantity="statistic",
            title=f"{detector} statistic per feature",
        )
    for key in ("distance_threshold",):
        if key in data:
            evidence[key] = float(np.asarray(data[key]).ravel()[0])
    p_min = float(p_vals.min())
    return CheckResult(
        check_id=check_id,
        kind=KIND,
        status=Status.FAILED if drift else Status.PASSED,
        metric="p-value" if len(p_vals) == 1 else "smallest per-feature p-value",
        value=p_min,
        threshold=Threshold(">=", threshold),
        sample_size=n,
        method=f"alibi-detect {alibi_detect.__version__} {detector} (p_val={p.p_val:g}"
        + (f", {p.correction} correction" if isinstance(p, UnivariateParams) else "")
        + ")",
        message=(
            f"{detector}: {'drift' if drift else 'no drift'} between {p.dataset!r} and "
            f"{p.reference!r} (p = {p_min:.4g}, threshold {threshold:.4g})"
        ),
        evidence=evidence,
    )


_UNIVARIATE = ("KSDrift", "ChiSquareDrift", "TabularDrift")


def _univariate(ctx: GateContext, p: UnivariateParams, detector: str, check_id: str) -> CheckResult:
    from alibi_detect import cd

    ref, cur = _frames(ctx, p)
    short = _too_few(p, ref, cur, check_id)
    if short:
        return short
    cols = [str(c) for c in ref.columns]
    kwargs: dict[str, Any] = {"p_val": p.p_val, "correction": p.correction}
    if detector == "KSDrift":
        xr, xc = _numeric(ref, "alibi_ks_drift"), _numeric(cur, "alibi_ks_drift")
    elif detector == "ChiSquareDrift":
        xr, xc = _codes(ref, cur, cols)
    else:
        cats = [c for c in cols if c in set(getattr(p, "categorical", []))]
        cats += [c for c in cols if c not in cats and not pd.api.types.is_numeric_dtype(ref[c])]
        xr, xc = _codes(ref, cur, cats)
        kwargs["categories_per_feature"] = {cols.index(c): None for c in cats}
    with seeded(ctx.seed):
        det = getattr(cd, detector)(xr, **kwargs)
        out = det.predict(xc, drift_type="batch", return_p_val=True, return_distance=True)
    return _result(check_id, detector, p, out, cols, len(cur))


def _multivariate(ctx: GateContext, p: _Common, detector: str, check_id: str) -> CheckResult:
    from alibi_detect import cd

    ref, cur = _frames(ctx, p)
    short = _too_few(p, ref, cur, check_id)
    if short:
        return short
    cols = [str(c) for c in ref.columns]
    xr, xc = _numeric(ref, detector).astype(np.float32), _numeric(cur, detector).astype(np.float32)
    kwargs: dict[str, Any] = {"p_val": p.p_val}
    if detector == "ClassifierDrift":
        model = _classifier(ctx, p)  # type: ignore[arg-type]
        kwargs |= {"model": model, "backend": "sklearn", "n_folds": p.n_folds, "seed": ctx.seed}  # type: ignore[attr-defined]
        kwargs["preds_type"] = "probs"
    else:
        kwargs |= {"backend": "pytorch", "n_permutations": p.n_permutations}  # type: ignore[attr-defined]
        device = p.device or ctx.device  # type: ignore[attr-defined]
        if device:
            kwargs["device"] = device
        if detector == "LSDDDrift" and p.n_kernel_centers:  # type: ignore[attr-defined]
            kwargs["n_kernel_centers"] = p.n_kernel_centers  # type: ignore[attr-defined]
    with seeded(ctx.seed):
        det = getattr(cd, detector)(xr, **kwargs)
        out = det.predict(xc)
    return _result(check_id, detector, p, out, cols, len(cur))


def _classifier(ctx: GateContext, p: ClassifierParams):
    if p.classifier is None:
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=100, max_depth=6, random_state=ctx.seed)
    return call_factory(
        p.classifier,
        args={},
        base_dir=ctx.gate.base_dir,
        seed=ctx.seed,
        what="alibi_classifier_drift classifier",
        error=ConfigError,
    )


def _make(name: str, detector: str, params: type[_Common], multivariate: bool, summary: str):
    def run(ctx: GateContext, p: Any) -> CheckResult:
        check_id = name.replace("_", "-")
        if multivariate:
            return _multivariate(ctx, p, detector, check_id)
        return _univariate(ctx, p, detector, check_id)

    return CheckType(
        name=name,
        kind=KIND,
        params=params,
        run=run,
        summary=summary,
        validate=_validate,
        default_id=lambda p: name.replace("_", "-"),
    )


KS_DRIFT = _make(
    "alibi_ks_drift",
    "KSDrift",
    UnivariateParams,
    False,
    "alibi-detect KSDrift: per-feature KS tests with Bonferroni / FDR correction.",
)
CHI2_DRIFT = _make(
    "alibi_chi2_drift",
    "ChiSquareDrift",
    UnivariateParams,
    False,
    "alibi-detect ChiSquareDrift: per-feature chi-squared tests of categorical columns.",
)
TABULAR_DRIFT = _make(
    "alibi_tabular_drift",
    "TabularDrift",
    TabularParams,
    False,
    "alibi-detect TabularDrift: KS for numeric and chi-squared for categorical columns.",
)
MMD_DRIFT = _make(
    "alibi_mmd_drift",
    "MMDDrift",
    KernelParams,
    True,
    "alibi-detect MMDDrift (PyTorch): MMD² permutation test on the joint distribution.",
)
LSDD_DRIFT = _make(
    "alibi_lsdd_drift",
    "LSDDDrift",
    LSDDParams,
    True,
    "alibi-detect LSDDDrift (PyTorch): least-squares density difference permutation test.",
)
CLASSIFIER_DRIFT = _make(
    "alibi_classifier_drift",
    "ClassifierDrift",
    ClassifierParams,
    True,
    "alibi-detect ClassifierDrift (scikit-learn): can a classifier tell the data sets apart?",
)
