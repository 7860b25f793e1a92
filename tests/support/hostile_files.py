"""Bad files for the hostile-input tests, built in memory: images that are not what they claim,
images at the edges of what a decoder meets, and zips that try to escape or explode.

Every builder is cached, so a test session pays for the big ones (a 24-megapixel photo, a PNG that
claims 900 megapixels, a zip that claims 1.2 GB) once, in about a second, and never holds more than
a few megabytes: the bombs are written from compressed chunks, never from their expanded bytes.
Zips whose records lie (counts, sizes, methods, flags, names) are written byte by byte with
``struct`` (``raw_zip``, ``write_many_entries``), since ``zipfile`` only writes honest ones.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from cnn_core.data.zips import MAX_IMAGE_PIXELS, MAX_ZIP_BYTES, MAX_ZIP_FILES
from cnn_core.vision.images import MAX_DECODED_BYTES, MAX_PIXELS


class Upload(NamedTuple):
    """What a browser sends for one file: its name, its bytes and its MIME type."""

    name: str
    data: bytes
    mime: str


# Images ------------------------------------------------------------------------------------------


def encode(image: Image.Image, format: str, **options) -> bytes:
    """``image`` saved in ``format`` to bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def noise(height: int, width: int, seed: int = 0) -> Image.Image:
    """An RGB image of random pixels (incompressible, so cutting its file loses real data)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def zlib_zeros(count: int) -> bytes:
    """A zlib stream of ``count`` zero bytes in milliseconds: one compressed MiB, repeated.

    A full flush ends each compressed copy on a byte boundary with an empty history, so copies
    can follow each other; the Adler-32 of n zeros is (n mod 65521) << 16 | 1.
    """
    block = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate; the zlib header is added here
    unit = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(count, len(block))
    end = compressor.compress(bytes(rest)) + compressor.flush()
    return b"\x78\xda" + unit * whole + end + struct.pack(">I", ((count % 65521) << 16) | 1)


def zeros_png(width: int, height: int, bit_depth: int = 8, color_type: int = 0) -> bytes:
    """A valid PNG of width x height zero samples (black; transparent where there is alpha).

    ``color_type`` as in the PNG header: 0 grey, 2 RGB, 4 grey + alpha, 6 RGBA. 16-bit 6324 x 6324
    grey is 79 kB (80 MB decoded), 7300 x 5479 RGBA 158 kB (160 MB), as the images of issue 17.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = 1 + (width * channels * bit_depth + 7) // 8  # filter byte 0, then the samples (all zero bytes)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib_zeros(row * height)) + chunk(b"IEND", b"")
    )


