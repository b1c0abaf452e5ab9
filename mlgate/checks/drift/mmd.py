"""Maximum mean discrepancy (MMD) between two multivariate samples, with a permutation test,
on torch (CPU or GPU, chosen at run time).

The kernel is Gaussian, k(a, b) = exp(−‖a − b‖² / (2σ²)), with σ from the median heuristic
(σ² = half the median squared distance between the two samples, as alibi-detect's
``sigma_median``) unless given. The statistic is the unbiased estimate of MMD² (Gretton et al.
2012). Its null distribution comes from permutations of the pooled rows: for P permutations
with membership matrix U (N × P), the within-group kernel sums are the diagonal of Uᵀ K U, so
all permutations cost one (N × N) · (N × P) matrix product. The permutations are drawn from a
NumPy generator, so the p-value does not depend on the device.

torch is imported only when a test runs (``mlgate[torch]``); without it a
:class:`~mlgate.core.errors.MissingDependencyError` names the extra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlgate.core.errors import require


def _torch():
    return require("torch", extra="torch", feature="multivariate drift (MMD)")


def pick_device(device: str | None = None) -> str:
    """``device`` when given, else ``cuda`` when available, else ``cpu``."""
    if device:
        return device
    torch = _torch()
    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass(frozen=True)
class MMDResult:
    """The unbiased MMD² estimate, its permutation p-value, the kernel bandwidth σ and what
    ran (rows per side, permutations, device)."""

    mmd2: float
    p_value: float
    sigma: float
    n_x: int
    n_y: int
    n_permutations: int
    device: str

    @property
    def distance(self) -> float:
        """MMD itself, √max(MMD², 0): an effect size in kernel units (0 to √2)."""
        return float(np.sqrt(max(self.mmd2, 0.0)))


def _sq_dists(torch, a, b):
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return d.clamp_min_(0.0)


def median_sigma(x: np.ndarray, y: np.ndarray) -> float:
    """σ of the median heuristic: √(median ‖xᵢ − yⱼ‖² / 2) over the pairs between the samples
    (1.0 when every pair coincides)."""
    d = np.sort(_np_sq_dists(x, y).ravel())
    return _sigma_of(float(d[max(len(d) // 2 - 1, 0)]))


def _sigma_of(median_sq: float) -> float:
    return float(np.sqrt(0.5 * median_sq)) if median_sq > 0 else 1.0


def _np_sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    """The unbiased MMD² of two samples (rows) with a Gaussian kernel of bandwidth ``sigma``,
    in plain NumPy (the reference the torch path is tested against). Needs ≥ 2 rows a side."""

    def k(a, b):
        return np.exp(-_np_sq_dists(a, b) / (2 * sigma**2))

    n, m = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )


def mmd_test(
    x: np.ndarray,
    y: np.ndarray,
    *,
    rng: np.random.Generator,
    n_permutations: int = 500,
    sigma: float | None = None,
    device: str | None = None,
    chunk: int = 100,
) -> MMDResult:
    """Permutation test of equal distributions by the unbiased MMD². ``x`` (n × d) and ``y``
    (m × d) are not modified. p = (1 + #{permuted MMD² ≥ observed}) / (1 + permutations).

    Raises ValueError for fewer than 2 rows a side or differing widths;
    MissingDependencyError without torch."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be 2-D with the same columns, got {x.shape}, {y.shape}")
    n, m = len(x), len(y)
    if min(n, m) < 2:
        raise ValueError(f"MMD needs at least 2 rows a side, got {n} and {m}")
    torch = _torch()
    dev = pick_device(device)
    z = torch.as_tensor(np.vstack([x, y]), dtype=torch.float64, device=dev)
    dist = _sq_dists(torch, z, z)
    if sigma is None:
        cross = dist[:n, n:].reshape(-1)
        s = _sigma_of(float(torch.kthvalue(cross.cpu(), max(len(cross) // 2, 1)).values))
    else:
        s = float(sigma)
    kernel = torch.exp(-dist / (2.0 * s * s))
    del dist
    big_n = n + m
    total = kernel.sum()

    def stats_of(u):  # u: (N, P) float 0/1 membership of the first group
        ku = kernel @ u
        sxx = (u * ku).sum(0) - n  # the kernel's diagonal is 1
        row = kernel.sum(1)
        sxy = (u * row[:, None]).sum(0) - (u * ku).sum(0)
        syy = total - 2 * sxy - (sxx + n) - m
        return sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2 * sxy / (n * m)

    first = torch.zeros((big_n, 1), dtype=torch.float64, device=dev)
    first[:n] = 1.0
    observed = float(stats_of(first)[0])
    exceed = 0
    done = 0
    while done < n_permutations:
        p = min(chunk, n_permutations - done)
        perms = np.argsort(rng.random((p, big_n)), axis=1)[:, :n]  # n rows drawn per permutation
        u = np.zeros((big_n, p))
        u[perms, np.arange(p)[:, None]] = 1.0
        vals = stats_of(torch.as_tensor(u, dtype=torch.float64, device=dev))
        exceed += int((vals >= observed - 1e-12).sum())
        done += p
    p_value = (1 + exceed) / (1 + n_permutations)
    return MMDResult(observed, p_value, s, n, m, n_permutations, str(dev))
