"""The cats-and-dogs download: TensorFlow's ``cats_and_dogs_filtered``, fetched once and cached."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from cnn_core.data.errors import DatasetError, DownloadError
from cnn_core.data.folders import find_dataset_root
from cnn_core.data.zips import extract_image_zip
from cnn_core.i18n import N_

CATS_DOGS_URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
CATS_DOGS_FILE = "cats_and_dogs_filtered.zip"
CATS_DOGS_BYTES = 68_606_236


def download_cats_and_dogs(
    cache_dir=None, origin: str | None = None, progress: Callable[[int, int], None] | None = None
) -> Path:
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
            N_(
                "Could not download the cats-and-dogs archive from {origin} ({reason}). "
                "This needs an internet connection; without one, upload a zip of class folders instead."
            ),
            origin=origin,
            reason=str(reason),
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
            raise DownloadError(
                N_("The downloaded archive is incomplete or damaged ({reason}); try again."), reason=exc
            ) from exc
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