def png_bomb(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of width x height.

    30000 x 30000 is 900 megapixels (112 MB even at one bit per pixel) in about 110 kB of file.
    """
    return zeros_png(width, height, bit_depth=1)


def large_photo() -> Image.Image:
    """A 6000 x 4000 'photo' of paper with one thick dark stroke (a 7) on it."""
    photo = Image.new("RGB", (6000, 4000), (205, 200, 190))
    ImageDraw.Draw(photo).line([(2400, 900), (3600, 900), (2900, 3200)], fill=(25, 25, 35), width=220)
    return photo


def animated_gif() -> bytes:
    """Two frames: red, then blue (a decoder must give the first)."""
    red, blue = Image.new("RGB", (40, 30), (255, 0, 0)), Image.new("RGB", (40, 30), (0, 0, 255))
    return encode(red, "GIF", save_all=True, append_images=[blue], duration=100, loop=0)


def rgba_png() -> bytes:
    """A 32 x 32 PNG: left half opaque black, right half fully transparent."""
    pixels = np.zeros((32, 32, 4), np.uint8)
    pixels[:, :16, 3] = 255
    return encode(Image.fromarray(pixels, "RGBA"), "PNG")


def gray16_png() -> bytes:
    """A 16-bit grayscale PNG whose values run from 1000 to 60000 (all above 255)."""
    ramp = np.linspace(1000, 60000, 48 * 64).reshape(48, 64).astype(np.uint16)
    image = Image.fromarray(ramp)  # mode "I;16"
    assert image.mode == "I;16", image.mode
    return encode(image, "PNG")


@functools.cache
def bad_images() -> dict[str, Upload]:
    """Name -> upload, for every hostile image case."""
    good_png = encode(noise(64, 64), "PNG")
    good_jpeg = encode(noise(64, 64), "JPEG", quality=90)
    return {
        "text posing as an image": Upload("x.png", b"hello", "image/png"),
        "empty file": Upload("empty.png", b"", "image/png"),
        "truncated PNG": Upload("cut.png", good_png[: len(good_png) // 2], "image/png"),
        "truncated JPEG": Upload("cut.jpg", good_jpeg[: len(good_jpeg) // 2], "image/jpeg"),
        "1x1 pixel": Upload("dot.png", encode(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"), "image/png"),
        "2000x1 sliver": Upload("sliver.png", encode(noise(1, 2000), "PNG"), "image/png"),
        "1x2000 sliver": Upload("pole.png", encode(noise(2000, 1), "PNG"), "image/png"),
        "RGBA PNG": Upload("alpha.png", rgba_png(), "image/png"),
        "16-bit grayscale PNG": Upload("deep.png", gray16_png(), "image/png"),
        "CMYK JPEG": Upload("print.jpg", encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"), "image/jpeg"),
        "animated GIF": Upload("anim.gif", animated_gif(), "image/gif"),
        "6000x4000 JPEG photo": Upload("huge.jpg", encode(large_photo(), "JPEG", quality=70), "image/jpeg"),
        "decompression bomb 30000x30000 PNG": Upload("bomb.png", png_bomb(30000, 30000), "image/png"),
        "49 MP PNG (over the 40 MP cap)": Upload("big.png", png_bomb(7000, 7000), "image/png"),
        # Issue 17: small files that Pillow would decode in full, far above MAX_DECODED_BYTES.
        "16-bit 6324x6324 PNG (80 MB to decode)": Upload("deep_giant.png", zeros_png(6324, 6324, 16), "image/png"),
        "40 MP RGBA PNG (320 MB to decode)": Upload("clear_giant.png", zeros_png(7300, 5479, 8, 6), "image/png"),
    }


# Cases the app must refuse with a message; every other image case must decode.
REFUSED_IMAGES = frozenset(
    {
        "text posing as an image",
        "empty file",
        "truncated PNG",
        "truncated JPEG",
        "decompression bomb 30000x30000 PNG",
        "49 MP PNG (over the 40 MP cap)",
        "16-bit 6324x6324 PNG (80 MB to decode)",
        "40 MP RGBA PNG (320 MB to decode)",
    }
)
assert MAX_PIXELS < 7000 * 7000, "the 49 MP case must stay above cnn_core.images' cap"
assert 6324 * 6324 * 2 > MAX_DECODED_BYTES and 7300 * 5479 * 8 > MAX_DECODED_BYTES, "must stay above the decode cap"


def as_camera_shot(upload: Upload) -> Upload:
    """The same bytes as a camera snapshot: st.camera_input always names it .jpg, image/jpeg."""
    return Upload("image.jpg", upload.data, "image/jpeg")


# Zips --------------------------------------------------------------------------------------------


def zip_of(members: dict[str, bytes]) -> bytes:
    """A deflated zip with these members (names are written exactly as given)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def small_png(seed: int) -> bytes:
    """A 20 x 20 PNG of noise."""
    return encode(noise(20, 20, seed), "PNG")


def class_folders(classes: tuple[str, ...] = ("cats", "dogs"), per_class: int = 4) -> dict[str, bytes]:
    """Members of a good little data set: one folder of PNGs per class."""
    return {f"{name}/{i}.png": small_png(10 * c + i) for c, name in enumerate(classes) for i in range(per_class)}


def zip_bomb(member_bytes: int = 128 << 20, members: int = 9) -> bytes:
    """A real zip bomb: ``members`` members that each inflate to ``member_bytes`` zeros.

    The deflated stream is made once (about 130 kB for 128 MiB) and written under every name, so
    the archive is about 1.2 MB and truly unpacks to 1.2 GB, above ``cnn_core.folders``' 1 GB cap.
    The local headers and the central directory are written by hand, since ``zipfile`` can only
    write members it compresses itself.
    """
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as zip stores it
    block, crc, parts = bytes(1 << 20), 0, []
    for _ in range(member_bytes // len(block)):
        parts.append(compressor.compress(block))
        crc = zlib.crc32(block, crc)
    stream = b"".join(parts) + compressor.flush()
    local, central = [], []
    offset = 0
    for i in range(members):
        name = f"cats/{i}.png".encode()
        # flags, method (8: deflate), time, date (1980-01-01), CRC, sizes, name and extra lengths
        fields = struct.pack("<HHHHIIIHH", 0, 8, 0, 33, crc, len(stream), member_bytes, len(name), 0)
        header = b"PK\x03\x04" + struct.pack("<H", 20) + fields + name
        local.append(header + stream)
        central.append(
            b"PK\x01\x02" + struct.pack("<HH", 20, 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, offset) + name
        )
        offset += len(header) + len(stream)
    directory = b"".join(central)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, members, members, len(directory), offset, 0)
    return b"".join(local) + directory + end


LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # 30 bytes, then the name
CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")  # 46 bytes, then the name
END_RECORD = struct.Struct("<4s4H2LH")
ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
ZIP64_LOCATOR = struct.Struct("<4sLQL")
UNIX_FILE = 0o100644 << 16
UNIX_DIR = (0o40755 << 16) | 0x10  # and MS-DOS's directory bit
UNIX_LINK = 0o120777 << 16
FLAG_ENCRYPTED, FLAG_UTF8 = 0x0001, 0x0800
DEFLATE64 = 9


@dataclass(frozen=True)
class RawMember:
    """One member for ``raw_zip``: its data is stored as given, whatever ``method`` and ``flags`` claim."""

    name: bytes
    data: bytes = b""
    method: int = 0
    flags: int = 0
    external_attr: int = UNIX_FILE
    declared_size: int | None = None  # a lie about the uncompressed size


def raw_zip(
    members: list[RawMember],
    comment: bytes = b"",
    prefix: bytes = b"",
    declared_entries: int | None = None,
    zip64: bool = False,
    disk: int = 0,
) -> bytes:
    """A zip of ``members`` written field by field, after ``prefix`` (as a self-extractor's stub)."""
    out, central = bytearray(prefix), bytearray()
    for member in members:
        offset = len(out) - len(prefix)
        crc, size = zlib.crc32(member.data), len(member.data)
        declared = size if member.declared_size is None else member.declared_size
        # version, flags, method, time, date (1980-01-01), CRC, sizes, name and extra lengths
        fields = (member.flags, member.method, 0, 0x21, crc, size, declared, len(member.name), 0)
        out += LOCAL_HEADER.pack(b"PK\x03\x04", 20, *fields) + member.name + member.data
        # made by Unix (3), version 2.0, ..., comment length, disk, internal and external attributes, offset
        central += CENTRAL_HEADER.pack(b"PK\x01\x02", 30, 3, 20, 0, *fields, 0, 0, 0, member.external_attr, offset)
        central += member.name
    cd_offset = len(out) - len(prefix)
    count = len(members) if declared_entries is None else declared_entries
    return bytes(out + central + end_records(count, len(central), cd_offset, comment, zip64, disk))


def end_records(count: int, cd_size: int, cd_offset: int, comment=b"", zip64=False, disk=0, at=None) -> bytes:
    """The end-of-central-directory record, with the zip64 record and locator first when needed.

    ``at`` is where the records start, counted as the offsets are (default: right after the directory).
    """
    out = b""
    if zip64 or count > 0xFFFE:
        record_at = cd_offset + cd_size if at is None else at
        out += ZIP64_END_RECORD.pack(b"PK\x06\x06", 44, 45, 45, disk, disk, count, count, cd_size, cd_offset)
        out += ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, record_at, 1)
        count = 0xFFFF  # saturated: the real count is in the zip64 record
    sizes = (min(cd_size, 0xFFFFFFFF), min(cd_offset, 0xFFFFFFFF))
    return out + END_RECORD.pack(b"PK\x05\x06", disk, disk, count, count, *sizes, len(comment)) + comment


