"""Images in and out: bounded decoding of uploads and files, resize, grey levels and the model-input format.

Decoding (``load_image``) costs a bounded amount of memory, whatever a file claims:

1. The header is read first (``Image.open`` is lazy): size, mode and format. More than
   ``MAX_PIXELS`` is refused outright. A JPEG is told to decode at a reduced DCT scale (``draft``),
   which costs only the reduced size. Pillow decodes every other format (PNG, TIFF, WebP, BMP, GIF)
   in full, so those are refused when the full-size working memory would pass
   ``MAX_DECODED_BYTES`` (``ImageHeader.working_bytes``: Pillow keeps RGB at 4 bytes a pixel, and
   shrinking RGBA makes a premultiplied copy).
2. A process-wide ``DecodeBudget`` lets only so many bytes be decoding at once, so that eight
   visitors uploading at the same moment wait for each other instead of adding up.
3. The decoded image is shrunk to ``max_side`` in its own mode (Pillow resizes I;16, I, F and
   premultiplied RGBA); every conversion after that works on the small image: 16/32-bit grey
   stretched from the full image's extremes to 8 bits with integer arithmetic, transparency
   composited onto white, palette and CMYK converted.
4. EXIF orientation is applied last, on the small image.
"""

from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_core.i18n import N_, LabError

# A 40-megapixel photo (a phone's largest) still decodes; anything larger is refused from its
# header alone, before a single pixel is decoded.
MAX_PIXELS = 40_000_000
# One decode's full-size working memory (``ImageHeader.working_bytes``): 16 MP RGB, 8 MP RGBA,
# 32 MP 16-bit grey, 40 MP 8-bit grey. Measured peaks stay within about 1.4 times this.
MAX_DECODED_BYTES = 64_000_000
DECODE_BUDGET_BYTES = 2 * MAX_DECODED_BYTES  # every decode in the process at once
DECODE_WAIT_S = 30.0  # how long a decode waits for room before the visitor is asked to try again
# Bytes a pixel while a full-size image is in memory here: Pillow's buffer (multi-band images take
# 4 bytes a pixel, RGB too) plus the full-size copies made before shrinking: "1" is widened to L,
# a palette to RGB (RGBA with transparency: "PA"), and resizing RGBA or LA premultiplies a copy.
WORKING_BYTES = {
    "1": 2,
    "L": 1,
    "P": 5,
    "PA": 9,
    "I;16": 2,
    "I;16L": 2,
    "I;16B": 2,
    "I;16N": 2,
    "I": 4,
    "F": 4,
    "LA": 8,
    "La": 8,
    "RGBA": 8,
    "RGBa": 8,
    "RGB": 4,
    "RGBX": 4,
    "CMYK": 4,
    "YCbCr": 4,
    "LAB": 4,
    "HSV": 4,
}
UNKNOWN_MODE_BYTES = 8
STRETCHED_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
SAMPLE_PHOTO = Path(__file__).resolve().parents[2] / "data" / "chelsea.png"


class ImageError(LabError):
    """An upload or file that is not a usable image (wrong type, corrupt, empty, too large)."""


class ImageTooLargeError(ImageError):
    """An image whose header alone shows it has too many pixels, or would take too much memory to decode."""


