"""Image-folder data sets: class folders and their splits, decoded into uint8 arrays.

A data set is a folder of class folders (``cats/``, ``dogs/``), either split already into
``train/`` and ``validation/`` (as the seed's ``cats_and_dogs_small`` and TensorFlow's
``cats_and_dogs_filtered``) or in one piece that is split here by a fraction. Images are decoded
once, resized to the model's input (150x150, as the seed's ``target_size``) and kept as uint8;
the training pipeline (``cnn_core.learning.pipeline``) augments and scales them per batch.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from cnn_core.data import paths
from cnn_core.data.errors import DatasetError
from cnn_core.i18n import N_, translate

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm")
VALIDATION_NAMES = ("validation", "val", "valid", "test")


# At 150x150x3 bytes each, 4,000 decoded images take 270 MB.
MAX_IMAGES = 4_000
IMAGE_SIZE = (150, 150)
# Per picture of a data set (zip member or folder file), read from its header before it is decoded.
MAX_IMAGE_PIXELS = 16_000_000
IN_FLIGHT = 2  # pictures decoded ahead per decoding thread: enough to keep the threads busy, no pile


def is_image_name(name: str) -> bool:
    """True for a file name with an image extension that is not a hidden or macOS resource file.

    >>> [is_image_name(n) for n in ("cats/1.JPG", "cats/._1.jpg", "__MACOSX/cats/1.jpg", "notes.txt")]
    [True, False, False, False]
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or "__MACOSX" in parts or any(part.startswith(".") for part in parts):
        return False
    return parts[-1].lower().endswith(IMAGE_EXTENSIONS)


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
    validation: str | float = ""  # the validation folder's name, or the share split off


def find_dataset_root(folder, within: Path | None = None) -> Path:
    """Go down through wrapper folders (one subfolder and no images) to the data set's root.

    A zip of ``cats_and_dogs_filtered/train/cats/...`` has its root at ``cats_and_dogs_filtered``.
    A lone subfolder that holds only images is a class folder, so the search stops above it.
    """
    folder = Path(folder)
    while True:
        subdirs = _subdirs(folder, within)
        if len(subdirs) != 1 or _image_files(folder, False, within) or not _subdirs(subdirs[0], within):
            return folder
        folder = subdirs[0]


def scan_image_folder(
    root,
    validation_split: float = 0.2,
    seed: int = 0,
    max_per_class: int | None = None,
    within: Path | None = None,
) -> FolderScan:
    """List a data set's images by class: ``train/`` + ``validation/`` folders, or one split here.

    Class names are the sorted folder names (as Keras's ``flow_from_directory``), labels their
    indices. Without ready splits each class is shuffled with ``seed`` and its last
    ``validation_split`` share held out. ``max_per_class`` keeps the first N files (sorted) of a
    class in each split. Linked folders below a class folder are not entered; with ``within``
    (the folder-path source's root), only folders and files whose real location is inside it
    count (``cnn_core.data.paths.confined``). Raises ``DatasetError`` for fewer than two classes
    or an empty class.
    """
    if not Path(root).is_dir():
        raise DatasetError(N_("{folder!r} is not a folder."), folder=str(root))
    root = find_dataset_root(root, within)
    train_dir, val_dir = _split_dirs(root, within)
    if train_dir is not None:
        names = _class_names(train_dir, within)
        val_names = _class_names(val_dir, within)
        if val_names != names:
            raise DatasetError(
                N_("train/ has the classes {train} but {validation}/ has {other}; they must match."),
                train=list(names),
                validation=val_dir.name,
                other=list(val_names),
            )
        train_files, train_labels = _class_files(train_dir, names, max_per_class, within)
        val_files, val_labels = _class_files(val_dir, names, max_per_class, within)
        layout = f"train/ and {val_dir.name}/ folders"
        skipped = _count_non_images(train_dir, within) + _count_non_images(val_dir, within)
    else:
        if not 0.0 < validation_split < 1.0:
            raise DatasetError(N_("validation_split must be between 0 and 1, got {value!r}"), value=validation_split)
        names = _class_names(root, within)
        files, labels = _class_files(root, names, None, within)
        train_idx, val_idx = split_by_class(np.asarray(labels), validation_split, seed, max_per_class)
        train_files, train_labels = [files[i] for i in train_idx], [labels[i] for i in train_idx]
        val_files, val_labels = [files[i] for i in val_idx], [labels[i] for i in val_idx]
        layout = f"split {validation_split:.0%} for validation"
        skipped = _count_non_images(root, within)
    total = len(train_files) + len(val_files)
    if total > MAX_IMAGES:
        raise DatasetError(
            N_(
                "The data set holds {total:,} images; the most one session may load is {cap:,}. Lower the images per class."
            ),
            total=total,
            cap=MAX_IMAGES,
        )
    return FolderScan(
        root,
        names,
        tuple(train_files),
        tuple(train_labels),
        tuple(val_files),
        tuple(val_labels),
        layout,
        skipped,
        val_dir.name if train_dir is not None else float(validation_split),
    )


