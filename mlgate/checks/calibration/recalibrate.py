"""Recalibration maps fitted on a calibration split: temperature, Platt and isotonic scaling.

* ``temperature`` (Guo et al. 2017; any number of classes): scores become
  softmax(log p / T), T > 0 fitted by maximum likelihood. One parameter, the ranking (and the
  predicted class) is unchanged, so it cannot overfit much.
* ``platt`` (Platt 1999; binary): P(positive) becomes σ(a · logit p + b), (a, b) by maximum
  likelihood (no target smoothing).
* ``isotonic`` (Zadrozny & Elkan 2002; binary): P(positive) becomes a non-decreasing step
  function of p fitted by pool-adjacent-violators (scikit-learn's ``IsotonicRegression``,
  clipped outside the fitted range).

Each returns a :class:`Recalibrator` with ``transform(scores)`` and its fitted ``params``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_softmax, softmax

RecalibrationMethod = Literal["temperature", "platt", "isotonic"]
METHODS = ("temperature", "platt", "isotonic")
_EPS = 1e-12


@dataclass(frozen=True)
class Recalibrator:
    """A fitted map from scores (n, k) to recalibrated scores (n, k)."""

    method: str
    params: dict[str, Any]
    _map: Any = field(repr=False, compare=False)

    def transform(self, scores: Any) -> np.ndarray:
        """Recalibrated probabilities; the input is not modified."""
        return self._map(np.asarray(scores, dtype=float))


def _logits(scores: np.ndarray) -> np.ndarray:
    return np.log(np.clip(scores, _EPS, 1.0))


def _binary_logit(scores: np.ndarray) -> np.ndarray:
    p = np.clip(scores[:, 1], _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def _two_columns(p1: np.ndarray) -> np.ndarray:
    return np.column_stack([1.0 - p1, p1])


def fit_temperature(y: np.ndarray, scores: np.ndarray) -> Recalibrator:
    """Temperature scaling fitted on codes ``y`` and probabilities ``scores``."""
    z = _logits(scores)
    rows = np.arange(len(y))

    def nll(log_t: float) -> float:
        return float(-log_softmax(z / np.exp(log_t), axis=1)[rows, y].mean())

    best = minimize_scalar(nll, bounds=(np.log(1e-2), np.log(1e2)), method="bounded")
    t = float(np.exp(best.x))
    return Recalibrator(
        "temperature",
        {"temperature": t, "nll": float(best.fun)},
        lambda s: softmax(_logits(s) / t, axis=1),
    )


def fit_platt(y: np.ndarray, scores: np.ndarray) -> Recalibrator:
    """Platt scaling (binary) fitted on codes ``y`` and probabilities ``scores``."""
    z = _binary_logit(scores)
    t = (y == 1).astype(float)

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        u = ab[0] * z + ab[1]
        # −log-likelihood of a logistic model, written stably: log(1 + e^u) − t u.
        value = float(np.mean(np.logaddexp(0.0, u) - t * u))
        r = expit(u) - t
        return value, np.array([np.mean(r * z), np.mean(r)])

    best = minimize(loss, x0=np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    a, b = (float(v) for v in best.x)
    return Recalibrator(
        "platt",
        {"a": a, "b": b, "nll": float(best.fun)},
        lambda s: _two_columns(expit(a * _binary_logit(s) + b)),
    )


def fit_isotonic(y: np.ndarray, scores: np.ndarray) -> Recalibrator:
    """Isotonic regression (binary) of the outcome on P(positive)."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(scores[:, 1], (y == 1).astype(float))
    steps = len(iso.X_thresholds_)
    return Recalibrator(
        "isotonic",
        {"steps": steps, "x_min": float(iso.X_min_), "x_max": float(iso.X_max_)},
        lambda s: _two_columns(iso.predict(s[:, 1])),
    )


def fit_recalibrator(method: RecalibrationMethod, y: Any, scores: Any) -> Recalibrator:
    """Fit ``method`` on class codes ``y`` and probabilities ``scores`` (n, k).

    Raises ValueError for an unknown method, Platt or isotonic scaling with more than two
    classes, labels without a score column, or fewer than two rows.
    """
    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    if method not in METHODS:
        raise ValueError(f"unknown recalibration {method!r}; use one of {list(METHODS)}")
    if len(y) < 2 or (y < 0).any():
        raise ValueError("recalibration needs at least two rows, each with a known label")
    if method != "temperature" and scores.shape[1] != 2:
        raise ValueError(
            f"{method} scaling is binary; with {scores.shape[1]} classes use 'temperature'"
        )
    fit = {"temperature": fit_temperature, "platt": fit_platt, "isotonic": fit_isotonic}
    return fit[method](y, scores)
