"""A zip archive's own records read with ``struct``, in bounded memory: the end record, then the directory.

``zipfile.ZipFile`` reads the whole central directory and builds a ``ZipInfo`` per entry before a
caller can count anything: 2.2 million empty entries cost it about 1.2 GB. Here instead:

1. ``read_end_record`` reads the end-of-central-directory record (the last 22 bytes, or the last
   signature within 64 KiB when there is a comment) and, when its locator is there, the zip64
   record, exactly as ``zipfile`` picks them, so that what is checked is what ``zipfile`` will read.
2. ``iter_entries`` walks the central directory ``CHUNK_BYTES`` at a time, entry by entry, by its
   bytes rather than its declared count (which may lie), as ``zipfile`` does, and yields one small
   frozen ``Entry`` at a time; the caller decides when to stop.

The layouts are those of PKWARE's APPNOTE.TXT (4.3.12 central directory header, 4.3.14-4.3.16
zip64 and end records, 4.5.3 the zip64 extra field).
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cnn_core.data.errors import DamagedZipError, NotAZipError, SplitZipError
from cnn_core.i18n import N_

END_SIGNATURE = b"PK\x05\x06"
END_STRUCT = struct.Struct("<4s4H2LH")  # 22 bytes: disk, cd disk, entries here, entries, cd size, cd offset, comment
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_LOCATOR_STRUCT = struct.Struct("<4sLQL")  # 20 bytes: cd disk, record offset, disks
ZIP64_END_SIGNATURE = b"PK\x06\x06"
ZIP64_END_STRUCT = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
CENTRAL_SIGNATURE = b"PK\x01\x02"
CENTRAL_STRUCT = struct.Struct("<4s4B4HL2L5H2L")  # 46 bytes, then name, extra field and comment
ZIP64_EXTRA_ID = 0x0001
SATURATED = 0xFFFFFFFF  # a 32-bit field whose real value is in the zip64 extra field
MAX_COMMENT = 0xFFFF
CHUNK_BYTES = 1 << 18  # how much of the directory is read at once (256 KiB; about 5,000 entries)

FLAG_ENCRYPTED = 0x0001
FLAG_STRONG_ENCRYPTION = 0x0040
FLAG_UTF8 = 0x0800  # bit 11: the name is UTF-8
METHOD_AES = 99
METHOD_NAMES = {
    0: "stored",
    1: "shrink",
    2: "reduce",
    3: "reduce",
    4: "reduce",
    5: "reduce",
    6: "implode",
    8: "Deflate",
    9: "Deflate64",
    10: "PKWARE DCL implode",
    12: "bzip2",
    14: "LZMA",
    18: "IBM TERSE",
    19: "IBM LZ77",
    93: "Zstandard",
    95: "XZ",
    96: "JPEG",
    97: "WavPack",
    98: "PPMd",
    99: "AES",
}


@dataclass(frozen=True)
class EndRecord:
    """What the end records declare, and where the central directory really starts in this file."""

    entries: int
    cd_size: int
    cd_start: int  # differs from the declared offset when data was prepended (self-extractors)
    zip64: bool


@dataclass(frozen=True)
class Entry:
    """One central-directory entry: the raw name and the fields the checks need."""

    name: bytes
    flags: int
    method: int
    compressed_size: int
    file_size: int
    external_attr: int

    @property
    def utf8(self) -> bool:
        """Bit 11: the name is declared UTF-8."""
        return bool(self.flags & FLAG_UTF8)

    @property
    def is_dir(self) -> bool:
        """A folder entry: its name ends with a slash (``zipfile``'s rule)."""
        return self.name.endswith(b"/")

    @property
    def is_symlink(self) -> bool:
        """A Unix symbolic link (the file mode sits in the high half of the external attributes)."""
        return stat.S_ISLNK(self.external_attr >> 16)

    @property
    def encrypted(self) -> bool:
        """Traditional or strong encryption, or WinZip AES (method 99)."""
        return bool(self.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) or self.method == METHOD_AES


# ---------------------------------------------------------------------------------------------
# 1. The end records
# ---------------------------------------------------------------------------------------------


def read_end_record(fp: BinaryIO) -> EndRecord:
    """Find and decode the end-of-central-directory record, and zip64's, of an open archive."""
    fp.seek(0, os.SEEK_END)
    file_size = fp.tell()
    tail_start = max(0, file_size - END_STRUCT.size - MAX_COMMENT)
    fp.seek(tail_start)
    tail = fp.read()  # (at most 64 KiB + 22)
    # zipfile's choice: the last 22 bytes when they are a record without a comment, else the last
    # signature. A signature planted in a comment fools zipfile too; both then read the same thing.
    if tail[-END_STRUCT.size : -END_STRUCT.size + 4] == END_SIGNATURE and tail.endswith(b"\0\0"):
        position = len(tail) - END_STRUCT.size
    else:
        position = tail.rfind(END_SIGNATURE)
    if position < 0 or len(tail) - position < END_STRUCT.size:
        raise NotAZipError(
            N_("This file is not a zip archive (it has no end-of-archive record). Upload a .zip of class folders.")
        )
    _, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _ = END_STRUCT.unpack_from(tail, position)
    end_at = tail_start + position
    zip64 = _read_zip64(fp, end_at)  # Like zipfile, a zip64 record wins whenever its locator is there.
    if zip64 is not None:
        disk, cd_disk, disk_entries, entries, cd_size, cd_offset, end_at = zip64
    if disk != 0 or cd_disk != 0 or disk_entries != entries:
        raise SplitZipError(
            N_("This zip archive is split over several files (a multi-part archive); upload it as one .zip.")
        )
    cd_start = end_at - cd_size
    if cd_start < 0 or cd_offset > cd_start:
        raise DamagedZipError(
            N_(
                "This zip archive is damaged: its directory of {cd_size:,} bytes does not fit in the file of {size:,} bytes."
            ),
            cd_size=cd_size,
            size=file_size,
        )
    return EndRecord(entries, cd_size, cd_start, zip64 is not None)


def _read_zip64(fp: BinaryIO, end_at: int) -> tuple[int, ...] | None:
    """(disk, cd disk, entries here, entries, cd size, cd offset, record position), or None without zip64."""
    if end_at < ZIP64_LOCATOR_STRUCT.size:
        return None
    fp.seek(end_at - ZIP64_LOCATOR_STRUCT.size)
    signature, disk, _, disks = ZIP64_LOCATOR_STRUCT.unpack(fp.read(ZIP64_LOCATOR_STRUCT.size))
    if signature != ZIP64_LOCATOR_SIGNATURE:
        return None
    if disk != 0 or disks > 1:
        raise SplitZipError(
            N_("This zip archive is split over several files (a multi-part archive); upload it as one .zip.")
        )
    # The record sits just before its locator; its declared offset differs when data was prepended.
    at = end_at - ZIP64_LOCATOR_STRUCT.size - ZIP64_END_STRUCT.size
    if at < 0:
        return None
    fp.seek(at)
    raw = fp.read(ZIP64_END_STRUCT.size)
    if len(raw) != ZIP64_END_STRUCT.size or raw[:4] != ZIP64_END_SIGNATURE:
        return None  # zipfile then keeps the 32-bit record
    *_, disk, cd_disk, disk_entries, entries, cd_size, cd_offset = ZIP64_END_STRUCT.unpack(raw)
    return disk, cd_disk, disk_entries, entries, cd_size, cd_offset, at


# ---------------------------------------------------------------------------------------------
# 2. The central directory, one entry at a time
# ---------------------------------------------------------------------------------------------


def iter_entries(fp: BinaryIO, end: EndRecord) -> Iterator[Entry]:
    """Yield the central directory's entries in order, holding at most about ``CHUNK_BYTES`` of it."""
    fp.seek(end.cd_start)
    buffer, at, left = b"", 0, end.cd_size
    while True:
        if len(buffer) - at < CENTRAL_STRUCT.size:
            buffer, at, left = _refill(fp, buffer, at, left)
            if len(buffer) == at:
                return
            if len(buffer) - at < CENTRAL_STRUCT.size:
                raise _truncated()
        fields = CENTRAL_STRUCT.unpack_from(buffer, at)
        if fields[0] != CENTRAL_SIGNATURE:
            raise DamagedZipError(
                N_("This zip archive is damaged: its directory holds something that is not an entry.")
            )
        flags, method, compressed_size, file_size = fields[5], fields[6], fields[10], fields[11]
        name_length, extra_length, comment_length = fields[12], fields[13], fields[14]
        external_attr, header_offset = fields[17], fields[18]
        size = CENTRAL_STRUCT.size + name_length + extra_length + comment_length
        while len(buffer) - at < size:
            before = len(buffer) - at
            buffer, at, left = _refill(fp, buffer, at, left)
            if len(buffer) - at == before:
                raise _truncated()
        name_at = at + CENTRAL_STRUCT.size
        name = buffer[name_at : name_at + name_length]
        if SATURATED in (compressed_size, file_size, header_offset):
            extra = buffer[name_at + name_length : name_at + name_length + extra_length]
            file_size, compressed_size = _zip64_sizes(extra, file_size, compressed_size)
        at += size
        yield Entry(name, flags, method, compressed_size, file_size, external_attr)


def _refill(fp: BinaryIO, buffer: bytes, at: int, left: int) -> tuple[bytes, int, int]:
    """The unread rest of ``buffer`` and the next chunk of the directory: (buffer, 0, bytes still left)."""
    chunk = fp.read(min(CHUNK_BYTES, left)) if left > 0 else b""
    return buffer[at:] + chunk, 0, left - len(chunk)


def _zip64_sizes(extra: bytes, file_size: int, compressed_size: int) -> tuple[int, int]:
    """The 64-bit sizes from the zip64 extra field (present only for the saturated fields, in this order)."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<2H", extra, at)
        if kind == ZIP64_EXTRA_ID:
            values = list(struct.unpack_from(f"<{min(length, len(extra) - at - 4) // 8}Q", extra, at + 4))
            if file_size == SATURATED and values:
                file_size = values.pop(0)
            if compressed_size == SATURATED and values:
                compressed_size = values.pop(0)
            break
        at += 4 + length
    return file_size, compressed_size


def _truncated() -> DamagedZipError:
    return DamagedZipError(N_("This zip archive is damaged: its directory ends in the middle of an entry."))
