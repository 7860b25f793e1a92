"""Pictures for the digit reader: augmented digits, generated non-digits, camera snapshots of both.

Training (``scripts.train_digit_reader``) and the held-out evaluation
(``scripts.evaluate_digit_reader``) draw from here with separate seeds and, for the non-digits,
separate generators and fonts (``TRAINING_KINDS`` and ``HELD_OUT_KINDS`` share none), so
nothing in a held-out set was seen in training. Every "ink" picture is uint8 (H, W), white ink
on black, like MNIST.
"""

from __future__ import annotations

import functools
import itertools
import subprocess
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCALE = 4  # MNIST's 28x28 is drawn at 112x112 before a pen changes its strokes.
# Letters whose shape a digit can also take (O 0, l 1, S 5, Z 2, B 8, g 9, b 6, ...) are left out:
# the model must not learn that a closed loop is "not a digit".
LETTERS = "ACEFHKMNPRUVWXYacdefhkmnprtuvwxy" + "가나다라마바사아자차카타파하한국글말빛"
TRAINING_FONTS = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "Noto Sans CJK KR")
HELD_OUT_FONTS = ("Liberation Sans", "Liberation Serif", "Liberation Mono", "Noto Serif CJK KR")
PYCLUSTERING = "pyclustering==0.10.1.2"  # its sdist holds 250 handwritten digits, 32x32 (BSD-3-Clause)


# --- digits -----------------------------------------------------------------------------------


def pen_digit(digit: np.ndarray, rng: np.random.Generator, elastic: bool = True) -> np.ndarray:
    """A square digit (MNIST's 28x28, or any other) redrawn at 112x112 by another hand and pen.

    Slant (shear up to 0.4), rotation (up to 15°), zoom and aspect (±15%), an elastic wobble, and
    a pen whose stroke is ``PEN_WIDTHS`` px wide whatever the source's was: from a fine-liner
    to a thick marker (MNIST's own strokes are 10-11 px wide at this size).
    """
    import cv2

    size = 28 * SCALE
    big = cv2.resize(digit, (size, size), interpolation=cv2.INTER_CUBIC)  # (112, 112)
    angle, shear = rng.uniform(-15, 15), rng.uniform(-0.4, 0.4)
    zoom, aspect = rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, zoom)
    matrix[:, :2] = matrix[:, :2] @ np.array([[aspect, shear], [0.0, 1.0]])
    matrix[:, 2] += (size / 2) - matrix[:, :2] @ np.array([size / 2, size / 2])
    big = cv2.warpAffine(big, matrix, (size, size), flags=cv2.INTER_LINEAR)
    if elastic and rng.random() < 0.6:
        big = _elastic(big, rng, alpha=rng.uniform(2, 6) * SCALE, sigma=3.0 * SCALE)
    return _pen(big, int(round(rng.uniform(*PEN_WIDTHS) - _width_of(big))))


PEN_WIDTHS = (5.0, 28.0)  # px at 112x112: half of MNIST's stroke to 2.6 times it (the marker)


def _width_of(ink: np.ndarray) -> float:
    from cnn_core.vision.strokes import stroke_width

    return stroke_width(ink >= 128) if (ink >= 128).any() else 0.0


def continental(ink: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """A 1 with a flag (and sometimes a foot) or a 7 with a bar, as most writers outside the US write them.

    MNIST's American writers seldom do, so a 1 with a flag read as 4 or 7. ``ink`` is 112x112.
    """
    import cv2

    rows, cols = np.nonzero(ink >= 128)
    if label not in (1, 7) or len(rows) == 0:
        return ink
    ink, width = ink.copy(), max(3, int(round(_width_of(ink))))
    top, bottom = rows.min(), rows.max()
    height = bottom - top
    if label == 1:
        x = int(cols[rows <= top + width].mean())
        length, angle = rng.uniform(0.25, 0.45) * height, np.radians(rng.uniform(25, 60))
        cv2.line(ink, (x, int(top)), (int(x - length * np.cos(angle)), int(top + length * np.sin(angle))), 255, width)
        if rng.random() < 0.3:
            x = int(cols[rows >= bottom - width].mean())
            cv2.line(ink, (int(x - 0.25 * height), int(bottom)), (int(x + 0.25 * height), int(bottom)), 255, width)
    else:
        y = int(top + rng.uniform(0.45, 0.6) * height)
        x = int(cols[np.argsort(np.abs(rows - y))[:width]].mean())  # the ink nearest that height
        cv2.line(ink, (int(x - 0.2 * height), y), (int(x + 0.2 * height), y), 255, width)
    return ink


def _elastic(image: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    """Simard's elastic distortion: a smooth random displacement field of size ``alpha`` pixels."""
    import cv2

    height, width = image.shape
    shifts = [cv2.GaussianBlur(rng.uniform(-1, 1, (height, width)).astype(np.float32), (0, 0), sigma) for _ in (0, 1)]
    shifts = [s * (alpha / max(np.abs(s).max(), 1e-6)) for s in shifts]
    ys, xs = np.indices((height, width), np.float32)
    return cv2.remap(image, xs + shifts[0], ys + shifts[1], cv2.INTER_LINEAR)


def _pen(ink: np.ndarray, change: int) -> np.ndarray:
    """Thicken (change > 0) or thin (change < 0) the strokes by about ``change`` pixels."""
    import cv2

    if abs(change) < 2:
        return ink
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(change), abs(change)))
    return cv2.dilate(ink, kernel) if change > 0 else cv2.erode(ink, kernel)


