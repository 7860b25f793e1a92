"""Augmentation settings (the book's ``ImageDataGenerator`` arguments) and the variants they draw."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from cnn_core.i18n import N_, translate
from cnn_core.vision.transforms import FILL_MODES, apply_transform, check_image, random_transform_params


@dataclass(frozen=True)
class AugmentSettings:
    """The geometric ``ImageDataGenerator`` arguments the seed uses (shifts as fractions)."""

    rotation_range: float = 0.0
    width_shift_range: float = 0.0
    height_shift_range: float = 0.0
    shear_range: float = 0.0
    zoom_range: float = 0.0
    horizontal_flip: bool = False
    vertical_flip: bool = False
    fill_mode: str = "nearest"
    cval: float = 0.0

    def __post_init__(self):
        if self.fill_mode not in FILL_MODES:
            raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {self.fill_mode!r}")
        for name in ("rotation_range", "shear_range", "zoom_range"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        for name in ("width_shift_range", "height_shift_range"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a fraction of the size in [0, 1), got {value!r}")

    def ranges(self) -> dict:
        """Keyword arguments for ``random_transform_params``."""
        out = asdict(self)
        del out["fill_mode"], out["cval"]
        return out

    @property
    def is_identity(self) -> bool:
        """True when no argument changes the image."""
        return not any(self.ranges().values())


# The seed's two ImageDataGenerator calls: the preview cell, and the one its dropout model trains on.
SEED_PREVIEW = AugmentSettings(30, 0.1, 0.1, 0.2, 0.5, horizontal_flip=True, fill_mode="nearest")
SEED_TRAINING = AugmentSettings(40, 0.1, 0.1, 0.4, 0.5, horizontal_flip=True, fill_mode="nearest")


def augment_image(image: np.ndarray, settings: AugmentSettings, rng) -> np.ndarray:
    """One random variant of a float32 (H, W, C) image under ``settings``; same shape out."""
    params = random_transform_params(image.shape, rng, **settings.ranges())
    return apply_transform(image, params, settings.fill_mode, settings.cval)


def augment_variants(
    image: np.ndarray, settings: AugmentSettings, count: int, seed: int
) -> list[tuple[np.ndarray, dict]]:
    """``count`` random variants of one image and the parameters of each; the same seed repeats them."""
    if not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    rng = np.random.default_rng(seed)
    image = check_image(image)
    out = []
    for _ in range(count):
        params = random_transform_params(image.shape, rng, **settings.ranges())
        out.append((apply_transform(image, params, settings.fill_mode, settings.cval), params))
    return out


def describe_params(params: dict, language: str = "en") -> str:
    """A short caption for one drawn transform, in the units Keras uses.

    >>> describe_params({"theta": 12.34, "tx": -3.0, "ty": 0, "shear": 0, "zx": 0.8, "zy": 1.25,
    ...                  "flip_horizontal": True})
    'rot 12.3°, tx -3.0 px, zoom 0.80×1.25, flipped'
    """
    parts = []
    if params.get("theta"):
        parts.append(translate(N_("rot {theta:.1f}°"), language, theta=params["theta"]))
    if params.get("tx"):
        parts.append(translate(N_("tx {tx:.1f} px"), language, tx=params["tx"]))
    if params.get("ty"):
        parts.append(translate(N_("ty {ty:.1f} px"), language, ty=params["ty"]))
    if params.get("shear"):
        parts.append(translate(N_("shear {shear:.2f}°"), language, shear=params["shear"]))
    if params.get("zx", 1) != 1 or params.get("zy", 1) != 1:
        parts.append(translate(N_("zoom {zx:.2f}×{zy:.2f}"), language, zx=params["zx"], zy=params["zy"]))
    if params.get("flip_horizontal"):
        parts.append(translate(N_("flipped"), language))
    if params.get("flip_vertical"):
        parts.append(translate(N_("upside down"), language))
    return ", ".join(parts) or translate(N_("unchanged"), language)


def augment_batch(images: np.ndarray, settings, seed: int) -> np.ndarray:
    """Augment a uint8 batch (B, H, W, C) as the preview does and scale it: float32 in [0, 1].

    Each image gets its own draw from ``np.random.default_rng(seed)``, on 0-255 values (the Keras
    generator also augments before ``rescale=1./255``). ``settings`` None only scales.
    """
    batch = np.asarray(images).astype(np.float32)  # (B, H, W, C), 0-255
    if settings is not None and not settings.is_identity:
        rng = np.random.default_rng(seed)
        batch = np.stack([augment_image(image, settings, rng) for image in batch])
    return batch / np.float32(255.0)