def split_by_class(
    labels: np.ndarray, validation_split: float, seed: int = 0, max_per_class: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
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
            raise DatasetError(
                N_("class {label} has {count} image(s); it needs 2 to split."), label=int(label), count=len(members)
            )
        n_val = min(max(1, round(len(members) * validation_split)), len(members) - 1)
        train.append(members[:-n_val])
        val.append(members[-n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def _split_dirs(root: Path, within: Path | None) -> tuple[Path | None, Path | None]:
    by_name = {d.name.lower(): d for d in _subdirs(root, within)}
    if "train" not in by_name:
        return None, None
    for name in VALIDATION_NAMES:
        if name in by_name:
            return by_name["train"], by_name[name]
    raise DatasetError(
        N_(
            "There is a train/ folder but no validation/ (or val/, test/) folder beside it. Add one, "
            "or put the class folders at the top level to have them split by a fraction."
        )
    )


def _class_names(folder: Path, within: Path | None) -> tuple[str, ...]:
    names = tuple(sorted(d.name for d in _subdirs(folder, within)))
    if len(names) == 1:
        raise DatasetError(
            N_(
                "A classifier needs at least two class folders in {folder}/ (one folder per class, such as "
                "cats/ and dogs/); found only {name!r}."
            ),
            folder=folder.name or str(folder),
            name=names[0],
        )
    if not names:
        raise DatasetError(
            N_(
                "A classifier needs at least two class folders in {folder}/ (one folder per class, such as "
                "cats/ and dogs/); found none."
            ),
            folder=folder.name or str(folder),
        )
    return names


def _class_files(folder: Path, names: tuple[str, ...], max_per_class: int | None, within: Path | None):
    files, labels = [], []
    for label, name in enumerate(names):
        found = _image_files(folder / name, True, within)
        if not found:
            raise DatasetError(N_("The class folder {folder}/{name}/ holds no images."), folder=folder.name, name=name)
        found = found[:max_per_class] if max_per_class is not None else found
        files += found
        labels += [label] * len(found)
    return files, labels


def _entries(folder: Path) -> list[Path]:
    """The folder's entries, sorted; a folder that cannot be listed is a message, not a traceback."""
    try:
        with os.scandir(folder) as entries:
            return sorted(folder / entry.name for entry in entries)
    except OSError as exc:
        raise _unreadable(folder, exc) from exc


def _unreadable(folder: Path, exc: OSError) -> DatasetError:
    name = Path(exc.filename).name if exc.filename else folder.name
    return DatasetError(
        N_("The folder {folder!r} could not be read: {reason}"), folder=name, reason=exc.strerror or str(exc)
    )


def _raise(exc: OSError) -> None:
    raise exc


def _allowed(path: Path, within: Path | None) -> bool:
    return within is None or paths.confined(path, within)


def _subdirs(folder: Path, within: Path | None) -> list[Path]:
    return [
        d
        for d in _entries(folder)
        if d.is_dir() and not d.name.startswith(".") and d.name != "__MACOSX" and _allowed(d, within)
    ]


def _files(folder: Path, recursive: bool, within: Path | None) -> list[Path]:
    """Files in ``folder``, or below it (linked folders are not entered, as ``rglob``), sorted."""
    if recursive:
        try:
            found = [Path(top) / name for top, _, names in os.walk(folder, onerror=_raise) for name in names]
        except OSError as exc:
            raise _unreadable(folder, exc) from exc
    else:
        found = _entries(folder)
    return sorted(p for p in found if p.is_file() and _allowed(p, within))


def _image_files(folder: Path, recursive: bool, within: Path | None) -> list[Path]:
    return [p for p in _files(folder, recursive, within) if is_image_name(p.relative_to(folder).as_posix())]


def _count_non_images(folder: Path, within: Path | None) -> int:
    return sum(not is_image_name(p.relative_to(folder).as_posix()) for p in _files(folder, True, within))


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
    name: str = ""  # the data set's own name (the folder, or the uploaded zip), for ``describe``
    layout: str = ""  # "train/ and validation/ folders" or "split 20% for validation", as in ``source``
    validation: str | float = ""  # the validation folder's name, or the share split off for validation

    def describe(self, language: str = "en") -> str:
        """The name and how training and validation were split, in ``language`` (``source`` is English)."""
        if not self.name:
            return self.source
        if isinstance(self.validation, float):
            share = f"{self.validation:.0%}"
            return translate(N_("{name} (split {share} for validation)"), language, name=self.name, share=share)
        return translate(N_("{name} (train/ and {folder}/ folders)"), language, name=self.name, folder=self.validation)

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
        return {
            name: (int(np.sum(self.y_train == i)), int(np.sum(self.y_val == i)))
            for i, name in enumerate(self.class_names)
        }


def load_image_file(path, image_size: tuple[int, int] = IMAGE_SIZE) -> np.ndarray:
    """Decode one image file to uint8 (H, W, 3) at ``image_size``, squashed like Keras's ``load_img``."""
    from cnn_core.vision import images

    try:
        # Decoding at up to twice the target size lets big JPEGs decode at a reduced scale.
        array = images.load_image(Path(path), mode="RGB", max_side=2 * max(image_size), max_pixels=MAX_IMAGE_PIXELS)
    except images.ImageError as exc:
        raise DatasetError(N_("{name!r} could not be read: {reason}"), name=Path(path).name, reason=exc) from exc
    return images.resize(array, image_size)


def load_images(
    paths,
    image_size: tuple[int, int] = IMAGE_SIZE,
    progress: Callable[[int, int], None] | None = None,
    out_file: Path | None = None,
) -> np.ndarray:
    """Decode files into one uint8 array (N, H, W, 3); ``progress(done, total)`` as they finish.

    With ``out_file`` the array is a memory-mapped ``.npy`` written there: training workers then
    read the decoded pictures from the file instead of getting a copy.
    """
    paths = list(paths)
    shape = (len(paths), *image_size, 3)
    if out_file is None or not paths:  # (an empty file cannot be mapped)
        out = np.empty(shape, np.uint8)
        for i, array in enumerate(_decoded(paths, image_size, progress)):
            out[i] = array
        return out
    # Written with plain writes, not through a shared mapping: pages written through a mapping
    # count in this process's memory while it lives, 270 MB for 4,000 pictures of 150x150. The
    # file is then mapped read-only, and only the pages read (a preview, a batch) are resident.
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False, "shape": shape}
    with open(out_file, "wb") as file:
        np.lib.format.write_array_header_1_0(file, header)
        for array in _decoded(paths, image_size, progress):
            file.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return np.load(out_file, mmap_mode="r")


def _decoded(paths: list, image_size: tuple[int, int], progress):
    """Each file decoded to (H, W, 3) uint8, in order; PIL and OpenCV release the GIL, so a few threads help.

    At most ``IN_FLIGHT`` pictures per worker thread are decoded ahead of the one being written:
    ``Executor.map`` would submit every file at once and keep each decoded picture until it is
    consumed, so a writer slowed by a class's page runs let finished pictures pile up in memory.
    """
    if not paths:
        return
    workers = min(4, os.cpu_count() or 1)
    ahead = deque()
    with ThreadPoolExecutor(workers) as pool:
        for i in range(len(paths)):
            while len(ahead) < workers * IN_FLIGHT and i + len(ahead) < len(paths):
                ahead.append(pool.submit(load_image_file, paths[i + len(ahead)], image_size))
            yield ahead.popleft().result()
            if progress is not None and (i % 50 == 0 or i == len(paths) - 1):
                progress(i + 1, len(paths))


def load_image_folder(
    root,
    image_size: tuple[int, int] = IMAGE_SIZE,
    validation_split: float = 0.2,
    max_per_class: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    out_dir: Path | None = None,
    within: Path | None = None,
) -> ImageFolderData:
    """Scan and decode a data set folder (see ``scan_image_folder``, and ``within``) into ``ImageFolderData``.

    With ``out_dir`` the pictures are decoded into a memory-mapped ``images.npy`` there.
    """
    scan = scan_image_folder(root, validation_split, seed, max_per_class, within)
    files = scan.train_files + scan.val_files
    out_file = None if out_dir is None else Path(out_dir) / "images.npy"
    pixels = load_images(files, image_size, progress, out_file)
    n_train = len(scan.train_files)
    return ImageFolderData(
        class_names=scan.class_names,
        x_train=pixels[:n_train],
        y_train=np.asarray(scan.train_labels, np.int32),
        x_val=pixels[n_train:],
        y_val=np.asarray(scan.val_labels, np.int32),
        source=f"{scan.root.name or scan.root} ({scan.layout})",
        skipped=scan.skipped,
        name=str(scan.root.name or scan.root),
        layout=scan.layout,
        validation=scan.validation,
    )
