"""Random image transforms with the exact meaning of Keras's ``ImageDataGenerator``, run by OpenCV.

``random_transform_params`` draws a parameter dict the way ``ImageDataGenerator.get_random_transform``
does, and ``apply_transform`` applies one the way ``ImageDataGenerator.apply_transform`` does: the
same keys, units and quirks, so the book's ``ImageDataGenerator(...)`` call means the same thing
here. Keras resamples with ``scipy.ndimage.affine_transform``; this module builds the same matrix
and hands it to ``cv2.warpAffine``, which is about ten times faster.

Two Keras quirks are kept on purpose, because they are what the book's code does today:

- ``height_shift_range`` moves the image sideways and ``width_shift_range`` moves it up and down
  (keras-team/keras#17398); ``tx`` is drawn from the first and is a shift along the columns.
- The rotation/shear/zoom centre is taken as (height / 2, width / 2) in (x, y) order, which is the
  true centre only for square images (all the training images here are square).

Images are float32 (H, W, C) in and out. Like the Keras generator, which augments before
``rescale``, the pipelines here augment 0-255 values, so ``channel_shift_intensity`` and
``brightness`` keep their Keras units.
"""

from __future__ import annotations

import numpy as np

FILL_MODES = ("nearest", "constant", "reflect", "wrap")
TRANSFORM_KEYS = (
    "theta",
    "tx",
    "ty",
    "shear",
    "zx",
    "zy",
    "flip_horizontal",
    "flip_vertical",
    "channel_shift_intensity",
    "brightness",
)


