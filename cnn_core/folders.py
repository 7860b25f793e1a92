"""Image-folder data sets: a safe zip import, class folders and their splits, and the input pipeline.

A data set is a folder of class folders (``cats/``, ``dogs/``), either split already into
``train/`` and ``validation/`` (as the seed's ``cats_and_dogs_small`` and TensorFlow's
``cats_and_dogs_filtered``) or in one piece that is split here by a fraction. Images are decoded
once, resized to the model's input (150x150, as the seed's ``target_size``) and kept as uint8;
``augmented_dataset`` streams them through ``cnn_core.augment`` exactly as the preview page shows,
then scales them to [0, 1] for the model.

Nothing here imports TensorFlow, Keras or PIL until a function needs them.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np

from cnn_core import training

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm")
VALIDATION_NAMES = ("validation", "val", "valid", "test")
# Caps for an uploaded archive: what a visitor may make the server unpack and decode.
MAX_ZIP_BYTES = 1024 * 1024 * 1024  # total uncompressed size
MAX_ZIP_FILES = 20_000
MAX_IMAGE_PIXELS = 16_000_000  # per image, read from the header before anything is decoded
# At 150x150x3 bytes each, 4,000 decoded images take 270 MB.
MAX_IMAGES = 4_000
IMAGE_SIZE = (150, 150)

CATS_DOGS_URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
CATS_DOGS_FILE = "cats_and_dogs_filtered.zip"
CATS_DOGS_BYTES = 68_606_236


class DatasetError(ValueError):
    """A data set that cannot be used: unsafe or oversized archive, missing classes, bad images."""


class DownloadError(OSError):
    """The cats-and-dogs archive could not be downloaded (offline, or the server refused)."""


# ---------------------------------------------------------------------------------------------
# A safe zip import
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipReport:
    """What ``extract_image_zip`` did: where the images went, how many, what it skipped."""

    root: Path
    images: int
    skipped: int  # files that are not images (README, .DS_Store, __MACOSX/...), left out
    total_bytes: int


def unsafe_member(name: str) -> bool:
    """True for a zip member that could land outside the folder: absolute or with a ``..`` part.

    >>> [unsafe_member(n) for n in ("a/b.png", "/etc/x.png", "a/../../x.png", "C:/x.png", "a\\\\..\\\\x")]
    [False, True, True, True, True]
    """
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[\\/]", name)


def is_image_name(name: str) -> bool:
    """True for a file name with an image extension that is not a hidden or macOS resource file.

    >>> [is_image_name(n) for n in ("cats/1.JPG", "cats/._1.jpg", "__MACOSX/cats/1.jpg", "notes.txt")]
    [True, False, False, False]
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or "__MACOSX" in parts or any(part.startswith(".") for part in parts):
        return False
    return parts[-1].lower().endswith(IMAGE_EXTENSIONS)