def optdigits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled UCI optdigits test digits (43 writers, 8x8 counts of 4x4 blocks).

    Each 8x8 of counts 0-16 is the density of a 32x32 bitmap; its half-density contour, upsampled
    smoothly to 64x64, is the digit's outline. Returns ink (1797, 72, 72) uint8 and labels.
    """
    import cv2
    from sklearn.datasets import load_digits

    data = load_digits()
    inks = []
    for counts in data.images:
        smooth = cv2.resize((counts / 16.0).astype(np.float32), (64, 64), interpolation=cv2.INTER_CUBIC)
        inks.append(np.pad((smooth > 0.5).astype(np.uint8) * 255, 4))
    return np.stack(inks), data.target.astype(np.int64)


def pyclustering_digits(cache: Path = ROOT / ".cache") -> tuple[np.ndarray, np.ndarray]:
    """pyclustering's 250 sample digits (25 of each, 32x32 black on white), from its PyPI sdist.

    The sdist is fetched once with pip into ``cache``. Returns ink (250, 40, 40) uint8 and labels.
    """
    import io
    import tarfile

    from PIL import Image

    cache.mkdir(exist_ok=True)
    archives = sorted(cache.glob("pyclustering-*.tar.gz"))
    if not archives:
        subprocess.run(
            ["python", "-m", "pip", "download", PYCLUSTERING, "--no-deps", "--no-binary", ":all:", "-d", str(cache)],
            check=True,
            capture_output=True,
        )
        archives = sorted(cache.glob("pyclustering-*.tar.gz"))
    inks, labels = [], []
    with tarfile.open(archives[-1]) as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            name = Path(member.name).name
            if "/samples/images/digits/" in member.name and name.startswith("Digit_"):
                gray = np.asarray(Image.open(io.BytesIO(archive.extractfile(member).read())).convert("L"))
                inks.append(np.pad(255 - gray, 4))
                labels.append(int(name.split("_")[1]))
    return np.stack(inks), np.array(labels, np.int64)


# --- non-digits --------------------------------------------------------------------------------


def non_digit(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One generated non-digit of ``kind`` (see ``TRAINING_KINDS``, ``HELD_OUT_KINDS``)."""
    return GENERATORS[kind](rng)


def _canvas(size: int = 112) -> np.ndarray:
    return np.zeros((size, size), np.uint8)


def _letter(rng: np.random.Generator, fonts: tuple[str, ...]) -> np.ndarray:
    """A letter (Latin or Hangul) in one of ``fonts``, at a random stroke weight and slant."""
    from PIL import Image, ImageDraw

    font = _font(fonts[int(rng.integers(len(fonts)))])
    image = Image.new("L", (140, 140), 0)
    text = LETTERS[int(rng.integers(len(LETTERS)))]
    ImageDraw.Draw(image).text((70, 70), text, fill=255, font=font, anchor="mm", stroke_width=int(rng.integers(0, 4)))
    ink = _pen(np.asarray(image), int(rng.integers(-3, 8)))
    return _shear(ink, rng.uniform(-0.3, 0.3))


def _shear(ink: np.ndarray, shear: float) -> np.ndarray:
    import cv2

    height, width = ink.shape
    matrix = np.array([[1.0, shear, -shear * height / 2], [0.0, 1.0, 0.0]])
    return cv2.warpAffine(ink, matrix, (width, height))