@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says, and what decoding it would cost here."""

    format: str
    mode: str
    width: int
    height: int
    decode_width: int  # after a JPEG's reduced-scale draft; else the full size
    decode_height: int
    transparency: bool = False  # a palette image with a transparent colour

    @property
    def pixels(self) -> int:
        """Width times height, as stored."""
        return self.width * self.height

    @property
    def bytes_per_pixel(self) -> int:
        """``WORKING_BYTES`` of the mode (a palette with transparency counts as "PA")."""
        mode = "PA" if self.mode == "P" and self.transparency else self.mode
        return WORKING_BYTES.get(mode, UNKNOWN_MODE_BYTES)

    @property
    def working_bytes(self) -> int:
        """Memory the decode takes at the size it decodes to, before anything shrinks it.

        >>> ImageHeader("PNG", "I;16", 6324, 6324, 6324, 6324).working_bytes / 1e6
        79.985952
        >>> ImageHeader("PNG", "P", 1000, 1000, 1000, 1000, transparency=True).working_bytes
        9000000
        """
        return self.decode_width * self.decode_height * self.bytes_per_pixel


class DecodeBudget:
    """Bytes being decoded in this process at once; a decode waits for room, up to ``wait_s``.

    One lock, no nesting (a decode takes its share once and gives it back in ``finally``), and a
    share is at most the whole limit, so every wait ends: deadlock-free by construction.
    """

    def __init__(self, limit_bytes: int = DECODE_BUDGET_BYTES, wait_s: float = DECODE_WAIT_S):
        self.limit_bytes, self.wait_s = limit_bytes, wait_s
        self._used = 0
        self._room = threading.Condition()

    @contextlib.contextmanager
    def share(self, nbytes: int):
        """Hold ``nbytes`` of the budget (at most all of it) for the ``with`` block."""
        nbytes = min(nbytes, self.limit_bytes)
        with self._room:
            if not self._room.wait_for(lambda: self._used + nbytes <= self.limit_bytes, self.wait_s):
                raise ImageError(N_("The server is busy decoding other large images; try again in a moment."))
            self._used += nbytes
        try:
            yield
        finally:
            with self._room:
                self._used -= nbytes
                self._room.notify_all()

    @property
    def used(self) -> int:
        """Bytes held now."""
        with self._room:
            return self._used


DECODE_BUDGET = DecodeBudget()


def read_header(source, max_side: int | None = None) -> ImageHeader:
    """The header of an image (bytes, a file object or a path), without decoding a pixel.

    With ``max_side``, a JPEG's decode size is the reduced scale ``load_image`` would decode it at.
    Raises ``ImageError`` for a file that is not a readable image.
    """
    with _opened(source, max_side) as (_, header):
        return header


def check_header(header: ImageHeader, max_pixels: int = MAX_PIXELS, max_decoded_bytes: int = MAX_DECODED_BYTES) -> None:
    """Raise ``ImageTooLargeError`` for more than ``max_pixels``, or more than ``max_decoded_bytes`` to decode."""
    if header.pixels > max_pixels:
        raise ImageTooLargeError(
            N_("The image is {width}x{height} pixels ({mp:.0f} MP); images above {cap:.0f} MP are refused."),
            width=header.width,
            height=header.height,
            mp=header.pixels / 1e6,
            cap=max_pixels / 1e6,
        )
    if header.working_bytes > max_decoded_bytes:
        raise ImageTooLargeError(
            N_(
                "The image is {width}x{height} pixels ({mp:.0f} MP, {format}, {per_pixel} bytes a pixel while "
                "decoding): decoding it would take {mb:,.0f} MB, and this server decodes at most {cap_mb:,.0f} MB "
                "per image. Save it smaller, or as a JPEG (JPEGs are decoded at a reduced scale)."
            ),
            width=header.width,
            height=header.height,
            mp=header.pixels / 1e6,
            format=header.format,
            per_pixel=header.bytes_per_pixel,
            mb=header.working_bytes / 1e6,
            cap_mb=max_decoded_bytes / 1e6,
        )


def load_image(source, mode: str = "RGB", max_side: int | None = 1024, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode bytes, a file-like object or a path into a uint8 array, downscaled to ``max_side``.

    ``mode`` is "RGB" (H, W, 3) or "L" (H, W). Transparency is composited onto white, 16- and
    32-bit grey is stretched over its used range, CMYK and palettes are converted, and an animated
    image gives its first frame. The header decides first whether decoding fits (``check_header``
    with ``max_pixels``); decodes then share ``DECODE_BUDGET``. Raises ``ImageError`` with a
    readable message for anything that is not a decodable image, ``ImageTooLargeError`` for one
    too large.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    with _opened(source, max_side) as (image, header):
        check_header(header, max_pixels)
        with DECODE_BUDGET.share(header.working_bytes):
            small, extrema = _decode_small(image, max_side)
    return np.array(_to_mode(small, mode, extrema), dtype=np.uint8)


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


def stretch_to_uint8(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """Map [low, high] onto 0-255 with integer floor division; values outside are clipped.

    The float version ``uint8((v - low) * (255 / (high - low)))`` in exact integer arithmetic
    (they differ by at most one level), meant for an image that is already small.

    >>> stretch_to_uint8(np.array([100, 150, 200, 260], np.uint16), 100, 200).tolist()
    [0, 127, 255, 255]
    >>> stretch_to_uint8(np.array([7, 7]), 7, 7).tolist()
    [0, 0]
    """
    low, high = int(low), int(high)
    if high <= low:
        return np.zeros(values.shape, np.uint8)
    shifted = np.clip(values.astype(np.int64), low, high) - low
    return (shifted * 255 // (high - low)).astype(np.uint8)


@contextlib.contextmanager
def _opened(source, max_side: int | None):
    """The image opened lazily (header read, no pixel decoded) and its header; Pillow's errors as ImageError."""
    from PIL import Image, UnidentifiedImageError

    with _stream(source) as stream:
        try:
            with Image.open(stream) as image:
                yield image, _header(image, max_side)
        except ImageError:
            raise
        except UnidentifiedImageError as exc:
            raise ImageError(
                N_("This file is not an image that can be read (try PNG, JPEG, GIF, BMP or WebP).")
            ) from exc
        except Image.DecompressionBombError as exc:
            raise ImageTooLargeError(
                N_("The image is refused as a possible decompression bomb: {reason}"), reason=str(exc)
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError(N_("The image is corrupt or truncated: {reason}"), reason=str(exc)) from exc


@contextlib.contextmanager
def _stream(source):
    """A binary stream over ``source``: bytes, something with ``getvalue`` or ``read``, or a path."""
    if isinstance(source, (str, Path)):
        try:
            stream = open(source, "rb")  # closed by the with below
        except OSError as exc:
            raise ImageError(N_("The file could not be read: {reason}"), reason=exc.strerror or str(exc)) from exc
        with stream:
            if stream.seek(0, io.SEEK_END) == 0:
                raise ImageError(N_("The file is empty."))
            stream.seek(0)
            yield stream
        return
    if hasattr(source, "getvalue"):
        source = source.getvalue()
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise ImageError(N_("The file is empty."))
        yield io.BytesIO(source)
        return
    yield source


def _header(image, max_side: int | None) -> ImageHeader:
    """The header of an opened image; sets a JPEG's draft (reduced-scale decode) for ``max_side``."""
    width, height = image.size
    if max_side and image.format in ("JPEG", "MPO") and width * height <= MAX_PIXELS:
        image.draft(image.mode, (max_side, max_side))
    return ImageHeader(
        image.format or "?", image.mode, width, height, *image.size, image.mode == "P" and "transparency" in image.info
    )


def _decode_small(image, max_side: int | None):
    """(image, extrema): decoded, shrunk to ``max_side`` in its own mode and oriented; extrema of 16/32-bit grey."""
    from PIL import Image, ImageOps

    image.load()
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode in ("P", "PA"):
        image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    extrema = image.getextrema() if image.mode in STRETCHED_MODES else None  # of the full image, as before
    if max_side and max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        gap = None if image.mode.startswith("I;16") else 2.0  # Pillow cannot reduce() I;16
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=gap)
    ImageOps.exif_transpose(image, in_place=True)
    return image, extrema


def _to_mode(image, mode: str, extrema):
    """A small decoded image in "RGB" or "L": 16/32-bit grey stretched, transparency onto white."""
    from PIL import Image

    if image.mode in STRETCHED_MODES:
        image = Image.fromarray(stretch_to_uint8(np.asarray(image), *extrema), "L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image.convert(mode)