def extract_image_zip(
    zip_path,
    dest,
    max_total_bytes: int = MAX_ZIP_BYTES,
    max_files: int = MAX_ZIP_FILES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> ZipReport:
    """Unpack the images of a zip of class folders into ``dest``, refusing anything unsafe.

    Every member is checked before a byte is written: an absolute path or a ``..`` component
    raises ``DatasetError`` (a ``ValueError``) naming the member, as do more than ``max_files``
    files or more than ``max_total_bytes`` uncompressed. Each image's size is read from its header
    before it is written, and one above ``max_pixels`` or one that is not an image is refused.
    Files that are not images are skipped and counted. Returns where the data set's root is.
    """
    dest = Path(dest)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"This file is not a zip archive ({exc}). Upload a .zip of class folders.") from exc
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        for info in archive.infolist():
            if unsafe_member(info.filename):
                raise DatasetError(
                    f"The archive member {info.filename!r} has an absolute path or a '..' part, which "
                    "could write outside the data folder; the archive is refused."
                )
        if len(members) > max_files:
            raise DatasetError(f"The archive holds {len(members):,} files; the most allowed is {max_files:,}.")
        total = sum(info.file_size for info in members)
        if total > max_total_bytes:
            raise DatasetError(
                f"The archive unpacks to {total / 1e6:,.0f} MB; the most allowed is {max_total_bytes / 1e6:,.0f} MB."
            )
        images = [info for info in members if is_image_name(info.filename) and not _is_symlink(info)]
        dest.mkdir(parents=True, exist_ok=True)
        # Folders are made even for skipped files, so a class folder without images is reported as such.
        for info in archive.infolist():
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            folder_parts = parts if info.is_dir() else parts[:-1]
            if folder_parts and not any(p.startswith(".") or p == "__MACOSX" for p in folder_parts):
                dest.joinpath(*folder_parts).mkdir(parents=True, exist_ok=True)
        for info in images:
            target = dest.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
            if not target.resolve().is_relative_to(dest.resolve()):  # Belt and braces after unsafe_member.
                raise DatasetError(f"The archive member {info.filename!r} points outside the data folder.")
            target.parent.mkdir(parents=True, exist_ok=True)
            _extract_image(archive, info, target, max_pixels)
    if not images:
        raise DatasetError("The archive holds no images (PNG, JPEG, BMP, GIF, WebP or TIFF).")
    return ZipReport(find_dataset_root(dest), len(images), len(members) - len(images), total)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _extract_image(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, max_pixels: int) -> None:
    """Check one image member's header (nothing decoded), then stream it to ``target``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with archive.open(info) as stream:
            try:
                with Image.open(stream) as image:  # Reads the header only.
                    width, height = image.size
            except Image.DecompressionBombError as exc:
                raise DatasetError(f"{info.filename!r} is refused as a decompression bomb: {exc}") from exc
            except (UnidentifiedImageError, SyntaxError, ValueError) as exc:
                raise DatasetError(f"{info.filename!r} is not a readable image: {exc}") from exc
            if width * height > max_pixels:
                raise DatasetError(
                    f"{info.filename!r} is {width}x{height} pixels ({width * height / 1e6:.1f} MP); "
                    f"images above {max_pixels / 1e6:.1f} MP are refused."
                )
            stream.seek(0)
            with open(target, "wb") as out:
                shutil.copyfileobj(stream, out)
    except RuntimeError as exc:  # zipfile's error for encrypted members
        raise DatasetError(f"The archive member {info.filename!r} is encrypted; upload a plain zip.") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DatasetError(f"The archive member {info.filename!r} is damaged or unreadable: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# Class folders and splits
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderScan:
    """The files of a data set by class and split, before anything is decoded."""

    root: Path
    class_names: tuple[str, ...]
    train_files: tuple[Path, ...]
    train_labels: tuple[int, ...]
    val_files: tuple[Path, ...]
    val_labels: tuple[int, ...]
    layout: str  # "train/validation folders" or "split 20% for validation"
    skipped: int  # non-image files left out


def find_dataset_root(folder) -> Path:
    """Go down through wrapper folders (one subfolder and no images) to the data set's root.

    A zip of ``cats_and_dogs_filtered/train/cats/...`` has its root at ``cats_and_dogs_filtered``.
    A lone subfolder that holds only images is a class folder, so the search stops above it.
    """
    folder = Path(folder)
    while True:
        subdirs = _subdirs(folder)
        if len(subdirs) != 1 or _image_files(folder, recursive=False) or not _subdirs(subdirs[0]):
            return folder
        folder = subdirs[0]


def scan_image_folder(root, validation_split: float = 0.2, seed: int = 0, max_per_class: int | None = None) -> FolderScan:
    """List a data set's images by class: ``train/`` + ``validation/`` folders, or one split here.

    Class names are the sorted folder names (as Keras's ``flow_from_directory``), labels their
    indices. Without ready splits each class is shuffled with ``seed`` and its last
    ``validation_split`` share held out. ``max_per_class`` keeps the first N files (sorted) of a
    class in each split. Raises ``DatasetError`` for fewer than two classes or an empty class.
    """
    root = find_dataset_root(root)
    if not root.is_dir():
        raise DatasetError(f"{str(root)!r} is not a folder.")
    train_dir, val_dir = _split_dirs(root)
    if train_dir is not None:
        names = _class_names(train_dir)
        val_names = _class_names(val_dir)
        if val_names != names:
            raise DatasetError(
                f"train/ has the classes {list(names)} but {val_dir.name}/ has {list(val_names)}; they must match."
            )
        train_files, train_labels = _class_files(train_dir, names, max_per_class)
        val_files, val_labels = _class_files(val_dir, names, max_per_class)
        layout = f"train/ and {val_dir.name}/ folders"
        skipped = _count_non_images(train_dir) + _count_non_images(val_dir)
    else:
        if not 0.0 < validation_split < 1.0:
            raise DatasetError(f"validation_split must be between 0 and 1, got {validation_split!r}")
        names = _class_names(root)
        files, labels = _class_files(root, names, None)
        train_idx, val_idx = split_by_class(np.asarray(labels), validation_split, seed, max_per_class)
        train_files, train_labels = [files[i] for i in train_idx], [labels[i] for i in train_idx]
        val_files, val_labels = [files[i] for i in val_idx], [labels[i] for i in val_idx]
        layout = f"split {validation_split:.0%} for validation"
        skipped = _count_non_images(root)
    total = len(train_files) + len(val_files)
    if total > MAX_IMAGES:
        raise DatasetError(
            f"The data set holds {total:,} images; the most one session may load is {MAX_IMAGES:,}. "
            "Lower the images per class."
        )
    return FolderScan(root, names, tuple(train_files), tuple(train_labels), tuple(val_files),
                      tuple(val_labels), layout, skipped)


def split_by_class(labels: np.ndarray, validation_split: float, seed: int = 0,
                   max_per_class: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation): each class shuffled with ``seed``, its last share held out.

    Every class keeps at least one example on each side. With ``max_per_class`` each class is
    first cut to that many (after shuffling).

    >>> train, val = split_by_class(np.array([0, 0, 0, 0, 1, 1, 1, 1, 1]), 0.25)
    >>> len(train), len(val), sorted(np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])[val].tolist())
    (7, 2, [0, 1])
    """
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if max_per_class is not None:
            members = members[:max_per_class]
        if len(members) < 2:
            raise DatasetError(f"class {int(label)} has {len(members)} image(s); it needs 2 to split.")
        n_val = min(max(1, round(len(members) * validation_split)), len(members) - 1)
        train.append(members[:-n_val])
        val.append(members[-n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def _split_dirs(root: Path) -> tuple[Path | None, Path | None]:
    by_name = {d.name.lower(): d for d in _subdirs(root)}
    if "train" not in by_name:
        return None, None
    for name in VALIDATION_NAMES:
        if name in by_name:
            return by_name["train"], by_name[name]
    raise DatasetError(
        "There is a train/ folder but no validation/ (or val/, test/) folder beside it. Add one, "
        "or put the class folders at the top level to have them split by a fraction."
    )


def _class_names(folder: Path) -> tuple[str, ...]:
    names = tuple(sorted(d.name for d in _subdirs(folder)))
    where = "" if folder.name == "" else f" in {folder.name}/"
    if len(names) < 2:
        found = f"only {names[0]!r}" if names else "none"
        raise DatasetError(
            f"A classifier needs at least two class folders{where} (one folder per class, such as "
            f"cats/ and dogs/); found {found}."
        )
    return names


def _class_files(folder: Path, names: tuple[str, ...], max_per_class: int | None):
    files, labels = [], []
    for label, name in enumerate(names):
        found = _image_files(folder / name, recursive=True)
        if not found:
            raise DatasetError(f"The class folder {folder.name}/{name}/ holds no images.")
        found = found[:max_per_class] if max_per_class is not None else found
        files += found
        labels += [label] * len(found)
    return files, labels


def _subdirs(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name != "__MACOSX")


def _image_files(folder: Path, recursive: bool) -> list[Path]:
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in paths if p.is_file() and is_image_name(p.relative_to(folder).as_posix()))


def _count_non_images(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file() and not is_image_name(p.relative_to(folder).as_posix()))


# ---------------------------------------------------------------------------------------------
# Decoding into memory
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageFolderData:
    """A decoded data set: uint8 images (N, H, W, 3) and int labels for training and validation."""

    class_names: tuple[str, ...]
    x_train: np.ndarray  # (N, H, W, 3) uint8
    y_train: np.ndarray  # (N,) int32
    x_val: np.ndarray  # (M, H, W, 3) uint8
    y_val: np.ndarray  # (M,) int32
    source: str
    skipped: int = 0

    @property
    def num_classes(self) -> int:
        """How many classes."""
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of one image."""
        return tuple(self.x_train.shape[1:])

    def counts(self) -> dict[str, tuple[int, int]]:
        """Images per class: name -> (train, validation)."""
        return {name: (int(np.sum(self.y_train == i)), int(np.sum(self.y_val == i)))
                for i, name in enumerate(self.class_names)}


def load_image_file(path, image_size: tuple[int, int] = IMAGE_SIZE) -> np.ndarray:
    """Decode one image file to uint8 (H, W, 3) at ``image_size``, squashed like Keras's ``load_img``."""
    from cnn_core import images

    try:
        # Decoding at up to twice the target size lets big JPEGs decode at a reduced scale.
        array = images.load_image(Path(path), mode="RGB", max_side=2 * max(image_size))
    except (images.ImageError, OSError) as exc:
        raise DatasetError(f"{Path(path).name!r} could not be read: {exc}") from exc
    return images.resize(array, image_size)


def load_images(paths, image_size: tuple[int, int] = IMAGE_SIZE,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Decode files into one uint8 array (N, H, W, 3); ``progress(done, total)`` as they finish."""
    paths = list(paths)
    out = np.empty((len(paths), *image_size, 3), np.uint8)
    if not paths:
        return out
    # PIL and OpenCV release the GIL while decoding and resizing, so a few threads help.
    workers = min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        for i, array in enumerate(pool.map(lambda p: load_image_file(p, image_size), paths)):
            out[i] = array
            if progress is not None and (i % 50 == 0 or i == len(paths) - 1):
                progress(i + 1, len(paths))
    return out


def load_image_folder(root, image_size: tuple[int, int] = IMAGE_SIZE, validation_split: float = 0.2,
                      max_per_class: int | None = None, seed: int = 0,
                      progress: Callable[[int, int], None] | None = None) -> ImageFolderData:
    """Scan and decode a data set folder (see ``scan_image_folder``) into ``ImageFolderData``."""
    scan = scan_image_folder(root, validation_split, seed, max_per_class)
    files = scan.train_files + scan.val_files
    pixels = load_images(files, image_size, progress)
    n_train = len(scan.train_files)
    return ImageFolderData(
        class_names=scan.class_names,
        x_train=pixels[:n_train],
        y_train=np.asarray(scan.train_labels, np.int32),
        x_val=pixels[n_train:],
        y_val=np.asarray(scan.val_labels, np.int32),
        source=f"{scan.root.name or scan.root} ({scan.layout})",
        skipped=scan.skipped,
    )


# ---------------------------------------------------------------------------------------------
# The cats-and-dogs download
# ---------------------------------------------------------------------------------------------


def download_cats_and_dogs(cache_dir=None, origin: str | None = None,
                           progress: Callable[[int, int], None] | None = None) -> Path:
    """Fetch TensorFlow's ``cats_and_dogs_filtered`` (68.6 MB) through ``keras.utils.get_file``.

    ``origin`` defaults to ``CATS_DOGS_URL``. The archive is cached (in ``~/.keras/datasets``, or
    ``$KERAS_HOME/datasets``, unless ``cache_dir`` says otherwise) and
    unpacked once, with ``extract_image_zip``'s checks, next to it. ``progress(bytes, total)`` is
    called while it downloads. Returns the data set's root (with train/ and validation/). Raises
    ``DownloadError`` with a readable message when offline or when the server refuses.
    """
    import keras

    origin = origin or CATS_DOGS_URL
    result: dict = {}
    base = cache_folder(cache_dir)
    target = base / "datasets" / CATS_DOGS_FILE  # Where get_file writes, growing as it downloads.

    def fetch():
        try:
            result["path"] = keras.utils.get_file(CATS_DOGS_FILE, origin=origin, cache_dir=str(base))
        except BaseException as exc:  # Reported to the caller's thread below.
            result["error"] = exc

    worker = threading.Thread(target=fetch, name="cats-and-dogs-download", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        if progress is not None:
            progress(target.stat().st_size if target.exists() else 0, CATS_DOGS_BYTES)
    if "error" in result:
        error = result["error"]
        # get_file wraps urllib's URLError in a bare Exception; its reason is the readable part.
        reason = getattr(error.__context__, "reason", None) or error
        raise DownloadError(
            f"Could not download the cats-and-dogs archive from {origin} ({reason}). "
            "This needs an internet connection; without one, upload a zip of class folders instead."
        ) from error
    archive = Path(result["path"])
    folder = archive.with_name("cats_and_dogs_filtered_extracted")
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        try:
            extract_image_zip(archive, folder)
        except DatasetError as exc:
            archive.unlink(missing_ok=True)  # A broken download must not stay in the cache.
            raise DownloadError(f"The downloaded archive is incomplete or damaged ({exc}); try again.") from exc
        marker.write_text("ok")
    return find_dataset_root(folder)


def cache_folder(cache_dir=None) -> Path:
    """The folder given to ``keras.utils.get_file``: ``cache_dir``, else $KERAS_HOME or ~/.keras.

    It is created here, so that get_file uses it rather than falling back to /tmp/.keras.
    """
    base = Path(os.path.expanduser(cache_dir or os.environ.get("KERAS_HOME", "~/.keras")))
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path("/tmp/.keras")
        base.mkdir(parents=True, exist_ok=True)
    return base


# ---------------------------------------------------------------------------------------------
# The input pipeline
# ---------------------------------------------------------------------------------------------


def augment_batch(images: np.ndarray, settings, seed: int) -> np.ndarray:
    """Augment a uint8 batch (B, H, W, C) as the preview does and scale it: float32 in [0, 1].

    Each image gets its own draw from ``np.random.default_rng(seed)``, on 0-255 values (the Keras
    generator also augments before ``rescale=1./255``). ``settings`` None only scales.
    """
    from cnn_core.augment import augment_image

    batch = np.asarray(images).astype(np.float32)  # (B, H, W, C), 0-255
    if settings is not None and not settings.is_identity:
        rng = np.random.default_rng(seed)
        batch = np.stack([augment_image(image, settings, rng) for image in batch])
    return batch / np.float32(255.0)


def augmented_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, settings=None,
                      shuffle: bool = True, seed: int = 0):
    """A ``tf.data.Dataset`` of (float32 (B, H, W, C) in [0, 1], int32 (B,)) batches, prefetched.

    Indices are shuffled (a new order each epoch), each batch is gathered from one in-memory copy
    of the uint8 images and augmented by ``augment_batch`` in parallel map calls, and
    ``prefetch`` keeps batches ready while the model trains on the previous one. Each batch draws
    its transforms from its own seed, so a run is repeatable whatever the parallelism.
    """
    import tensorflow as tf

    images, labels = np.asarray(images), np.asarray(labels, np.int32)
    if images.ndim != 4 or len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"need images (N, H, W, C) and N labels, got {images.shape} and {labels.shape}")
    images_t, labels_t = tf.constant(images), tf.constant(labels)
    shape = (None, *images.shape[1:])

    def load(index, batch_seed):  # index: (B,) -> ((B, H, W, C) float32, (B,) int32)
        batch = tf.gather(images_t, index)
        x = tf.numpy_function(lambda b, s: augment_batch(b, settings, int(s)), [batch, batch_seed], tf.float32)
        x.set_shape(shape)
        return x, tf.gather(labels_t, index)

    order = tf.data.Dataset.range(len(images))
    if shuffle:
        order = order.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip(order.batch(batch_size), seeds)
    return dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------
# Training on a folder: the training lab's train(), with the augmented pipeline
# ---------------------------------------------------------------------------------------------


def train_folder(model, data: ImageFolderData, *, augmentation=None, epochs: int = 10, batch_size: int = 20,
                 optimizer: str = "adam", learning_rate: float = 1e-3, progress=None, stop=None,
                 seed: int = 0) -> training.TrainResult:
    """``training.train`` for an image folder: training batches go through ``augmented_dataset``.

    ``model`` is a Keras model or a function that builds one; ``augmentation`` an
    ``AugmentSettings`` or None. Validation batches are only scaled. The defaults are the seed's
    recipe (Adam 1e-3, batches of 20). Progress and the stop switch work as in ``training.train``.
    """
    import keras

    training.check_settings(epochs, batch_size, optimizer, learning_rate)
    if not isinstance(model, keras.Model):
        model = model()
    model.compile(optimizer=training.make_optimizer(optimizer, learning_rate), loss=training.loss_for(model),
                  metrics=["accuracy"])
    train_ds = augmented_dataset(data.x_train, data.y_train, batch_size, augmentation, shuffle=True, seed=seed)
    val_ds = augmented_dataset(data.x_val, data.y_val, max(batch_size, 64), None, shuffle=False)
    callbacks = []
    if progress is not None or stop is not None:
        callbacks.append(training.progress_callback(progress or training.TrainingLog(), stop))
    started = time.perf_counter()
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0, callbacks=callbacks,
                        shuffle=False)  # The pipeline shuffles.
    seconds = time.perf_counter() - started
    clean = {key: [float(v) for v in values] for key, values in history.history.items()}
    return training.TrainResult(model, clean, stop is not None and stop.is_set(), seconds)


class FolderTrainingRun(training.TrainingRun):
    """A ``training.TrainingRun`` (worker thread, training slot, live log, stop, evaluation) that
    trains with ``train_folder`` and evaluates on the validation images."""

    def __init__(self, model, data: ImageFolderData, *, augmentation=None, epochs: int = 10,
                 batch_size: int = 20, optimizer: str = "adam", learning_rate: float = 1e-3,
                 seed: int = 0, slots=None, name: str = "model"):
        validation = (data.x_val, data.y_val)
        super().__init__(model, (data.x_train, data.y_train), validation, validation,
                         num_classes=data.num_classes, epochs=epochs, batch_size=batch_size,
                         optimizer=optimizer, learning_rate=learning_rate, seed=seed, slots=slots, name=name)
        self.data = data
        self.augmentation = augmentation

    def _fit(self) -> training.TrainResult:
        """Train through the augmented image pipeline instead of the plain array one."""
        return train_folder(self._model, self.data, augmentation=self.augmentation,
                            progress=self.log, stop=self._stop, seed=self._seed, **self.settings)