@functools.cache
def _font(family: str):
    """``family``'s regular face at 84 px, found by fontconfig (fc-match)."""
    from PIL import ImageFont

    result = subprocess.run(["fc-match", "-f", "%{file}", f"{family}:style=Regular"], capture_output=True, text=True)
    return ImageFont.truetype(result.stdout, 84)


def _width(rng: np.random.Generator) -> int:
    return int(rng.integers(3, 16))


def _shapes(rng: np.random.Generator) -> np.ndarray:
    """Filled or outlined polygons, stars, crosses and blobs."""
    import cv2

    ink = _canvas()
    sides = int(rng.integers(3, 9))
    radius, angles = rng.uniform(25, 50), np.sort(rng.uniform(0, 2 * np.pi, sides))
    if rng.random() < 0.3:  # a star
        angles = np.linspace(0, 2 * np.pi, 2 * sides, endpoint=False)
        radius = np.where(np.arange(2 * sides) % 2 == 0, radius, radius * 0.45)
    points = np.stack([56 + radius * np.cos(angles), 56 + radius * np.sin(angles)], 1).astype(np.int32)
    if rng.random() < 0.6:
        cv2.fillPoly(ink, [points], 255)
    else:
        cv2.polylines(ink, [points], True, 255, _width(rng))
    return ink


def _pacman(rng: np.random.Generator) -> np.ndarray:
    """A filled disc with a wedge cut out: the Pac-Man that used to read as a sure 6."""
    import cv2

    ink = _canvas()
    mouth, facing = rng.uniform(30, 100), rng.uniform(0, 360)
    radius = int(rng.integers(30, 50))
    cv2.ellipse(ink, (56, 56), (radius, radius), facing, mouth / 2, 360 - mouth / 2, 255, -1)
    return ink