def transform_matrix(params: dict, height: int, width: int) -> np.ndarray | None:
    """Keras's 3x3 output -> input matrix in (x = column, y = row) pixel coordinates, or None.

    The product rotation . shift . shear . zoom is moved to the Keras centre (h/2 - 0.5 on x,
    w/2 - 0.5 on y). A point (col, row) of the output samples the input at ``M @ (col, row, 1)``.
    None means no geometric change (Keras then skips resampling).

    >>> transform_matrix({"tx": 2.0}, 8, 8)[:2].tolist()
    [[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]
    >>> transform_matrix({"theta": 0.0, "zx": 1.0}, 8, 8) is None
    True
    """
    theta = params.get("theta", 0)
    tx, ty = params.get("tx", 0), params.get("ty", 0)
    shear = params.get("shear", 0)
    zx, zy = params.get("zx", 1), params.get("zy", 1)
    matrices = []
    if theta != 0:
        t = np.deg2rad(theta)
        matrices.append(np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]]))
    if tx != 0 or ty != 0:
        matrices.append(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        s = np.deg2rad(shear)
        matrices.append(np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        matrices.append(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if not matrices:
        return None
    # np.dot in Keras's order, so the matrix agrees with Keras's to the last bit (that decides
    # which pixels fall exactly on the image's edge).
    matrix = matrices[0]
    for m in matrices[1:]:
        matrix = np.dot(matrix, m)
    # Keras's transform_matrix_offset_center(matrix, h, w): o_x comes from the height.
    o_x, o_y = float(height) / 2 - 0.5, float(width) / 2 - 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset, matrix), reset)


def wrap_coordinates(coords: np.ndarray, size: int) -> np.ndarray:
    """scipy.ndimage's "wrap" on sample coordinates: period ``size - 1``, first and last overlap.

    OpenCV's BORDER_WRAP has period ``size``, so "wrap" is done here on the coordinates.

    >>> wrap_coordinates(np.array([-0.5, 4.5, 2.0, 8.0]), 5).tolist()
    [3.5, 0.5, 2.0, 0.0]
    """
    coords = np.asarray(coords, dtype=np.float64)
    if size <= 1:
        return np.zeros_like(coords)
    period = size - 1
    low, high = coords < 0, coords > size - 1
    out = coords.copy()
    out[low] += period * (np.trunc(-coords[low] / period) + 1)
    out[high] -= period * np.trunc(coords[high] / period)
    return out


def apply_transform(image: np.ndarray, params: dict, fill_mode: str = "nearest", cval: float = 0.0) -> np.ndarray:
    """Apply an ``ImageDataGenerator`` parameter dict to one float32 (H, W, C) image.

    Keys (all optional, as in ``ImageDataGenerator.apply_transform``): ``theta`` rotation in
    degrees, ``tx`` / ``ty`` shifts in pixels, ``shear`` in degrees, ``zx`` / ``zy`` zoom (above 1
    zooms out), ``flip_horizontal``, ``flip_vertical``, ``channel_shift_intensity`` (added to every
    channel, clipped to the image's min and max) and ``brightness`` (PIL brightness factor). The
    order is Keras's: affine (bilinear), channel shift, flips, brightness. (H, W, C) -> (H, W, C).
    """
    image = check_image(image)
    _check_fill_mode(fill_mode)
    unknown = set(params) - set(TRANSFORM_KEYS)
    if unknown:
        raise ValueError(f"unknown transform keys {sorted(unknown)}; allowed: {list(TRANSFORM_KEYS)}")
    height, width = image.shape[:2]
    matrix = transform_matrix(params, height, width)
    out = image if matrix is None else _warp(image, matrix, fill_mode, float(cval))
    if params.get("channel_shift_intensity") is not None:
        out = np.clip(out + np.float32(params["channel_shift_intensity"]), out.min(), out.max())
    if params.get("flip_horizontal", False):
        out = out[:, ::-1]
    if params.get("flip_vertical", False):
        out = out[::-1]
    if params.get("brightness") is not None:
        out = _brightness(out, float(params["brightness"]))
    return np.ascontiguousarray(out, dtype=np.float32)


def random_transform_params(
    image_shape,
    rng,
    rotation_range: float = 0,
    width_shift_range=0,
    height_shift_range=0,
    shear_range: float = 0,
    zoom_range=0,
    horizontal_flip: bool = False,
    vertical_flip: bool = False,
    channel_shift_range: float = 0.0,
    brightness_range=None,
) -> dict:
    """Draw one transform as ``ImageDataGenerator(...).get_random_transform(image_shape)`` does.

    ``rng`` is a ``np.random.Generator`` or ``np.random.RandomState``; with
    ``RandomState(seed)`` the result equals Keras's ``get_random_transform(shape, seed=seed)``,
    draw for draw. Shift ranges: a float below 1 is a fraction of the size, a float of 1 or more
    is pixels, an int n is a whole number of pixels in [0, n) with a random sign, a list is a set
    of choices. ``zoom_range`` z means [1 - z, 1 + z]; a pair is [lower, upper].
    """
    rows, cols = _check_shape(image_shape)
    zoom_low, zoom_high = zoom_bounds(zoom_range)
    theta = rng.uniform(-rotation_range, rotation_range) if rotation_range else 0
    # Keras draws tx from height_shift_range (scaled by rows) and ty from width_shift_range.
    tx = _draw_shift(rng, height_shift_range, rows, "height_shift_range")
    ty = _draw_shift(rng, width_shift_range, cols, "width_shift_range")
    shear = rng.uniform(-shear_range, shear_range) if shear_range else 0
    if zoom_low == 1 and zoom_high == 1:
        zx, zy = 1, 1
    else:
        zx, zy = rng.uniform(zoom_low, zoom_high, 2)
    # Both coins are always tossed, as in Keras, so the later draws line up.
    flip_horizontal = bool(rng.random() < 0.5) and bool(horizontal_flip)
    flip_vertical = bool(rng.random() < 0.5) and bool(vertical_flip)
    channel_shift = rng.uniform(-channel_shift_range, channel_shift_range) if channel_shift_range != 0 else None
    brightness = None
    if brightness_range is not None:
        if not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2:
            raise ValueError(f"brightness_range must be a pair of floats, got {brightness_range!r}")
        brightness = rng.uniform(brightness_range[0], brightness_range[1])
    return {
        "theta": theta,
        "tx": tx,
        "ty": ty,
        "shear": shear,
        "zx": zx,
        "zy": zy,
        "flip_horizontal": flip_horizontal,
        "flip_vertical": flip_vertical,
        "channel_shift_intensity": channel_shift,
        "brightness": brightness,
    }


def zoom_bounds(zoom_range) -> tuple[float, float]:
    """``ImageDataGenerator``'s zoom range: z -> (1 - z, 1 + z); a pair stays as it is.

    >>> zoom_bounds(0.5), zoom_bounds((0.8, 1.2))
    ((0.5, 1.5), (0.8, 1.2))
    """
    if isinstance(zoom_range, (int, float, np.integer, np.floating)) and not isinstance(zoom_range, bool):
        return 1 - float(zoom_range), 1 + float(zoom_range)
    if (
        isinstance(zoom_range, (tuple, list))
        and len(zoom_range) == 2
        and all(isinstance(v, (int, float, np.integer, np.floating)) for v in zoom_range)
    ):
        return float(zoom_range[0]), float(zoom_range[1])
    raise ValueError(f"zoom_range must be a float or a pair of floats, got {zoom_range!r}")


def _warp(image: np.ndarray, matrix: np.ndarray, fill_mode: str, cval: float) -> np.ndarray:
    """Bilinear resampling of (H, W, C) at ``matrix @ (col, row, 1)``, scipy's fill modes."""
    import cv2

    height, width, channels = image.shape
    affine = matrix[:2].astype(np.float64)
    if fill_mode == "wrap":
        cols, rows = _source_coordinates(affine, height, width)
        map_x = wrap_coordinates(cols, width).astype(np.float32)
        map_y = wrap_coordinates(rows, height).astype(np.float32)

        def warp(part):
            return cv2.remap(part, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    else:
        # scipy's "constant" gives cval beyond the outermost pixel centres and interpolates only
        # inside them; replicate the border for the interpolation, then paint the outside.
        border = {"nearest": cv2.BORDER_REPLICATE, "reflect": cv2.BORDER_REFLECT, "constant": cv2.BORDER_REPLICATE}[
            fill_mode
        ]
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP

        def warp(part):
            return cv2.warpAffine(part, affine, (width, height), flags=flags, borderMode=border)

    parts = [warp(np.ascontiguousarray(image[..., start:stop])) for start, stop in _channel_groups(channels)]
    out = np.concatenate([p.reshape(height, width, -1) for p in parts], axis=-1)
    if fill_mode == "constant":
        cols, rows = _source_coordinates(affine, height, width)
        outside = (cols < 0) | (cols > width - 1) | (rows < 0) | (rows > height - 1)
        out[outside] = cval
    return out


def _channel_groups(channels: int) -> list[tuple[int, int]]:
    """Channel slices for OpenCV: at most 4 per call, and never 2, which OpenCV 5 resamples in
    fixed point (errors up to 1/64 of a step) while 1, 3 and 4 channels are resampled in float.

    >>> _channel_groups(3), _channel_groups(2), _channel_groups(6)
    ([(0, 3)], [(0, 1), (1, 2)], [(0, 4), (4, 5), (5, 6)])
    """
    groups, start = [], 0
    while start < channels:
        size = min(4, channels - start)
        size = 1 if size == 2 else size
        groups.append((start, start + size))
        start += size
    return groups


def _source_coordinates(affine: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Input (col, row) sampled by every output pixel, each (H, W) float64."""
    rows = np.arange(height, dtype=np.float64)[:, None]  # (H, 1)
    cols = np.arange(width, dtype=np.float64)[None, :]  # (1, W)
    # scipy's affine_transform sums offset + row term + column term in this order; doing the same
    # gives the same bits, which decides pixels that land exactly on the image's edge.
    src_cols = (affine[0, 2] + rows * affine[0, 1]) + cols * affine[0, 0]  # (H, W)
    src_rows = (affine[1, 2] + rows * affine[1, 1]) + cols * affine[1, 0]  # (H, W)
    return src_cols, src_rows


def _brightness(image: np.ndarray, factor: float) -> np.ndarray:
    """Keras's ``apply_brightness_shift(x, factor, scale=False)``: an 8-bit PIL brightness change."""
    from PIL import Image, ImageEnhance

    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    channels = image.shape[-1]
    if channels not in modes:
        raise ValueError(f"brightness needs 1, 3 or 4 channels (a PIL image), got {channels}")
    low, high = float(image.min()), float(image.max())
    rescale = low < 0 or high > 255
    pixels = image.astype(np.float64)
    if rescale:  # Keras maps the values to 0-255 first, and back afterwards.
        pixels = pixels - low
        if pixels.max() != 0:
            pixels = pixels / pixels.max()
        pixels = pixels * 255
    pixels = pixels.astype(np.uint8)
    pil = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, modes[channels])
    out = np.asarray(ImageEnhance.Brightness(pil).enhance(factor), dtype=np.float32)
    out = out.reshape(image.shape)
    if rescale:
        out = out / 255 * (high - low) + low
    return out


def _draw_shift(rng, shift_range, size: int, name: str) -> float:
    """One shift as Keras draws it: see ``random_transform_params``."""
    if isinstance(shift_range, bool):
        raise ValueError(f"{name} must be a number or a list of numbers, got {shift_range!r}")
    if (not shift_range) if np.isscalar(shift_range) else len(shift_range) == 0:
        return 0
    if isinstance(shift_range, (int, np.integer, list, tuple, np.ndarray)):
        shift = rng.choice(shift_range) * rng.choice([-1, 1])
    elif isinstance(shift_range, (float, np.floating)):
        shift = rng.uniform(-shift_range, shift_range)
    else:
        raise ValueError(f"{name} must be a number or a list of numbers, got {shift_range!r}")
    if np.max(shift_range) < 1:
        shift = shift * size
    return shift


def check_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or min(image.shape) < 1:
        raise ValueError(f"image must be (height, width, channels), got shape {image.shape}")
    return image.astype(np.float32, copy=False)


def _check_shape(shape) -> tuple[int, int]:
    if len(shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def _check_fill_mode(fill_mode: str) -> None:
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
