"""Image transformations with torch ops: Gaussian noise, brightness, contrast, small shifts
and rotations.

Images reach a model as rows of pixel columns (what the torch adapter feeds a module);
``shape`` ([C, H, W] or [H, W]; default a square single-channel image) says how a row folds
into an image. The tensor functions (:func:`add_noise`, :func:`adjust_brightness`,
:func:`adjust_contrast`, :func:`affine`) work on ``(N, C, H, W)`` tensors directly.
torch is imported when a transformation runs, so this module imports without it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field

from mlgate.checks.behavior.transforms.registry import Transform
from mlgate.core.errors import ConfigError, DataError, require

if TYPE_CHECKING:
    import torch as torch_t

Shape = Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=2, max_length=3)]
Clip = tuple[float, float] | None


def _torch() -> Any:
    return require("torch", extra="torch", feature="image transformations")


# -- tensor functions ---------------------------------------------------------------------


def add_noise(images: torch_t.Tensor, std: float, generator: torch_t.Generator) -> torch_t.Tensor:
    """``images`` plus N(0, std²) noise drawn from ``generator``; a new tensor."""
    torch = _torch()
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    return images + std * noise


def adjust_brightness(images: torch_t.Tensor, deltas: torch_t.Tensor) -> torch_t.Tensor:
    """Add ``deltas[i]`` to every pixel of image ``i``."""
    return images + deltas.reshape(-1, 1, 1, 1)


def adjust_contrast(images: torch_t.Tensor, factors: torch_t.Tensor) -> torch_t.Tensor:
    """Scale each image's deviations from its own mean pixel by ``factors[i]``."""
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return mean + factors.reshape(-1, 1, 1, 1) * (images - mean)


def affine(
    images: torch_t.Tensor,
    angles_deg: torch_t.Tensor,
    shifts_px: torch_t.Tensor,
    *,
    mode: str = "bilinear",
) -> torch_t.Tensor:
    """Rotate image ``i`` by ``angles_deg[i]`` (counter-clockwise) about its centre and move
    it by ``shifts_px[i] = (dx, dy)`` pixels (right, down), in one ``grid_sample``; pixels
    moved in from outside are 0. With ``mode="nearest"`` and no rotation, integer shifts
    are exact."""
    torch = _torch()
    n, _, h, w = images.shape
    a = torch.deg2rad(angles_deg.to(images.dtype))
    cos, sin = torch.cos(a), torch.sin(a)
    theta = torch.zeros((n, 2, 3), dtype=images.dtype)
    # grid_sample reads the input at theta @ (x, y, 1) of each output pixel (coordinates in
    # [-1, 1]), so the matrix is the inverse motion; h / w keep rotations of non-square
    # images round.
    theta[:, 0, 0], theta[:, 0, 1] = cos, -sin * h / w
    theta[:, 1, 0], theta[:, 1, 1] = sin * w / h, cos
    theta[:, 0, 2] = -2.0 * shifts_px[:, 0].to(images.dtype) / w
    theta[:, 1, 2] = -2.0 * shifts_px[:, 1].to(images.dtype) / h
    grid = torch.nn.functional.affine_grid(theta, list(images.shape), align_corners=False)
    return torch.nn.functional.grid_sample(
        images, grid, mode=mode, padding_mode="zeros", align_corners=False
    )


# -- frame transformations ----------------------------------------------------------------


def image_noise(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    std: Annotated[float, Field(gt=0.0)] = 0.05,
    shape: Shape | None = None,
    clip: Clip = None,
) -> pd.DataFrame:
    """Add Gaussian noise of standard deviation ``std`` (pixel units) to every pixel."""
    torch = _torch()
    images = _images(X, columns, shape)
    return _frame(X, columns, add_noise(images, std, _generator(torch, rng)), clip)


def brightness(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    delta: Annotated[float, Field(gt=0.0)] = 0.1,
    shape: Shape | None = None,
    clip: Clip = None,
) -> pd.DataFrame:
    """Add to each image one value drawn uniformly from [-delta, delta]."""
    torch = _torch()
    images = _images(X, columns, shape)
    deltas = _uniform(torch, rng, len(images), -delta, delta)
    return _frame(X, columns, adjust_brightness(images, deltas), clip)


