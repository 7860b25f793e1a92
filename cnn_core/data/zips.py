"""A safe zip import: the archive's own records checked in bounded memory before ``zipfile`` reads them.

1. ``check_zip`` reads the end record (zip64 too) and refuses too many entries at once, then walks
   the central directory one entry at a time (``cnn_core.data.zip_records``, names judged by
   ``cnn_core.data.zip_names``) and stops at the first problem: more entries than ``MAX_ZIP_FILES`` (folders count too), more declared bytes than
   ``MAX_ZIP_BYTES``, a name that is absolute or has a ``..`` part, is longer than the destination's
   filesystem allows, is flagged UTF-8 but is not, or holds a NUL; an image member that is encrypted
   or compressed with a method ``zipfile`` cannot read. Symbolic links are counted and never
   unpacked. Memory stays at about a megabyte whatever the archive claims.
2. Only then does ``zipfile`` open it (with the names' encoding the walk found), and
   ``extract_image_zip`` writes the image members, each checked by its header first (pixels and
   the memory decoding it would take, as ``cnn_core.vision.images`` judges every picture).

The sizes a member declares bound what it unpacks to: ``zipfile`` stops at the declared size and
raises on a CRC mismatch, so a lying size cannot unpack more than was checked.
"""

from __future__ import annotations

import contextlib
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from cnn_core.data import zip_names, zip_records
from cnn_core.data.errors import (
    DamagedZipError,
    DatasetError,
    EncryptedMemberError,
    ImageMemberError,
    NotAZipError,
    TooManyEntriesError,
    UnsafeMemberError,
    UnsupportedCompressionError,
    ZipTooLargeError,
)
from cnn_core.data.folders import MAX_IMAGE_PIXELS, find_dataset_root, is_image_name
from cnn_core.i18n import N_
from cnn_core.vision import images

# Caps for an uploaded archive: what a visitor may make the server read, unpack and decode (and
# MAX_IMAGE_PIXELS per picture, from cnn_core.data.folders, the same for a folder's files).
MAX_ZIP_BYTES = 1024 * 1024 * 1024  # total uncompressed size, as declared
MAX_ZIP_FILES = 20_000  # entries: files, folders and links together


@dataclass(frozen=True)
class ZipReport:
    """What ``extract_image_zip`` did: where the images went, how many, what it skipped."""

    root: Path
    images: int
    skipped: int  # files that are not images (README, .DS_Store, __MACOSX/..., links), left out
    total_bytes: int


@dataclass(frozen=True)
class ZipCheck:
    """An archive that passed ``check_zip``: its counts, and how ``zipfile`` should decode its names."""

    entries: int
    directories: int
    total_bytes: int
    metadata_encoding: str | None  # for zipfile.ZipFile(..., metadata_encoding=...); None: cp437


def supported_methods() -> frozenset[int]:
    """The compression methods this Python's ``zipfile`` reads: stored and Deflate, bzip2 and LZMA if built in."""
    methods = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
    for method, module in ((zipfile.ZIP_BZIP2, "bz2"), (zipfile.ZIP_LZMA, "lzma")):
        with contextlib.suppress(ImportError):
            __import__(module)
            methods.add(method)
    return frozenset(methods)


# ---------------------------------------------------------------------------------------------
# 1. The check, from the archive's own records
# ---------------------------------------------------------------------------------------------


def check_zip(fp: BinaryIO, dest, max_total_bytes: int = MAX_ZIP_BYTES, max_files: int = MAX_ZIP_FILES) -> ZipCheck:
    """Refuse an archive that could exhaust the server or fail while it is unpacked into ``dest``.

    Reads only the end records and the central directory, streamed, and stops at the first
    problem; never builds zipfile's member list. ``dest`` need not exist yet: its filesystem
    decides the name limits. Raises a ``DatasetError`` subclass, one per reason.
    """
    end = zip_records.read_end_record(fp)
    if end.entries > max_files:
        raise TooManyEntriesError(
            N_(
                "The archive holds {count:,} entries (files and folders together); the most allowed is {cap:,}. "
                "Zip fewer images, or only the class folders."
            ),
            count=end.entries,
            cap=max_files,
        )
    names, methods = zip_names.MemberNames(dest), supported_methods()
    entries = directories = total = 0
    for entry in zip_records.iter_entries(fp, end):
        entries += 1
        if entries > max_files:  # The end record lied about the count: the walk counts for itself.
            raise TooManyEntriesError(
                N_(
                    "The archive holds more than {cap:,} entries (files and folders together), more than its "
                    "end record declares; the most allowed is {cap:,}."
                ),
                cap=max_files,
            )
        name = names.decode(entry)
        directories += entry.is_dir
        total += entry.file_size
        if total > max_total_bytes:
            raise ZipTooLargeError(
                N_("The archive unpacks to more than {mb:,.0f} MB; the most allowed is {cap_mb:,.0f} MB."),
                mb=total / 1e6,
                cap_mb=max_total_bytes / 1e6,
            )
        if not entry.is_dir and not entry.is_symlink and is_image_name(name):
            _check_readable(entry, name, methods)
    return ZipCheck(entries, directories, total, names.encoding())


def _check_readable(entry: zip_records.Entry, name: str, methods: frozenset[int]) -> None:
    """Refuse an image member that needs a password, or a compression method zipfile lacks."""
    if entry.encrypted:
        raise EncryptedMemberError(
            N_("The archive member {member} is encrypted; upload a zip without a password."),
            member=zip_names.shown_name(name),
        )
    if entry.method not in methods:
        raise UnsupportedCompressionError(
            N_(
                "The archive member {member} is compressed with {method} (method {number}), which this server "
                "cannot unpack; re-create the zip with ordinary Deflate compression (the default of most tools)."
            ),
            member=zip_names.shown_name(name),
            method=zip_records.METHOD_NAMES.get(entry.method, "an unknown method"),
            number=entry.method,
        )


