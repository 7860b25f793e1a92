"""Image-folder data sets: safe zip import, class folders and splits, decoding, the pipeline, a run.

The data sets are made here: two classes of synthetic shapes (circles and squares), 32x32 PNGs.
Nothing downloads: the cats-and-dogs download is exercised through file:// URLs.
"""

import functools
import io
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_core.data.download import CATS_DOGS_BYTES, CATS_DOGS_FILE, download_cats_and_dogs
from cnn_core.data.errors import DatasetError, DownloadError
from cnn_core.data.folders import load_image_folder, scan_image_folder, split_by_class
from cnn_core.data.zips import extract_image_zip
from cnn_core.learning.models import build_cats_dogs_convnet
from cnn_core.learning.pipeline import make_dataset
from cnn_core.learning.progress import TrainingLog
from cnn_core.learning.runs import TrainingRun
from cnn_core.learning.settings import TrainingSettings
from cnn_core.learning.train import train
from cnn_core.vision.augment import SEED_PREVIEW, SEED_TRAINING, augment_batch, augment_variants


def shape_image(kind: str, seed: int, size: int = 32) -> np.ndarray:
    """A white circle or square on a dark, noisy background, at a random place."""
    rng = np.random.default_rng(seed)
    image = (rng.random((size, size, 3)) * 60).astype(np.uint8)
    rows, cols = np.mgrid[0:size, 0:size]
    r0, c0 = rng.integers(size // 3, 2 * size // 3, 2)
    radius = size // 5
    if kind == "circle":
        mask = (rows - r0) ** 2 + (cols - c0) ** 2 <= radius**2
    else:
        mask = (abs(rows - r0) <= radius) & (abs(cols - c0) <= radius)
    image[mask] = 230
    return image


def png_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def write_shapes(folder: Path, per_class: int, seed: int = 0) -> None:
    for label, kind in enumerate(("circles", "squares")):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            (folder / kind / f"{i:03d}.png").write_bytes(png_bytes(shape_image(kind[:-1], seed + 1000 * label + i)))


def make_zip(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def shapes_members(prefix: str = "", per_class: int = 4) -> dict:
    return {
        f"{prefix}{kind}/{i}.png": png_bytes(shape_image(kind[:-1], i))
        for kind in ("circles", "squares")
        for i in range(per_class)
    }


def huge_png(width: int, height: int) -> bytes:
    """A 100-byte PNG whose header claims width x height pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------
# Zip import: safety, caps, skipping
# ---------------------------------------------------------------------------------------------


def test_extract_unpacks_images_skips_other_files_and_finds_the_root(tmp_path):
    members = shapes_members("shapes/train/") | shapes_members("shapes/validation/", 2)
    members |= {
        "shapes/README.txt": b"hello",
        "__MACOSX/shapes/._x.png": b"junk",
        "shapes/train/circles/.DS_Store": b"",
    }
    report = extract_image_zip(make_zip(tmp_path / "a.zip", members), tmp_path / "out")
    assert report.images == 12 and report.skipped == 3
    assert report.root == tmp_path / "out" / "shapes"
    assert sorted(p.name for p in (report.root / "train" / "circles").iterdir()) == ["0.png", "1.png", "2.png", "3.png"]
    assert not (tmp_path / "out" / "shapes" / "README.txt").exists()
    assert extract_image_zip is extract_image_zip


@pytest.mark.parametrize(
    "member",
    [
        "../evil.png",
        "shapes/../../evil.png",
        "/tmp/evil.png",
        "C:/evil.png",
        "..\\evil.png",
        "a\\..\\..\\evil.png",
    ],
)
def test_zip_slip_and_absolute_members_are_refused_by_name(tmp_path, member):
    archive = make_zip(tmp_path / "bad.zip", shapes_members() | {member: png_bytes(shape_image("circle", 1))})
    with pytest.raises(ValueError, match=f"member {member!r}".replace("\\", "\\\\").replace(".", r"\.")):
        extract_image_zip(archive, tmp_path / "out" / "inner")
    assert not (tmp_path / "out").exists()  # refused before anything was written
    assert not (tmp_path / "evil.png").exists()


def test_not_a_zip_gets_a_message(tmp_path):
    fake = tmp_path / "photo.zip"
    fake.write_bytes(png_bytes(shape_image("circle", 0)))
    with pytest.raises(DatasetError, match="not a zip archive"):
        extract_image_zip(fake, tmp_path / "out")
    with pytest.raises(DatasetError, match="not a zip archive"):
        extract_image_zip(io.BytesIO(b""), tmp_path / "out")


def test_caps_on_file_count_total_size_and_pixels(tmp_path):
    archive = make_zip(tmp_path / "a.zip", shapes_members())
    with pytest.raises(DatasetError, match=r"holds 8 entries \(files and folders together\); the most allowed is 5"):
        extract_image_zip(archive, tmp_path / "o1", max_files=5)
    with pytest.raises(DatasetError, match="unpacks to"):
        extract_image_zip(archive, tmp_path / "o2", max_total_bytes=1000)
    with pytest.raises(DatasetError, match=r"'circles/0.png' is 32x32 pixels"):
        extract_image_zip(archive, tmp_path / "o3", max_pixels=32 * 32 - 1)


def test_oversized_images_are_refused_from_their_header(tmp_path):
    # 100-byte files whose headers claim 5000x5000 (75 MB decoded) and 50,000x50,000 pixels
    # (7.5 GB): both are refused from the header alone; decoding them would fail or exhaust memory.
    big = make_zip(tmp_path / "big.zip", shapes_members() | {"circles/big.png": huge_png(5000, 5000)})
    with pytest.raises(DatasetError, match=r"'circles/big.png' is 5000x5000 pixels \(25.0 MP\); images above 16.0 MP"):
        extract_image_zip(big, tmp_path / "out")
    bomb = make_zip(tmp_path / "bomb.zip", shapes_members() | {"circles/bomb.png": huge_png(50_000, 50_000)})
    with pytest.raises(DatasetError, match=re.escape("'circles/bomb.png' is refused as a decompression bomb")):
        extract_image_zip(bomb, tmp_path / "out")


def test_a_file_named_like_an_image_that_is_not_one_is_named(tmp_path):
    archive = make_zip(tmp_path / "a.zip", shapes_members() | {"squares/fake.jpg": b"not really a jpeg"})
    with pytest.raises(DatasetError, match=re.escape("'squares/fake.jpg' is not a readable image")):
        extract_image_zip(archive, tmp_path / "out")


def test_a_zip_without_images_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="no images"):
        extract_image_zip(make_zip(tmp_path / "a.zip", {"notes.txt": b"x"}), tmp_path / "out")


# ---------------------------------------------------------------------------------------------
# Class folders and splits
# ---------------------------------------------------------------------------------------------


def test_train_and_validation_folders_are_used_as_they_are(tmp_path):
    write_shapes(tmp_path / "train", 5)
    write_shapes(tmp_path / "validation", 3, seed=50)
    scan = scan_image_folder(tmp_path)
    assert scan.class_names == ("circles", "squares")
    assert scan.train_labels == (0,) * 5 + (1,) * 5 and scan.val_labels == (0,) * 3 + (1,) * 3
    assert scan.train_files[0] == tmp_path / "train" / "circles" / "000.png"
    assert scan.layout == "train/ and validation/ folders"
    capped = scan_image_folder(tmp_path, max_per_class=2)
    assert len(capped.train_files) == 4 and len(capped.val_files) == 4


def test_one_folder_is_split_per_class_by_the_fraction(tmp_path):
    write_shapes(tmp_path, 10)
    scan = scan_image_folder(tmp_path, validation_split=0.3, seed=1)
    assert len(scan.train_files) == 14 and len(scan.val_files) == 6
    assert sorted(scan.val_labels) == [0, 0, 0, 1, 1, 1]
    assert not set(scan.train_files) & set(scan.val_files)
    assert scan_image_folder(tmp_path, validation_split=0.3, seed=1) == scan
    assert scan_image_folder(tmp_path, validation_split=0.3, seed=2).val_files != scan.val_files
    for path, label in zip(scan.train_files + scan.val_files, scan.train_labels + scan.val_labels):
        assert path.parent.name == scan.class_names[label]


def test_clear_errors_for_one_class_an_empty_class_and_mismatched_splits(tmp_path):
    write_shapes(tmp_path / "one", 3)
    (tmp_path / "one" / "squares").rename(tmp_path / "elsewhere")
    with pytest.raises(DatasetError, match=r"at least two class folders.*found only 'circles'"):
        scan_image_folder(tmp_path / "one")
    write_shapes(tmp_path / "empty", 3)
    (tmp_path / "empty" / "triangles").mkdir()
    (tmp_path / "empty" / "triangles" / "notes.txt").write_text("no images here")
    with pytest.raises(DatasetError, match="triangles/ holds no images"):
        scan_image_folder(tmp_path / "empty")
    write_shapes(tmp_path / "split" / "train", 3)
    write_shapes(tmp_path / "split" / "validation", 3)
    (tmp_path / "split" / "validation" / "squares").rename(tmp_path / "split" / "validation" / "boxes")
    with pytest.raises(DatasetError, match="must match"):
        scan_image_folder(tmp_path / "split")
    write_shapes(tmp_path / "lonely" / "train", 3)
    (tmp_path / "lonely" / "other").mkdir()
    with pytest.raises(DatasetError, match="no validation/"):
        scan_image_folder(tmp_path / "lonely")


def test_split_by_class_keeps_one_example_each_side():
    train, val = split_by_class(np.array([0, 0, 1, 1, 1]), 0.9)
    assert sorted(np.array([0, 0, 1, 1, 1])[val].tolist()) == [0, 1, 1]
    assert len(train) == 2
    with pytest.raises(DatasetError, match="needs 2 to split"):
        split_by_class(np.array([0, 1, 1]), 0.5)


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def test_loading_decodes_every_file_to_the_same_pixels_as_pil(tmp_path):
    write_shapes(tmp_path, 4)
    calls = []
    data = load_image_folder(
        tmp_path, image_size=(32, 32), validation_split=0.25, progress=lambda done, total: calls.append((done, total))
    )
    assert data.x_train.shape == (6, 32, 32, 3) and data.x_train.dtype == np.uint8
    assert data.x_val.shape == (2, 32, 32, 3) and data.input_shape == (32, 32, 3)
    assert data.counts() == {"circles": (3, 1), "squares": (3, 1)}
    assert calls[-1] == (8, 8)
    scan = scan_image_folder(tmp_path, validation_split=0.25)
    for path, pixels in zip(scan.train_files + scan.val_files, np.concatenate([data.x_train, data.x_val])):
        np.testing.assert_array_equal(pixels, np.asarray(Image.open(path).convert("RGB")))


def test_loading_resizes_to_the_model_input(tmp_path):
    write_shapes(tmp_path, 2)
    data = load_image_folder(tmp_path, image_size=(48, 40), validation_split=0.5)
    assert data.x_train.shape == (2, 48, 40, 3)


def test_an_unreadable_image_in_a_folder_is_named(tmp_path):
    write_shapes(tmp_path, 3)
    good = (tmp_path / "squares" / "001.png").read_bytes()
    (tmp_path / "squares" / "001.png").write_bytes(good[: len(good) // 2])  # truncated
    with pytest.raises(DatasetError, match=re.escape("'001.png' could not be read")):
        load_image_folder(tmp_path, image_size=(32, 32), validation_split=0.3)


# ---------------------------------------------------------------------------------------------
# The pipeline: what the preview shows is what trains
# ---------------------------------------------------------------------------------------------


def test_augment_batch_is_the_preview_scaled_to_0_1():
    image = shape_image("circle", 3)
    batch = np.stack([image] * 5)
    settings = SEED_TRAINING
    got = augment_batch(batch, settings, seed=42)
    preview = augment_variants(image.astype(np.float32), settings, 5, seed=42)
    np.testing.assert_array_equal(got, np.stack([v for v, _ in preview]) / np.float32(255))
    np.testing.assert_array_equal(augment_batch(batch, None, 0), batch.astype(np.float32) / 255)


def test_the_pipeline_scales_keeps_labels_and_repeats_with_its_seed():
    images = np.stack([shape_image("circle" if i % 2 else "square", i) for i in range(10)])
    labels = np.arange(10) % 2
    plain = make_dataset(images, labels, 4)
    batches = list(plain)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 32, 32, 3), (4, 32, 32, 3), (2, 32, 32, 3)]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), images.astype(np.float32) / 255)
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)

    augmented = make_dataset(images, labels, 5, shuffle=True, seed=3, augmentation=SEED_TRAINING)
    first = [(x.numpy(), y.numpy()) for x, y in augmented]
    second = [(x.numpy(), y.numpy()) for x, y in augmented]  # a second epoch: new order, new draws
    again = [
        (x.numpy(), y.numpy())
        for x, y in make_dataset(images, labels, 5, shuffle=True, seed=3, augmentation=SEED_TRAINING)
    ]
    for (xa, ya), (xb, yb) in zip(first, again):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(first, second))
    xs = np.concatenate([x for x, _ in first])
    assert xs.dtype == np.float32 and 0.0 <= xs.min() and xs.max() <= 1.0
    assert not np.allclose(np.sort(xs.ravel()), np.sort(images.astype(np.float32).ravel() / 255))


# ---------------------------------------------------------------------------------------------
# A one-epoch run
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_epoch_on_a_folder_reports_the_validation_accuracy_of_its_model(tmp_path):

    write_shapes(tmp_path, 12)
    data = load_image_folder(tmp_path, image_size=(48, 48), validation_split=0.25)
    log = TrainingLog()
    result = train(
        lambda: build_cats_dogs_convnet(dropout=0.5, input_shape=(48, 48, 3)),
        (data.x_train, data.y_train),
        (data.x_val, data.y_val),
        augmentation=SEED_TRAINING,
        epochs=1,
        batch_size=6,
        optimizer="adam",
        progress=log,
        seed=0,
    )
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(result.history["loss"]) == 1 and not result.stopped
    assert log.snapshot().history["val_accuracy"] == result.history["val_accuracy"]
    # Independent check of labels and scaling on the validation side: predict by hand.
    proba = np.asarray(result.model(data.x_val.astype(np.float32) / 255, training=False))[:, 0]
    assert result.history["val_accuracy"][0] == pytest.approx(np.mean((proba >= 0.5) == data.y_val), abs=1e-6)
    eps = 1e-7
    p = np.clip(proba.astype(np.float64), eps, 1 - eps)
    bce = -np.mean(data.y_val * np.log(p) + (1 - data.y_val) * np.log(1 - p))
    assert result.history["val_loss"][0] == pytest.approx(bce, rel=1e-4)


def test_pictures_decoded_into_a_file_are_the_same_and_mapped_read_only(tmp_path):
    """The file holds exactly what decoding in memory gives; the server maps it read-only, resident only when read."""
    write_shapes(tmp_path / "shapes", 5)
    in_memory = load_image_folder(tmp_path / "shapes", image_size=(40, 40), validation_split=0.4)
    in_file = load_image_folder(tmp_path / "shapes", image_size=(40, 40), validation_split=0.4, out_dir=tmp_path)
    for name in ("x_train", "x_val"):
        array = getattr(in_file, name)
        np.testing.assert_array_equal(array, getattr(in_memory, name))
        assert not array.flags.writeable
    assert isinstance(in_file.x_train, np.memmap) and Path(in_file.x_train.filename) == tmp_path / "images.npy"
    assert np.load(tmp_path / "images.npy").shape == (10, 40, 40, 3)


@pytest.mark.slow
def test_a_folder_run_trains_in_a_worker_on_data_decoded_into_a_file_and_evaluates(tmp_path):

    write_shapes(tmp_path / "shapes", 6)
    data = load_image_folder(tmp_path / "shapes", image_size=(48, 48), validation_split=0.34, out_dir=tmp_path)
    assert (tmp_path / "images.npy").is_file()  # decoded straight into the file the worker maps
    validation = (data.x_val, data.y_val)
    run = TrainingRun(
        functools.partial(build_cats_dogs_convnet, input_shape=(48, 48, 3)),
        (data.x_train, data.y_train),
        validation,
        validation,
        class_names=data.class_names,
        augmentation=SEED_PREVIEW,
        settings=TrainingSettings(epochs=1, batch_size=4, optimizer="adam"),
    ).start()
    assert run.join(timeout=180), run.error
    assert run.error is None and run.snapshot().status == "finished"
    # The pictures travelled as the file they were decoded into; only the small label arrays were written.
    assert sorted(path.name for path in run.folder.iterdir()) == [
        "model.keras",
        "test_y.npy",
        "train_y.npy",
        "val_y.npy",
    ]
    assert run.evaluation.confusion.sum() == len(data.y_val)
    assert run.evaluation.accuracy == pytest.approx(run.result.history["val_accuracy"][-1], abs=1e-6)
    run.cleanup()


# ---------------------------------------------------------------------------------------------
# The download, without a network: file:// URLs
# ---------------------------------------------------------------------------------------------


def test_download_caches_and_unpacks_then_reuses_the_cache(tmp_path):
    source = make_zip(
        tmp_path / "source.zip",
        shapes_members("cats_and_dogs_filtered/train/")
        | shapes_members("cats_and_dogs_filtered/validation/", 2)
        | {"cats_and_dogs_filtered/vectorize.py": b"print()"},
    )
    progress = []
    root = download_cats_and_dogs(
        tmp_path / "cache", origin=source.as_uri(), progress=lambda done, total: progress.append((done, total))
    )
    assert root == tmp_path / "cache" / "datasets" / "cats_and_dogs_filtered_extracted" / "cats_and_dogs_filtered"
    assert scan_image_folder(root).class_names == ("circles", "squares")
    assert all(total == CATS_DOGS_BYTES for _, total in progress)
    source.unlink()  # the second call must not need the source any more
    assert download_cats_and_dogs(tmp_path / "cache", origin=source.as_uri()) == root


def test_offline_download_says_so(tmp_path):
    with pytest.raises(DownloadError, match="needs an internet connection") as refused:
        download_cats_and_dogs(tmp_path / "cache", origin=(tmp_path / "missing.zip").as_uri())
    assert not (tmp_path / "cache" / "datasets" / CATS_DOGS_FILE).exists()
    # A LabError with its template now, and still the OSError it always was.
    assert isinstance(refused.value, OSError) and refused.value.template.startswith("Could not download")
    korean = refused.value.message("ko")  # the Korean catalog's sentence, the same reason filled in
    assert korean != str(refused.value) and "인터넷 연결" in korean and "missing.zip" in korean


def test_a_damaged_download_is_not_kept_in_the_cache(tmp_path):
    source = tmp_path / "source.zip"
    source.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DownloadError, match="incomplete or damaged"):
        download_cats_and_dogs(tmp_path / "cache", origin=source.as_uri())
    assert not (tmp_path / "cache" / "datasets" / CATS_DOGS_FILE).exists()


def test_importing_folders_and_augment_stays_light():
    probe = (
        "import sys, cnn_core.data.folders, cnn_core.data.zips, cnn_core.vision.augment, cnn_core.data.mnist; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit', 'cv2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_seed_model_for_folders_and_its_softmax_head():

    # The seed's model.summary(): 896 + 18,496 + 73,856 + 147,584 + (6,272 + 1) * 512 + 513.
    assert build_cats_dogs_convnet(dropout=0.5).count_params() == 3_453_121
    three = build_cats_dogs_convnet(num_classes=3)
    assert three.output_shape == (None, 3) and three.layers[-1].activation.__name__ == "softmax"


def test_decoding_keeps_only_a_few_pictures_ahead_of_the_writer(monkeypatch):
    """A slow writer (a busy server) does not let decoded pictures pile up: at most IN_FLIGHT per
    decoding thread are decoded ahead of the one being written."""
    import threading
    import time

    from cnn_core.data import folders

    decoded, lock = [], threading.Lock()

    def fake_load(path, image_size):
        with lock:
            decoded.append(path)
        return np.zeros((*image_size, 3), np.uint8)

    monkeypatch.setattr(folders, "load_image_file", fake_load)
    paths = [f"picture_{i}.png" for i in range(200)]
    pictures = folders._decoded(paths, (4, 4), None)
    ahead = min(4, os.cpu_count() or 1) * folders.IN_FLIGHT
    for written in range(1, 6):
        next(pictures)
        time.sleep(0.05)  # the threads have every chance to run ahead
        assert written <= len(decoded) <= written + ahead
    assert len(list(pictures)) == 195 and sorted(decoded) == sorted(paths)
