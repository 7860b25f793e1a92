"""The bundled MNIST arrays, and views of them: a subset and a validation split (no copies).

The server and its training workers share one copy: ``load_mnist(mapped=True)`` maps ``.npy``
files made once from the bundled ``.npz`` (which cannot be memory-mapped), so every process
reads the same pages and a worker gets its data by file name and row range.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.ops.checks import is_int

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MNIST_PATH = DATA_DIR / "mnist.npz"


CACHE_ENV = "CNN_LAB_CACHE"
KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_mnist(path: str | Path = MNIST_PATH, mapped: bool = False):
    """Load MNIST from the bundled file, offline.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,), the same arrays as ``keras.datasets.mnist.load_data()``.
    The images stay uint8 (47 MB); scale them per batch, since a float32 copy costs 190 MB.
    ``mapped`` gives read-only memory-mapped arrays of a ``.npy`` cache instead (see above).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file not found at {path}; it ships in the repo's data/ folder")
    if mapped:
        files = _npy_cache(path)
        x_train, y_train, x_test, y_test = (np.load(files[key], mmap_mode="r") for key in KEYS)
        return (x_train, y_train), (x_test, y_test)
    with np.load(path) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def cache_dir() -> Path:
    """Where derived files go: ``CNN_LAB_CACHE``, else a folder in the system's temporary directory."""
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "cnn_lab_cache")


def _npy_cache(path: Path) -> dict[str, Path]:
    """The ``.npy`` copies of the ``.npz`` members, written once (atomically, so racing is harmless)."""
    folder = cache_dir() / f"mnist_{path.stat().st_size}_{int(path.stat().st_mtime)}"
    files = {key: folder / f"{key}.npy" for key in KEYS}
    if all(file.is_file() for file in files.values()):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    with np.load(path) as data:
        for key, file in files.items():
            partial = file.with_name(f"{file.name}.{os.getpid()}.part")
            with open(partial, "wb") as out:
                np.save(out, data[key])
            os.replace(partial, file)
    return files


def subset(images: np.ndarray, labels: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``size`` examples (views, no copy); raises ``ValueError`` for 0 or too many.

    >>> x, y = subset(np.zeros((5, 2, 2), np.uint8), np.arange(5), 3)
    >>> x.shape, y.tolist()
    ((3, 2, 2), [0, 1, 2])
    """
    if not is_int(size) or not 1 <= size <= len(images):
        raise LabError(
            N_("subset size must be an int from 1 to {maximum}, got {value!r}"), maximum=len(images), value=size
        )
    return images[:size], labels[:size]


def split_validation(images: np.ndarray, labels: np.ndarray, fraction: float = 0.1):
    """Hold out the last ``fraction`` of the examples for validation: ((x, y), (x_val, y_val)).

    Both parts are views. At least one example stays on each side.

    >>> (x, y), (xv, yv) = split_validation(np.zeros((10, 2, 2)), np.arange(10), 0.2)
    >>> y.tolist(), yv.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if not 0.0 < fraction < 1.0:
        raise LabError(N_("validation fraction must be in (0, 1), got {value!r}"), value=fraction)
    if len(images) < 2:
        raise LabError(N_("need at least 2 examples to hold some out for validation, got {count}"), count=len(images))
    n_val = min(max(1, round(len(images) * fraction)), len(images) - 1)
    cut = len(images) - n_val
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])
