"""A safe zip import: every member checked before a byte is written, images checked by their header."""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cnn_core.data.errors import DatasetError
from cnn_core.data.folders import find_dataset_root, is_image_name

# Caps for an uploaded archive: what a visitor may make the server unpack and decode.
MAX_ZIP_BYTES = 1024 * 1024 * 1024  # total uncompressed size
MAX_ZIP_FILES = 20_000
MAX_IMAGE_PIXELS = 16_000_000  # per image, read from the header before anything is decoded


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