def write_many_entries(
    out: BinaryIO,
    count: int,
    directories: bool = False,
    declared_entries: int | None = None,
    local_headers: bool = True,
) -> None:
    """``count`` empty members ``e/0000000`` ... (folders ``e/0000000/`` ...) written to ``out``.

    Made 100,000 entries at a time from one template block with numpy (2.2 million in well under a
    second, a few megabytes in memory). Without ``local_headers`` only the central directory is
    written: what the guard and ``zipfile.ZipFile`` read, at 55 bytes an entry.
    """
    digits, block = 7, 100_000
    stem = b"e/" + b"0" * digits + (b"/" if directories else b"")
    index = np.arange(block, dtype=np.int64)
    low = np.stack([(index // 10 ** (4 - k)) % 10 + 48 for k in range(5)], axis=1).astype(np.uint8)  # (block, 5)
    local = LOCAL_HEADER.pack(b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, len(stem), 0) + stem
    attr = UNIX_DIR if directories else UNIX_FILE
    central = CENTRAL_HEADER.pack(b"PK\x01\x02", 30, 3, 20, 0, 0, 0, 0, 0x21, 0, 0, 0, len(stem), *(0,) * 4, attr, 0)
    local_size = len(local) if local_headers else 0

    def blocks(template: bytes, name_at: int, with_offsets: bool):
        rows = np.tile(np.frombuffer(template + (b"" if template.endswith(stem) else stem), np.uint8), (block, 1))
        rows[:, name_at + 4 : name_at + 9] = low  # the last five digits
        for start in range(0, count, block):
            n = min(block, count - start)
            rows[:, name_at + 2] = 48 + start // 10**6 % 10  # the first two digits: the block's number
            rows[:, name_at + 3] = 48 + start // 10**5 % 10
            if with_offsets:
                rows[:, 42:46] = ((start + index) * local_size).astype("<u4").view(np.uint8).reshape(block, 4)
            out.write(rows[:n].data)

    if local_headers:
        blocks(local, LOCAL_HEADER.size, False)
    blocks(central, CENTRAL_HEADER.size, local_headers)
    cd_size, cd_offset = (CENTRAL_HEADER.size + len(stem)) * count, local_size * count
    out.write(end_records(count if declared_entries is None else declared_entries, cd_size, cd_offset))


def many_entries_zip(count: int, directories: bool = False, declared_entries: int | None = None) -> bytes:
    """``write_many_entries`` into bytes (with local headers: a complete, if empty, archive)."""
    buffer = io.BytesIO()
    write_many_entries(buffer, count, directories, declared_entries)
    return buffer.getvalue()


@functools.cache
def bad_zips() -> dict[str, Upload]:
    """Name -> upload, for every hostile zip case."""

    def as_zip(name: str, data: bytes) -> Upload:
        return Upload(name, data, "application/zip")

    return {
        "not a zip": as_zip("photos.zip", b"this is not a zip archive at all"),
        "empty file": as_zip("empty.zip", b""),
        "zip-slip member ../evil.png": as_zip("slip.zip", zip_of({**class_folders(), "../evil.png": small_png(99)})),
        "absolute path member": as_zip("abs.zip", zip_of({**class_folders(), "/tmp/cnn_lab_evil.png": small_png(98)})),
        "one class only": as_zip("one.zip", zip_of(class_folders(("cats",)))),
        "no images": as_zip("docs.zip", zip_of({"cats/readme.txt": b"hello", "dogs/notes.md": b"# notes"})),
        "class folder without images": as_zip(
            "half.zip", zip_of({**class_folders(("cats",)), "dogs/readme.txt": b"no dogs yet"})
        ),
        "image that is not an image": as_zip("fake.zip", zip_of({**class_folders(), "dogs/fake.png": b"hello"})),
        "train/ without validation/": as_zip(
            "split.zip",
            zip_of(
                {**{f"train/{k}": v for k, v in class_folders().items()}, "docs/readme.txt": b"no validation folder"}
            ),
        ),
        "train/ and validation/ classes differ": as_zip(
            "differ.zip",
            zip_of(
                {
                    **{f"train/{k}": v for k, v in class_folders().items()},
                    **{f"validation/{k}": v for k, v in class_folders(("cats", "birds")).items()},
                }
            ),
        ),
        "truncated image member": as_zip("cut.zip", zip_of({**class_folders(), "dogs/cut.png": small_png(97)[:60]})),
        "decompression bomb member": as_zip(
            "bombs.zip", zip_of({**class_folders(), "dogs/bomb.png": png_bomb(5000, 5000)})
        ),
        "zip bomb (1.2 GB unpacked)": as_zip("bomb.zip", zip_bomb()),
        "too many files": as_zip("many.zip", zip_of({f"cats/{i}.txt": b"" for i in range(MAX_ZIP_FILES + 1)})),
        # Issue 17: archives refused from their own records, before zipfile reads a member list.
        "70,000 entries (zip64 end record)": as_zip("zip64.zip", many_entries_zip(70_000)),
        "end record claims 10 entries, holds 30,000": as_zip("liar.zip", many_entries_zip(30_000, declared_entries=10)),
        "100,000 folder entries": as_zip("folders.zip", many_entries_zip(100_000, directories=True)),
        "300-character folder name": as_zip(
            "long.zip", zip_of({**class_folders(), "d" * 300 + "/1.png": small_png(96)})
        ),
        "Deflate64 member": as_zip(
            "d64.zip", raw_zip([*stored(class_folders()), RawMember(b"cats/x.png", b"\0" * 64, DEFLATE64)])
        ),
        "invalid UTF-8 name flagged UTF-8": as_zip(
            "utf8.zip", raw_zip([*stored(class_folders()), RawMember(b"caf\xe9/1.png", small_png(95), flags=FLAG_UTF8)])
        ),
        "encrypted member": as_zip(
            "locked.zip",
            raw_zip([*stored(class_folders()), RawMember(b"dogs/x.png", small_png(94), flags=FLAG_ENCRYPTED)]),
        ),
        "NUL in a member name": as_zip(
            "nul.zip", raw_zip([*stored(class_folders()), RawMember(b"dogs/x\0.png", b"x")])
        ),
    }


assert 9 * (128 << 20) > MAX_ZIP_BYTES, "the zip bomb must stay above cnn_core.folders' cap"
assert 5000 * 5000 > MAX_IMAGE_PIXELS, "the bomb member must stay above cnn_core.folders' cap"
assert 30_000 > MAX_ZIP_FILES and 70_000 > MAX_ZIP_FILES, "the entry floods must stay above the cap"


def stored(members: dict[str, bytes]) -> list[RawMember]:
    """``raw_zip`` members stored as they are (method 0)."""
    return [RawMember(name.encode(), data) for name, data in members.items()]


@functools.cache
def sixteen_bit_giants_zip() -> Upload:
    """Issue 17's 3 kB zip of eight 16-bit 4000 x 4000 PNGs (32 MB each to decode): it must load, in bounded memory."""
    giant = zeros_png(4000, 4000, 16)
    return Upload(
        "giants.zip", zip_of({f"{cls}/{i}.png": giant for cls in ("cats", "dogs") for i in range(4)}), "application/zip"
    )


def symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    """A zip member that unpacks, with ``unzip``, to a symbolic link to ``target``."""
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16  # S_IFLNK | rwxrwxrwx
    return info, target.encode()


@functools.cache
def awkward_but_readable_zip() -> Upload:
    """Two classes whose pictures are every decodable oddity, plus files to skip and a symlink.

    The 24 MP photo is left out: zips hold at most 16 MP per picture (``MAX_IMAGE_PIXELS``).
    """
    oddities = [case for case in bad_images() if case not in REFUSED_IMAGES and case != "6000x4000 JPEG photo"]
    members = {
        f"{cls}/{i}{Path(bad_images()[case].name).suffix}": bad_images()[case].data
        for cls in ("cats", "dogs")
        for i, case in enumerate(oddities)
    }
    members |= {"cats/notes.txt": b"not a picture", "__MACOSX/cats/._0.png": b"resource fork", "dogs/.hidden.png": b"x"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr(*symlink_member("dogs/link.png", "/etc/passwd"))
    return Upload("odd.zip", buffer.getvalue(), "application/zip")


@functools.cache
def many_odd_classes_zip() -> Upload:
    """30 classes of two pictures, named with spaces, accents, markup and a 200-character name."""
    names = [f"class {i} é <b>x</b> **y**" for i in range(29)] + ["n" * 200]
    return Upload("classes.zip", zip_of(class_folders(tuple(names), per_class=2)), "application/zip")