def contrast(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    factor: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.2,
    shape: Shape | None = None,
    clip: Clip = None,
) -> pd.DataFrame:
    """Scale each image's contrast by a factor drawn uniformly from [1 - factor, 1 + factor]."""
    torch = _torch()
    images = _images(X, columns, shape)
    factors = _uniform(torch, rng, len(images), 1.0 - factor, 1.0 + factor)
    return _frame(X, columns, adjust_contrast(images, factors), clip)


def image_shift(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    max_pixels: Annotated[int, Field(ge=1)] = 2,
    shape: Shape | None = None,
) -> pd.DataFrame:
    """Move each image by whole pixels (dx, dy), each uniform in [-max_pixels, max_pixels];
    pixels moved in from outside are 0."""
    torch = _torch()
    images = _images(X, columns, shape)
    gen = _generator(torch, rng)
    shifts = torch.randint(-max_pixels, max_pixels + 1, (len(images), 2), generator=gen)
    angles = torch.zeros(len(images))
    return _frame(X, columns, affine(images, angles, shifts, mode="nearest"), None)


def image_rotate(
    X: pd.DataFrame,
    rng: np.random.Generator,
    *,
    columns: list[str],
    max_degrees: Annotated[float, Field(gt=0.0, le=180.0)] = 10.0,
    shape: Shape | None = None,
) -> pd.DataFrame:
    """Rotate each image about its centre by an angle uniform in [-max_degrees, max_degrees]
    (bilinear interpolation; corners moved in from outside are 0)."""
    torch = _torch()
    images = _images(X, columns, shape)
    angles = _uniform(torch, rng, len(images), -max_degrees, max_degrees)
    shifts = torch.zeros((len(images), 2))
    return _frame(X, columns, affine(images, angles, shifts), None)


def _generator(torch: Any, rng: np.random.Generator) -> Any:
    return torch.Generator().manual_seed(int(rng.integers(0, 2**63 - 1)))


def _uniform(torch: Any, rng: np.random.Generator, n: int, low: float, high: float) -> Any:
    return low + (high - low) * torch.rand(n, generator=_generator(torch, rng))


def _images(X: pd.DataFrame, columns: list[str], shape: list[int] | None) -> Any:
    """The pixel columns as an (N, C, H, W) float32 tensor (a copy)."""
    torch = _torch()
    k = len(columns)
    if shape is None:
        side = math.isqrt(k)
        if side * side != k:
            raise ConfigError(
                f"{k} pixel columns are not a square image; give params.shape as [C, H, W]",
                path="params.shape",
            )
        shape = [1, side, side]
    shape = [1, *shape] if len(shape) == 2 else list(shape)
    if math.prod(shape) != k:
        raise ConfigError(
            f"shape {shape} holds {math.prod(shape)} pixels but {k} columns were given",
            path="params.shape",
        )
    try:
        pixels = X[columns].to_numpy(dtype=np.float32, copy=True)
    except (TypeError, ValueError) as exc:
        raise DataError(f"image transformations need numeric pixel columns: {exc}") from exc
    return torch.from_numpy(pixels).reshape(len(X), *shape)


def _frame(X: pd.DataFrame, columns: list[str], images: Any, clip: Clip) -> pd.DataFrame:
    if clip is not None:
        images = images.clamp(clip[0], clip[1])
    new = pd.DataFrame(images.reshape(len(X), -1).numpy(), index=X.index, columns=columns)
    if len(columns) == X.shape[1]:
        return new[list(X.columns)]
    return pd.concat([X.drop(columns=columns), new], axis=1)[list(X.columns)]


IMAGE_TRANSFORMS = (
    Transform(
        "image_noise",
        image_noise,
        modality="image",
        columns="all",
        strength="std",
        summary="Gaussian pixel noise",
    ),
    Transform(
        "brightness",
        brightness,
        modality="image",
        columns="all",
        strength="delta",
        summary="shift each image's brightness",
    ),
    Transform(
        "contrast",
        contrast,
        modality="image",
        columns="all",
        strength="factor",
        summary="scale each image's contrast",
    ),
    Transform(
        "image_shift",
        image_shift,
        modality="image",
        columns="all",
        strength="max_pixels",
        summary="shift each image by a few pixels",
    ),
    Transform(
        "image_rotate",
        image_rotate,
        modality="image",
        columns="all",
        strength="max_degrees",
        summary="rotate each image by a small angle",
    ),
)
