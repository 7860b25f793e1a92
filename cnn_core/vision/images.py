"""Images in and out: safe decoding of uploads, resizing, grey levels and the model-input format."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

# A 40-megapixel photo (a phone's largest) still decodes; anything larger is refused from its
# header alone, before a single pixel is decoded.
MAX_PIXELS = 40_000_000
SAMPLE_PHOTO = Path(__file__).resolve().parents[2] / "data" / "chelsea.png"


class ImageError(ValueError):
    """An upload that is not a usable image (wrong type, corrupt, empty, too large)."""


def load_image(source, mode: str = "RGB", max_side: int | None = 1024) -> np.ndarray:
    """Decode bytes, a file-like object or a path into a uint8 array, downscaled to ``max_side``.

    ``mode`` is "RGB" (H, W, 3) or "L" (H, W). Transparency is composited onto white, 16-bit and
    CMYK images are converted, and an animated image gives its first frame. Raises ``ImageError``
    with a readable message for anything that is not a decodable image.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    data = _read_bytes(source)
    if not data:
        raise ImageError("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"The image is {width}x{height} pixels ({width * height / 1e6:.0f} MP); "
                    f"images above {MAX_PIXELS / 1e6:.0f} MP are refused."
                )
            if max_side and image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))  # Decode big JPEGs at a reduced scale.
            image.load()
            image = ImageOps.exif_transpose(image)
            image = _to_mode(image, mode)
    except ImageError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageError("This file is not an image that can be read (try PNG, JPEG, GIF, BMP or WebP).") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"The image is refused as a possible decompression bomb: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"The image is corrupt or truncated: {exc}") from exc
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8).copy()


def load_sample_photo(mode: str = "RGB", max_side: int | None = 1024) -> np.ndarray:
    """The bundled photo of Chelsea the cat (scikit-image, CC0), as a uint8 array."""
    return load_image(SAMPLE_PHOTO, mode=mode, max_side=max_side)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a (H, W) or (H, W, C) uint8 image to ``size`` = (height, width) with area averaging."""
    import cv2

    height, width = size
    if height < 1 or width < 1:
        raise ValueError(f"size must be positive, got {size}")
    shrinking = height < image.shape[0] and width < image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    out = cv2.resize(image, (width, height), interpolation=interpolation)
    return out.reshape(height, width, *image.shape[2:])


def to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W), (H, W, 1) or (H, W, 3) RGB -> (H, W) uint8 luma (ITU-R 601, as PIL's "L")."""
    import cv2

    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        return pixels[..., 0]
    if pixels.ndim == 2:
        return pixels
    if pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise ValueError(f"image must be (H, W) grey or (H, W, 3) RGB, got shape {pixels.shape}")
    return cv2.cvtColor(np.ascontiguousarray(pixels, dtype=np.uint8), cv2.COLOR_RGB2GRAY)


def prepare_image(image: np.ndarray, input_shape) -> np.ndarray:
    """Turn a uint8 (H, W) or (H, W, 3) picture into a model input: float32 (h, w, c) in [0, 1].

    Colour is converted to what the model takes (luma for one channel, repeated grey for three)
    and the picture is resized to (h, w) without keeping its aspect ratio, as the seed's
    ``load_img(target_size=...)`` does.
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or any(size is None for size in shape) or shape[-1] not in (1, 3):
        raise ValueError(f"the model input must be (H, W, 1) or (H, W, 3) with fixed sizes, got {shape}")
    height, width, channels = shape
    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[-1] != 3) or min(pixels.shape[:2]) < 1:
        raise ValueError(f"image must be (H, W) grey or (H, W, 3) RGB, got shape {pixels.shape}")
    pixels = pixels.astype(np.uint8)
    if channels == 1 and pixels.ndim == 3:
        pixels = to_gray(pixels)
    if channels == 3 and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    if pixels.shape[:2] != (height, width):
        pixels = resize(pixels, (height, width))
    return (pixels.astype(np.float32) / 255.0).reshape(height, width, channels)


def _read_bytes(source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes()
    if hasattr(source, "getvalue"):
        return source.getvalue()
    return source.read()


def _to_mode(image, mode: str):
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16- and 32-bit grayscale: stretch the used range to 8 bits instead of clipping at 255.
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
        image = Image.fromarray(scaled.astype(np.uint8), "L")
    if image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert(mode)
