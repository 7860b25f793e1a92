"""Synthetic camera snapshots of digits: dark ink on lit paper, uneven light, blur, noise and JPEG."""

from __future__ import annotations

import numpy as np


def synthetic_snapshot(
    ink: np.ndarray,
    rng: np.random.Generator | int = 0,
    size: tuple[int, int] = (480, 640),
    height_fraction: tuple[float, float] = (0.35, 0.6),
) -> np.ndarray:
    """A webcam-like photo of white-on-black ``ink`` (an MNIST digit, or a row of them) on paper.

    The ink (h, w) uint8 is scaled up so that its height is a random ``height_fraction`` of the
    frame, written in dark ink at a random place on lit paper, under a lighting gradient, then
    blurred, made noisy and JPEG-compressed. Returns (height, width, 3) uint8 RGB.
    """
    import cv2

    rng = np.random.default_rng(rng)
    height, width = size
    target = rng.uniform(*height_fraction) * height
    scale = min(target / ink.shape[0], 0.95 * width / ink.shape[1])
    ink_h, ink_w = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
    alpha = np.zeros(size, np.float32)
    top, left = rng.integers(0, height - ink_h + 1), rng.integers(0, width - ink_w + 1)
    big = cv2.resize(ink, (ink_w, ink_h), interpolation=cv2.INTER_CUBIC)
    alpha[top : top + ink_h, left : left + ink_w] = np.clip(big, 0, 255) / 255.0
    paper, dark = rng.uniform(0.8, 0.95), rng.uniform(0.05, 0.25)
    reflectance = paper * (1 - alpha) + dark * alpha  # (H, W)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * np.arange(width, dtype=np.float32) / width + (
        np.sin(angle) * np.arange(height, dtype=np.float32)[:, None] / height
    )  # (H, W): a linear lighting gradient in a random direction
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    dim = rng.uniform(0.4, 0.8)  # The darkest corner gets this fraction of the light.
    light = rng.uniform(240, 280) * (dim + (1 - dim) * ramp)
    photo = cv2.GaussianBlur(light * reflectance, (0, 0), rng.uniform(0.8, 2.0))
    photo = photo + rng.standard_normal(size, dtype=np.float32) * rng.uniform(2, 6)
    tint = np.array([1.0, rng.uniform(0.94, 1.0), rng.uniform(0.82, 0.96)], np.float32)
    photo = photo[..., None] * tint  # (H, W, 3): warm indoor light
    rgb = np.clip(photo, 0, 255).astype(np.uint8)
    quality = int(rng.integers(55, 91))
    _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