def _smiley(rng: np.random.Generator) -> np.ndarray:
    """A face: an outlined or filled head, two eyes and a smile."""
    import cv2

    ink = _canvas()
    radius, width = int(rng.integers(32, 50)), _width(rng)
    filled = rng.random() < 0.3
    cv2.circle(ink, (56, 56), radius, 255, -1 if filled else width)
    eye = 0 if filled else 255
    for side in (-1, 1):
        cv2.circle(ink, (56 + side * radius // 3, 56 - radius // 3), max(3, radius // 8), eye, -1)
    cv2.ellipse(ink, (56, 56 + radius // 8), (radius // 2, radius // 3), 0, 20, 160, eye, max(3, width // 2))
    return ink


def _scribble(rng: np.random.Generator) -> np.ndarray:
    """A random curve through a handful of points, drawn with a random pen."""
    import cv2

    points = rng.uniform(10, 102, (int(rng.integers(4, 9)), 2))
    t = np.linspace(0, 1, 200)[:, None]
    curve = np.concatenate([a * (1 - t) + b * t for a, b in itertools.pairwise(points)])
    curve = cv2.GaussianBlur(curve.astype(np.float32)[:, None, :], (1, 0), 15)[:, 0, :]
    ink = _canvas()
    cv2.polylines(ink, [curve.astype(np.int32)], False, 255, _width(rng))
    return ink


def _texture(rng: np.random.Generator) -> np.ndarray:
    """Thresholded smooth noise, stripes, a checkerboard or dots."""
    import cv2

    choice = int(rng.integers(4))
    ys, xs = np.indices((112, 112))
    if choice == 0:
        noise = cv2.GaussianBlur(rng.standard_normal((112, 112)).astype(np.float32), (0, 0), rng.uniform(2, 8))
        return ((noise > np.quantile(noise, rng.uniform(0.5, 0.85))) * 255).astype(np.uint8)
    if choice == 1:
        angle, period = rng.uniform(0, np.pi), rng.uniform(8, 24)
        return ((np.sin((xs * np.cos(angle) + ys * np.sin(angle)) * 2 * np.pi / period) > 0.3) * 255).astype(np.uint8)
    if choice == 2:
        cell = int(rng.integers(8, 28))
        return (((xs // cell + ys // cell) % 2) * 255).astype(np.uint8)
    ink = _canvas()
    for x, y in rng.uniform(8, 104, (int(rng.integers(5, 30)), 2)).astype(int):
        cv2.circle(ink, (x, y), int(rng.integers(2, 7)), 255, -1)
    return ink


def _photo_crop(rng: np.random.Generator, photos: tuple[str, ...]) -> np.ndarray:
    """A crop of a photo, as ink: its dark parts are what a camera would see as ink."""
    import cv2

    photo = _photo(photos[int(rng.integers(len(photos)))])
    side = int(rng.integers(40, min(photo.shape) // 2))
    top, left = rng.integers(0, photo.shape[0] - side), rng.integers(0, photo.shape[1] - side)
    return cv2.resize(255 - photo[top : top + side, left : left + side], (112, 112), interpolation=cv2.INTER_AREA)


@functools.cache
def _photo(name: str) -> np.ndarray:
    """A grey photo: data/chelsea.png for training, scikit-image's bundled samples held out."""
    if name == "chelsea":
        from cnn_core import load_sample_photo, to_gray

        return to_gray(load_sample_photo())
    import skimage.data

    image = getattr(skimage.data, name)()
    if image.ndim == 3:
        image = (image[..., :3] @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    return image


def _specks(rng: np.random.Generator) -> np.ndarray:
    """Blank paper with a few specks of dust or pencil dots."""
    import cv2

    ink = _canvas()
    for x, y in rng.uniform(5, 107, (int(rng.integers(1, 6)), 2)).astype(int):
        cv2.circle(ink, (x, y), int(rng.integers(1, 4)), int(rng.integers(120, 256)), -1)
    return ink


def _house(rng: np.random.Generator) -> np.ndarray:
    """A house: a square and a roof (held out)."""
    import cv2

    ink, width = _canvas(), _width(rng)
    cv2.rectangle(ink, (28, 52), (84, 100), 255, width)
    cv2.polylines(ink, [np.array([[22, 56], [56, 14], [90, 56]], np.int32)], False, 255, width)
    return _shear(ink, rng.uniform(-0.2, 0.2))


def _arrow(rng: np.random.Generator) -> np.ndarray:
    """An arrow in any direction (held out)."""
    import cv2

    ink, width = _canvas(), _width(rng)
    cv2.arrowedLine(ink, (14, 56), (98, 56), 255, width, tipLength=0.35)
    matrix = cv2.getRotationMatrix2D((56, 56), rng.uniform(0, 360), 1.0)
    return cv2.warpAffine(ink, matrix, (112, 112))


def _random_walk(rng: np.random.Generator) -> np.ndarray:
    """A scribble as a random walk with momentum (held out)."""
    import cv2

    heading, point, points = rng.uniform(0, 2 * np.pi), np.array([56.0, 56.0]), []
    for _ in range(int(rng.integers(30, 80))):
        heading += rng.normal(0, 0.5)
        point = np.clip(point + 3 * np.array([np.cos(heading), np.sin(heading)]), 5, 107)
        points.append(point.copy())
    ink = _canvas()
    cv2.polylines(ink, [np.array(points, np.int32)], False, 255, _width(rng))
    return ink


GENERATORS = {
    "letter": lambda rng: _letter(rng, TRAINING_FONTS),
    "shape": _shapes,
    "pacman": _pacman,
    "smiley": _smiley,
    "scribble": _scribble,
    "texture": _texture,
    "photo": lambda rng: _photo_crop(rng, ("chelsea",)),
    "specks": _specks,
    "letter (held-out fonts)": lambda rng: _letter(rng, HELD_OUT_FONTS),
    "house": _house,
    "arrow": _arrow,
    "random walk": _random_walk,
    "photo (held-out photos)": lambda rng: _photo_crop(rng, ("astronaut", "camera", "coffee", "coins", "rocket")),
}
TRAINING_KINDS = ("letter", "shape", "pacman", "smiley", "scribble", "texture", "photo", "specks")
# Pac-Man, smileys and specks come back with other seeds: they are what the issue names.
HELD_OUT_KINDS = (
    "letter (held-out fonts)",
    "house",
    "arrow",
    "random walk",
    "photo (held-out photos)",
    "pacman",
    "smiley",
    "specks",
)


# --- camera snapshots --------------------------------------------------------------------------


def snapshot(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 320x240 webcam frame of ``ink`` on lit paper, 70-150 px tall (``synthetic_snapshot``)."""
    from cnn_core import synthetic_snapshot

    ys, xs = np.nonzero(ink > 32)
    if len(ys):  # The ink's own box is what is 70-150 px tall, not the margin around it.
        ink = np.pad(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], 2)
    return synthetic_snapshot(ink, rng, size=(240, 320), height_fraction=(70 / 240, 150 / 240))
