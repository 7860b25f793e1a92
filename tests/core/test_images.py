"""Bounded decoding: ``load_image`` against a plain full-size reference, and hostile images from their headers.

The reference is the decoder the app had before issue 17, written out here: decode in full,
orient, stretch 16/32-bit grey in float64, composite onto white, convert, then shrink. The new one
shrinks first and converts after; both must agree. The giants are written by
``tests.support.hostile_files.zeros_png`` (80 MB of pixels in a 79 kB file, made in milliseconds).
"""

import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from cnn_core.data.errors import DatasetError
from cnn_core.data.folders import load_image_file
from cnn_core.vision import images
from cnn_core.vision.images import DecodeBudget, ImageError, ImageTooLargeError, load_image, read_header
from tests.support.hostile_files import zeros_png

ROOT = Path(__file__).resolve().parents[2]


def reference_load(data: bytes, mode: str = "RGB", max_side: int | None = 1024) -> np.ndarray:
    """The full-size decoder of before: every conversion on the whole image, float64 stretch, then thumbnail."""
    image = Image.open(io.BytesIO(data))
    if max_side and image.format == "JPEG":
        image.draft("RGB", (max_side, max_side))
    image.load()
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
        image = Image.fromarray(scaled.astype(np.uint8), "L")
    if image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    image = image.convert(mode)
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def gradient(mode: str, size=(64, 48)) -> Image.Image:
    """A test image in ``mode`` with varied values (and varied alpha where there is alpha)."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    if mode == "I;16":
        return Image.fromarray((1000 + x * 400 + y * 37).astype(np.uint16))
    if mode == "I":
        return Image.fromarray((-5000 + x * 90_000 + y * 11).astype(np.int32))
    if mode == "F":
        return Image.fromarray((x * 3.7 + y * 0.5).astype(np.float32))
    rgba = np.stack([x * 4 % 256, y * 5 % 256, (x + y) * 3 % 256, (x * 9 + y * 2) % 256], -1).astype(np.uint8)
    image = Image.fromarray(rgba, "RGBA")
    if mode == "P":
        return image.convert("RGB").quantize(64)
    if mode == "P+transparency":
        palette = image.convert("RGB").quantize(64)
        palette.info["transparency"] = 3
        return palette
    return image.convert(mode)


MODES = ["RGB", "RGBA", "LA", "L", "1", "P", "P+transparency", "CMYK", "I;16", "I", "F"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("out_mode", ["RGB", "L"])
def test_small_images_match_the_full_size_reference(mode, out_mode):
    data = encode(gradient(mode), "TIFF" if mode in ("CMYK", "I", "F") else "PNG")
    ours, theirs = load_image(data, mode=out_mode), reference_load(data, mode=out_mode)
    assert ours.dtype == np.uint8 and ours.shape == theirs.shape
    # Exact but for the integer stretch of 16/32-bit grey, which floors where float64 truncated.
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "I;16", "P+transparency"])
def test_shrunk_images_match_the_reference_closely(mode):
    data = encode(gradient(mode, size=(1500, 900)))
    ours, theirs = load_image(data, max_side=300), reference_load(data, max_side=300)
    assert ours.shape == theirs.shape == (180, 300, 3)
    # Shrinking before compositing or stretching commutes with both (they are affine), up to rounding.
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 1.5


def test_the_stretch_keeps_the_full_images_range():
    # A bright corner that shrinking blurs away still sets the top of the range, as before.
    values = np.full((800, 800), 1000, np.uint16)
    values[:8, :8] = 60000
    values[400:, :] = 30000
    ours = load_image(encode(Image.fromarray(values)), mode="L", max_side=100)
    theirs = reference_load(encode(Image.fromarray(values)), mode="L", max_side=100)
    assert abs(int(ours[-1, -1]) - int(theirs[-1, -1])) <= 1 and ours[-1, -1] == 125  # (30000-1000)*255//59000


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = encode(gradient("RGB", size=(80, 40)), "JPEG", exif=exif)
    assert load_image(data).shape == reference_load(data).shape == (80, 40, 3)
    assert load_image(data, max_side=20).shape == (20, 10, 3)


# ---------------------------------------------------------------------------------------------
# Refused from the header
# ---------------------------------------------------------------------------------------------


def test_the_16_bit_giant_of_issue_17_is_refused_from_its_header():
    data = zeros_png(6324, 6324, 16)
    assert len(data) < 100_000
    header = read_header(data)
    assert (header.mode, header.working_bytes) == ("I;16", 6324 * 6324 * 2)
    with pytest.raises(ImageTooLargeError, match=r"6324x6324 pixels \(40 MP, PNG, 2 bytes a pixel while decoding\)"):
        load_image(data)
    assert images.DECODE_BUDGET.used == 0


def test_the_40_mp_rgba_png_of_issue_17_is_refused_from_its_header():
    with pytest.raises(
        ImageTooLargeError, match=r"7300x5479 pixels .*would take 320 MB, and this server decodes at most 64"
    ):
        load_image(zeros_png(7300, 5479, 8, 6))


def test_too_many_pixels_and_pillows_own_bomb_limit():
    with pytest.raises(ImageTooLargeError, match="images above 40 MP are refused"):
        load_image(zeros_png(8000, 6000, 1))
    with pytest.raises(ImageTooLargeError, match="decompression bomb"):
        load_image(zeros_png(20000, 10000, 1))  # 200 MP: Pillow refuses it when it opens it
    with pytest.raises(ImageTooLargeError, match=r"images above 16 MP"):
        load_image(zeros_png(5000, 4000), max_pixels=16_000_000)


def test_a_big_jpeg_decodes_at_a_reduced_scale():
    data = encode(gradient("RGB", size=(2048, 1536)), "JPEG", quality=80)
    header = read_header(data, max_side=256)
    assert (header.width, header.decode_width, header.decode_height) == (2048, 512, 384)  # a 1/4-scale DCT decode
    assert header.working_bytes == 512 * 384 * 4
    assert load_image(data, max_side=256).shape == (192, 256, 3)


def test_what_fits_the_cap_decodes():
    grey = zeros_png(4000, 4000, 16)  # 32 MB to decode
    assert load_image(grey, max_side=300).shape == (300, 300, 3)
    assert load_image(zeros_png(2828, 2828, 8, 6), mode="L", max_side=200).max() == 255  # transparent: white


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"not an image at all", "not an image"),
        (encode(Image.new("RGB", (500, 500)))[:300], "corrupt or truncated"),
    ],
)
def test_bad_files(data, match):
    with pytest.raises(ImageError, match=match):
        load_image(data)


def test_paths_and_file_objects(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(encode(gradient("RGB")))
    assert load_image(path).shape == load_image(io.BytesIO(path.read_bytes())).shape == (48, 64, 3)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.png")
    with pytest.raises(ImageError, match="could not be read: No such file"):
        load_image(tmp_path / "missing.png")


def test_every_path_has_the_same_limits(tmp_path):
    # A folder's file goes through the same header checks as an upload, with the data sets' 16 MP.
    (tmp_path / "deep.png").write_bytes(zeros_png(6324, 6324, 16))
    with pytest.raises(DatasetError, match=r"'deep.png' could not be read: The image is 6324x6324 pixels .*16 MP"):
        load_image_file(tmp_path / "deep.png")
    (tmp_path / "clear.png").write_bytes(zeros_png(3000, 3000, 8, 6))
    with pytest.raises(DatasetError, match=r"'clear.png' could not be read: .*would take 72 MB"):
        load_image_file(tmp_path / "clear.png")


# ---------------------------------------------------------------------------------------------
# The process-wide decode budget
# ---------------------------------------------------------------------------------------------


def test_the_decode_budget_makes_big_decodes_wait():
    budget = DecodeBudget(limit_bytes=100, wait_s=5)
    got, release = [], threading.Event()

    def first():
        with budget.share(80):
            release.wait(5)

    def second():
        with budget.share(50):
            got.append(budget.used)

    holder = threading.Thread(target=first)
    holder.start()
    while budget.used != 80:
        time.sleep(0.01)
    waiter = threading.Thread(target=second)
    waiter.start()
    time.sleep(0.2)
    assert not got  # 80 + 50 > 100: it waits
    release.set()
    waiter.join(5)
    holder.join(5)
    assert got == [50] and budget.used == 0


def test_a_share_larger_than_the_budget_takes_all_of_it_and_a_full_budget_says_busy():
    budget = DecodeBudget(limit_bytes=100, wait_s=0.1)
    with budget.share(10**9):
        assert budget.used == 100
        with pytest.raises(ImageError, match="busy decoding other large images"):
            with budget.share(1):
                pass
    assert budget.used == 0


def test_concurrent_decodes_all_finish_under_a_small_budget(monkeypatch):
    monkeypatch.setattr(images, "DECODE_BUDGET", DecodeBudget(limit_bytes=40_000_000, wait_s=30))
    data = zeros_png(4000, 2000, 16)  # 16 MB each: at most two at once
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_image(data, max_side=64).shape)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [(32, 64, 3)] * 6 and images.DECODE_BUDGET.used == 0


MEMORY_CHILD = """
import sys
sys.path.insert(0, {root!r})
from cnn_core.vision.images import load_image
from tests.support.hostile_files import zeros_png
data = zeros_png(4000, 4000, 16)
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
load_image(zeros_png(64, 64, 16))  # imports PIL's plugins before the baseline
base = status("VmRSS:")
for _ in range(8):
    load_image(data)
print((status("VmHWM:") - base) / 1e6)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak RSS from /proc")
def test_eight_16_bit_giants_add_tens_not_hundreds_of_megabytes():
    # Issue 17: eight 16-bit 4000 x 4000 PNGs one after another added 604 MB (float64 copies).
    code = MEMORY_CHILD.format(root=str(ROOT))
    added = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert added < 100, f"{added:.0f} MB"
