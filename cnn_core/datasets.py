"""Data sets: the bundled MNIST arrays, and (below) image-folder data sets from zips or folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MNIST_PATH = DATA_DIR / "mnist.npz"


def load_mnist(path: str | Path = MNIST_PATH):
    """Load MNIST from the bundled file, offline.

    Returns ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,), the same arrays as ``keras.datasets.mnist.load_data()``.
    The images stay uint8 (47 MB); scale them per batch, since a float32 copy costs 190 MB.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file not found at {path}; it ships in the repo's data/ folder")
    with np.load(path) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])

# Image-folder data sets (zips of class folders, the cats-and-dogs download) live in folders.py.
from cnn_core.folders import DatasetError, extract_image_zip, load_image_folder  # noqa: E402