# ---------------------------------------------------------------------------------------------
# 2. Unpacking, with zipfile, once the records passed
# ---------------------------------------------------------------------------------------------


def extract_image_zip(
    zip_path,
    dest,
    max_total_bytes: int = MAX_ZIP_BYTES,
    max_files: int = MAX_ZIP_FILES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> ZipReport:
    """Unpack the images of a zip (a path or a binary file object) of class folders into ``dest``.

    ``check_zip`` runs first, so an archive that is unsafe, too large or unreadable is refused
    before a byte is written. Each image's header is then read before it is written: one above
    ``max_pixels``, one that would take more than ``cnn_core.vision.images.MAX_DECODED_BYTES`` to
    decode, or one that is not an image is refused, naming the member. Files that are not images
    are skipped and counted. Returns where the data set's root is.
    """
    dest = Path(dest)
    with _open_archive(zip_path) as fp:
        check = check_zip(fp, dest, max_total_bytes, max_files)
        try:
            archive = zipfile.ZipFile(fp, metadata_encoding=check.metadata_encoding)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise NotAZipError(
                N_("This file is not a zip archive ({reason}). Upload a .zip of class folders."), reason=str(exc)
            ) from exc
        with archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            images = [info for info in members if is_image_name(info.filename) and not _is_symlink(info)]
            _make_folders(archive, dest)
            for info in images:
                _extract_image(archive, info, _target(dest, info), max_pixels)
    if not images:
        raise DatasetError(N_("The archive holds no images (PNG, JPEG, BMP, GIF, WebP or TIFF)."))
    return ZipReport(find_dataset_root(dest), len(images), len(members) - len(images), check.total_bytes)


@contextlib.contextmanager
def _open_archive(zip_path):
    """A binary file object for a path (opened here, closed after) or for one already open."""
    if hasattr(zip_path, "read"):
        yield zip_path
        return
    try:
        fp = open(zip_path, "rb")
    except OSError as exc:
        raise NotAZipError(
            N_("This file is not a zip archive ({reason}). Upload a .zip of class folders."),
            reason=exc.strerror or str(exc),
        ) from exc
    with fp:
        yield fp


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    return PurePosixPath(info.filename.replace("\\", "/")).parts


def _make_folders(archive: zipfile.ZipFile, dest: Path) -> None:
    """Every folder of the archive, even of skipped files, so that a class without images says so."""
    dest.mkdir(parents=True, exist_ok=True)
    for info in archive.infolist():
        parts = _parts(info)
        folder_parts = parts if info.is_dir() else parts[:-1]
        if folder_parts and not any(p.startswith(".") or p == "__MACOSX" for p in folder_parts):
            try:
                dest.joinpath(*folder_parts).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DamagedZipError(
                    N_("The archive member {member} could not be unpacked: {reason}"),
                    member=zip_names.shown_name(info.filename),
                    reason=exc.strerror or str(exc),
                ) from exc


def _target(dest: Path, info: zipfile.ZipInfo) -> Path:
    """Where a member goes; belt and braces after ``check_zip``'s name checks."""
    target = dest.joinpath(*_parts(info))
    if not target.resolve().is_relative_to(dest.resolve()):
        raise UnsafeMemberError(
            N_("The archive member {member} points outside the data folder."),
            member=zip_names.shown_name(info.filename),
        )
    return target


def _extract_image(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, max_pixels: int) -> None:
    """Check one image member's header (nothing decoded), then stream it to ``target``."""
    member = zip_names.shown_name(info.filename)
    try:
        with archive.open(info) as stream:
            _check_image_header(stream, member, max_pixels)
            stream.seek(0)
            with open(target, "wb") as out:
                shutil.copyfileobj(stream, out)
    except (zipfile.BadZipFile, zlib.error, RuntimeError, OSError, EOFError) as exc:
        raise DamagedZipError(
            N_("The archive member {member} is damaged or unreadable: {reason}"), member=member, reason=str(exc)
        ) from exc


def _check_image_header(stream, member: str, max_pixels: int) -> None:
    """Refuse an image member by its header: unreadable, too many pixels, or too much memory to decode."""
    try:
        header = images.read_header(stream)
    except images.ImageTooLargeError as exc:  # Pillow's own decompression-bomb limit, at open
        raise ImageMemberError(
            N_("{member} is refused as a decompression bomb: {reason}"), member=member, reason=str(exc.__cause__)
        ) from exc
    except images.ImageError as exc:
        raise ImageMemberError(N_("{member} is not a readable image: {reason}"), member=member, reason=exc) from exc
    if header.pixels > max_pixels:
        raise ImageMemberError(
            N_("{member} is {width}x{height} pixels ({mp:.1f} MP); images above {cap:.1f} MP are refused."),
            member=member,
            width=header.width,
            height=header.height,
            mp=header.pixels / 1e6,
            cap=max_pixels / 1e6,
        )
    if header.working_bytes > images.MAX_DECODED_BYTES:
        raise ImageMemberError(
            N_(
                "{member} is {width}x{height} pixels ({format}, {per_pixel} bytes a pixel while decoding): decoding "
                "it would take {mb:,.0f} MB, and this server decodes at most {cap_mb:,.0f} MB per image. Save it "
                "smaller, or as a JPEG."
            ),
            member=member,
            width=header.width,
            height=header.height,
            format=header.format,
            per_pixel=header.bytes_per_pixel,
            mb=header.working_bytes / 1e6,
            cap_mb=images.MAX_DECODED_BYTES / 1e6,
        )
