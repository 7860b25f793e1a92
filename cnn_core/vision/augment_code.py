"""The Keras code behind augmentation settings: the book's ``ImageDataGenerator`` call and Keras 3's layers."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from cnn_core.vision.augment import AugmentSettings
from cnn_core.vision.transforms import zoom_bounds


def datagen_code(settings: AugmentSettings) -> str:
    """The book's ``ImageDataGenerator(...)`` call for these settings (Keras 2 import, as in the book)."""
    lines = ["from keras.preprocessing.image import ImageDataGenerator", "", "datagen = ImageDataGenerator("]
    defaults = AugmentSettings()
    for name, value in asdict(settings).items():
        if value == getattr(defaults, name) and name != "fill_mode":
            continue
        text = f"{value:g}" if isinstance(value, float) else repr(value)
        lines.append(f"    {name}={text},")
    lines.append(")")
    return "\n".join(lines)


def keras_layers_code(settings: AugmentSettings, image_size: tuple[int, int] = (150, 150)) -> str:
    """Keras 3 preprocessing layers that do what ``datagen_code(settings)`` does, as Python source.

    The layers run in the generator's order (rotation, shift, shear, zoom, then flips). Each layer
    resamples on its own, while the generator composes one matrix and resamples once.
    """
    height, width = image_size
    fill = f'fill_mode="{settings.fill_mode}"'
    if settings.fill_mode == "constant":
        fill += f", fill_value={settings.cval!r}"
    lines = ["import keras", "from keras import layers", "", "augmentation = keras.Sequential(["]
    if settings.rotation_range:
        turn = settings.rotation_range / 360
        lines.append(f"    # ±{settings.rotation_range:g}° is ±{turn:.4g} of a full turn.")
        lines.append(f"    layers.RandomRotation(factor={turn:.6g}, {fill}),")
    if settings.width_shift_range or settings.height_shift_range:
        # The generator moves the image up/down by width_shift_range * width pixels and sideways
        # by height_shift_range * height pixels (keras-team/keras#17398); the layer takes fractions
        # of the height and of the width.
        vertical = settings.width_shift_range * width / height
        sideways = settings.height_shift_range * height / width
        lines.append("    # ImageDataGenerator swaps the axes: width_shift_range moves the image up and down.")
        lines.append(
            f"    layers.RandomTranslation(height_factor={vertical:.6g}, width_factor={sideways:.6g}, {fill}),"
        )
    if settings.shear_range:
        slope = float(np.sin(np.deg2rad(settings.shear_range)))
        lines.append(
            f"    # shear_range is in degrees: sin({settings.shear_range:g}°) = {slope:.4g} px across per px down."
        )
        lines.append("    # RandomShear shears about the top-left corner; the generator about the centre.")
        lines.append(f"    layers.RandomShear(x_factor={slope:.6g}, y_factor=0.0, {fill}),")
    if settings.zoom_range:
        low, high = (bound - 1 for bound in zoom_bounds(settings.zoom_range))
        bounds = f"({low:.6g}, {high:.6g})"
        lines.append("    # Scale factors 1 + factor, drawn independently for each axis; above 1 zooms out.")
        lines.append(f"    layers.RandomZoom(height_factor={bounds}, width_factor={bounds}, {fill}),")
    flips = [
        mode for mode, on in (("horizontal", settings.horizontal_flip), ("vertical", settings.vertical_flip)) if on
    ]
    if flips:
        lines.append(f'    layers.RandomFlip("{"_and_".join(flips)}"),')
    if len(lines) == 4:
        lines.append("    # No augmentation: every setting is zero.")
    lines.append("])")
    return "\n".join(lines)
