"""Image transformations with torch ops, checked against torch.roll / torch.rot90 and exact
per-image statistics. Skipped only where torch is not installed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.checks.behavior.variants import resolve_transform
from mlgate.core.errors import ConfigError

torch = pytest.importorskip("torch")

from mlgate.checks.behavior.transforms.image import affine  # noqa: E402


def shifted(img: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Reference shift: roll, then zero what wrapped around."""
    out = torch.roll(img, shifts=(dy, dx), dims=(-2, -1))
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


@pytest.fixture
def images() -> pd.DataFrame:
    """32 random 2-channel 6×5 images as rows of 60 pixel columns."""
    rng = np.random.default_rng(0)
    pixels = rng.random((32, 60))
    return pd.DataFrame(pixels, columns=[f"p{i}" for i in range(60)])


def apply(name, X, seed=0, **params):
    applied = resolve_transform(name, X, params=params)
    return applied(X, np.random.default_rng(seed), X)


def as_images(X: pd.DataFrame) -> torch.Tensor:
    return torch.from_numpy(X.to_numpy(dtype=np.float32, copy=True)).reshape(len(X), 2, 6, 5)


@pytest.mark.parametrize(("dx", "dy"), [(1, 0), (-2, 1), (0, -1), (2, 2)])
def test_integer_shifts_are_exact(dx, dy):
    img = torch.rand(3, 2, 6, 5)
    out = affine(img, torch.zeros(3), torch.tensor([[dx, dy]] * 3), mode="nearest")
    torch.testing.assert_close(out, shifted(img, dx, dy))


def test_rotation_by_90_degrees_is_rot90_counter_clockwise():
    img = torch.rand(2, 1, 6, 6)
    out = affine(img, torch.full((2,), 90.0), torch.zeros(2, 2))
    torch.testing.assert_close(out, torch.rot90(img, 1, dims=(-2, -1)), atol=1e-5, rtol=0)


def test_image_shift_moves_each_image_by_a_whole_pixel_offset_within_range(images):
    out = as_images(apply("image_shift", images, max_pixels=1, shape=[2, 6, 5]))
    inp = as_images(images)
    offsets = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    seen = set()
    for i in range(len(images)):
        match = [o for o in offsets if torch.equal(out[i], shifted(inp[i], *o))]
        assert match, f"image {i} is not a shift within 1 pixel"
        seen.add(match[0])
    assert len(seen) >= 5  # offsets are drawn per image


def test_brightness_adds_one_value_per_image_within_delta(images):
    out = as_images(apply("brightness", images, delta=0.2, shape=[2, 6, 5]))
    diff = (out - as_images(images)).reshape(len(images), -1)
    per_image = diff[:, 0]
    torch.testing.assert_close(diff, per_image[:, None].expand_as(diff), atol=1e-6, rtol=0)
    assert per_image.abs().max() <= 0.2 and per_image.std() > 0.05


def test_contrast_keeps_each_mean_and_scales_deviations(images):
    inp = as_images(images).reshape(len(images), -1)
    out = as_images(apply("contrast", images, factor=0.3, shape=[2, 6, 5])).reshape(len(images), -1)
    torch.testing.assert_close(out.mean(1), inp.mean(1), atol=1e-6, rtol=0)
    ratio = (out - out.mean(1, keepdim=True)) / (inp - inp.mean(1, keepdim=True))
    torch.testing.assert_close(ratio, ratio[:, :1].expand_as(ratio), atol=1e-3, rtol=0)
    assert ((ratio[:, 0] >= 0.7 - 1e-6) & (ratio[:, 0] <= 1.3 + 1e-6)).all()


def test_image_noise_std_and_clip():
    X = pd.DataFrame(np.full((200, 64), 0.5), columns=[f"p{i}" for i in range(64)])
    out = apply("image_noise", X, std=0.1)  # square 8×8 single channel by default
    assert float(np.std(out.to_numpy() - 0.5)) == pytest.approx(0.1, rel=0.03)
    clipped = apply("image_noise", X, std=1.0, clip=(0.0, 1.0)).to_numpy()
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0


def test_rotation_is_reproducible_and_leaves_input_alone(images):
    before = images.copy()
    a = apply("image_rotate", images, seed=1, shape=[2, 6, 5])
    b = apply("image_rotate", images, seed=1, shape=[2, 6, 5])
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(images, before)


def test_shape_errors_name_the_parameter(images):
    with pytest.raises(ConfigError, match="not a square image"):
        apply("brightness", images)
    with pytest.raises(ConfigError, match=r"holds 30 pixels but 60"):
        apply("brightness", images, shape=[1, 6, 5])
