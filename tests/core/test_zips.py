"""The zip guard: the archive's own records against ``zipfile`` (an independent reader), and hostile archives.

Hostile archives are written byte by byte by ``tests.support.hostile_files`` (``raw_zip``,
``write_many_entries``): 2.2 million entries in about a tenth of a second, a lying end record,
folder floods, long names, Deflate64, names flagged UTF-8 that are not, zip64, encryption flags,
symbolic links. Each refusal has its own ``DatasetError`` subclass and says what it found.
"""

import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from cnn_core.data import zip_records
from cnn_core.data.errors import (
    BadNameError,
    DamagedZipError,
    DatasetError,
    EncryptedMemberError,
    ImageMemberError,
    NameTooLongError,
    NotAZipError,
    SplitZipError,
    TooManyEntriesError,
    UnsafeMemberError,
    UnsupportedCompressionError,
    ZipTooLargeError,
)
from cnn_core.data.zip_names import name_limits
from cnn_core.data.zips import check_zip, extract_image_zip
from tests.support.hostile_files import (
    DEFLATE64,
    FLAG_ENCRYPTED,
    FLAG_UTF8,
    UNIX_DIR,
    UNIX_LINK,
    RawMember,
    class_folders,
    many_entries_zip,
    raw_zip,
    small_png,
    stored,
    write_many_entries,
    zeros_png,
)


def entries_of(data: bytes) -> list[zip_records.Entry]:
    fp = io.BytesIO(data)
    return list(zip_records.iter_entries(fp, zip_records.read_end_record(fp)))


def check(data: bytes, dest, **caps):
    return check_zip(io.BytesIO(data), dest, **caps)


def zipfile_bytes(names, comment=b"", compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name in names:
            archive.writestr(name, b"" if name.endswith("/") else name.encode() * 50)
        archive.comment = comment
    return buffer.getvalue()


def good_members(*extra: RawMember, **named: bytes) -> list[RawMember]:
    """Two classes of four PNGs, stored, then ``extra`` members and ``named`` ones (name=data)."""
    return [*stored(class_folders()), *extra, *stored(named)]


# ---------------------------------------------------------------------------------------------
# The records, as zipfile reads them
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names, comment, compression",
    [
        (["cats/1.png", "dogs/2.png", "dogs/"], b"", zipfile.ZIP_DEFLATED),
        (["a.png"], b"an archive comment" + b"x" * 40, zipfile.ZIP_STORED),
        (["é/ü.png", "日本/猫.jpg"], b"", zipfile.ZIP_BZIP2),
        (["x.png"] + [f"d{i}/" for i in range(5)], b"c" * 65535, zipfile.ZIP_LZMA),
    ],
)
def test_entries_match_zipfile(tmp_path, names, comment, compression):
    data = zipfile_bytes(names, comment, compression)
    ours = entries_of(data)
    theirs = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert [e.name.decode("utf-8" if e.utf8 else "cp437") for e in ours] == [i.filename for i in theirs]
    assert [(e.method, e.file_size, e.compressed_size, e.external_attr, e.is_dir) for e in ours] == [
        (i.compress_type, i.file_size, i.compress_size, i.external_attr, i.is_dir()) for i in theirs
    ]
    result = check(data, tmp_path / "out")
    assert (result.entries, result.directories) == (len(names), sum(n.endswith("/") for n in names))
    assert result.total_bytes == sum(i.file_size for i in theirs)


def test_zip64_written_by_zipfile(tmp_path, monkeypatch):
    # zipfile writes the zip64 records above 65,535 entries (and 64-bit sizes above 2 GiB); lowering
    # its limits makes it write them for three small members, so the guard reads zipfile's own zip64.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 10)
    data = zipfile_bytes(["cats/1.png", "cats/2.png", "dogs/3.png"])
    fp = io.BytesIO(data)
    end = zip_records.read_end_record(fp)
    assert end.zip64 and end.entries == 3
    assert [e.file_size for e in entries_of(data)] == [i.file_size for i in zipfile.ZipFile(fp).infolist()]
    assert check(data, tmp_path).entries == 3


def test_zip64_by_hand_above_65535_entries(tmp_path):
    data = many_entries_zip(70_000)
    assert zip_records.read_end_record(io.BytesIO(data)).zip64
    assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) == 70_000
    assert check(data, tmp_path, max_files=70_000).entries == 70_000
    with pytest.raises(TooManyEntriesError, match="holds 70,000 entries"):
        check(data, tmp_path)


def test_data_prepended_like_a_self_extractor(tmp_path):
    data = raw_zip([RawMember(b"a/1.png", b"x" * 10), RawMember(b"b/2.png")], prefix=b"MZ" * 500)
    assert zipfile.ZipFile(io.BytesIO(data)).read("a/1.png") == b"x" * 10
    end = zip_records.read_end_record(io.BytesIO(data))
    assert end.cd_start == 1000 + 2 * 30 + 14 + 10
    assert check(data, tmp_path).entries == 2


def test_a_record_planted_in_the_comment_is_read_as_zipfile_reads_it(tmp_path):
    data = raw_zip([RawMember(b"a.png", b"x")], comment=b"PK\x05\x06" + b"\x00" * 30)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == []  # zipfile reads the planted, empty directory
    assert check(data, tmp_path).entries == 0  # and so does the guard: both judge the same thing


# ---------------------------------------------------------------------------------------------
# Entry floods, in bounded memory
# ---------------------------------------------------------------------------------------------


def refusal_and_peak(function) -> tuple[DatasetError, int]:
    """The ``DatasetError`` that ``function()`` raises, and the peak bytes Python allocated meanwhile."""
    tracemalloc.start()
    try:
        function()
    except DatasetError as exc:
        return exc, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError("nothing was refused")


def test_two_million_entries_are_refused_from_the_end_record_in_little_memory(tmp_path):
    # Issue 17: 2.2 million empty entries; zipfile.ZipFile reads all of them (+1.2 GB) first.
    path = tmp_path / "flood.zip"
    with open(path, "wb") as out:
        write_many_entries(out, 2_200_000, local_headers=False)
    assert path.stat().st_size > 120e6
    refusal, peak = refusal_and_peak(lambda: extract_image_zip(path, tmp_path / "out"))
    assert isinstance(refusal, TooManyEntriesError), refusal
    assert "holds 2,200,000 entries (files and folders together); the most allowed is 20,000" in str(refusal)
    assert peak < 1e6, f"{peak / 1e6:.1f} MB"
    assert not (tmp_path / "out").exists()


def test_a_lying_entry_count_is_caught_by_the_walk_in_bounded_memory(tmp_path):
    path = tmp_path / "liar.zip"
    with open(path, "wb") as out:
        write_many_entries(out, 2_200_000, declared_entries=10, local_headers=False)
    refusal, peak = refusal_and_peak(lambda: extract_image_zip(path, tmp_path / "out"))
    assert isinstance(refusal, TooManyEntriesError), refusal
    assert "more than 20,000 entries (files and folders together), more than its end record declares" in str(refusal)
    assert peak < 5e6, f"{peak / 1e6:.1f} MB"


def test_folder_entries_count_against_the_cap(tmp_path):
    data = many_entries_zip(100_000, directories=True)
    with pytest.raises(TooManyEntriesError, match="holds 100,000 entries"):
        extract_image_zip(io.BytesIO(data), tmp_path / "out")
    assert not (tmp_path / "out").exists()  # no folder was made
    result = check(data, tmp_path, max_files=100_000)
    assert (result.entries, result.directories) == (100_000, 100_000)


def test_the_walk_reads_every_entry_of_a_big_honest_directory(tmp_path):
    data = many_entries_zip(30_000)
    names = [e.name for e in entries_of(data)]
    assert names[0] == b"e/0000000" and names[12_345] == b"e/0012345" and len(set(names)) == 30_000


def test_declared_sizes_over_the_cap(tmp_path):
    data = raw_zip([RawMember(b"a.png", b"x", declared_size=700_000_000)] * 2)
    with pytest.raises(ZipTooLargeError, match="more than 1,400 MB; the most allowed is 1,074 MB"):
        check(data, tmp_path)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def test_a_300_character_folder_name(tmp_path):
    # Issue 17: OSError "File name too long" from mkdir, as a traceback.
    data = raw_zip(good_members(**{"a" * 300 + "/x.png": small_png(1)}))
    with pytest.raises(
        NameTooLongError, match=r"A folder name in the archive is 300 bytes long \('a{79}…'\).*allows 255"
    ):
        extract_image_zip(io.BytesIO(data), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_file_name_too_long_and_a_path_longer_than_path_max(tmp_path):
    with pytest.raises(NameTooLongError, match="A file name in the archive is 260 bytes long"):
        check(raw_zip([RawMember(b"cats/" + b"f" * 256 + b".png")]), tmp_path)
    path_max = name_limits(tmp_path)[1]
    deep = b"/".join([b"d" * 250] * 17) + b"/x.png"
    assert len(deep) > path_max
    with pytest.raises(NameTooLongError, match="has a path of 4,272 bytes; at most 4,0"):
        check(raw_zip([RawMember(deep)]), tmp_path)


def test_a_name_that_fits_exactly_is_unpacked(tmp_path):
    dest = tmp_path / "out"
    name_max = name_limits(tmp_path)[0]
    long_class = "c" * name_max
    members = {**class_folders(("cats",)), **{f"{long_class}/{i}.png": small_png(i) for i in range(2)}}
    report = extract_image_zip(io.BytesIO(raw_zip(stored(members))), dest)
    assert (report.root / long_class / "1.png").is_file()


@pytest.mark.parametrize(
    "name, error, match",
    [
        (b"../evil.png", UnsafeMemberError, "'..' part"),
        (b"/etc/x.png", UnsafeMemberError, "absolute path"),
        (b"C:/x.png", UnsafeMemberError, "absolute path"),
        (b"a\\..\\x.png", UnsafeMemberError, "'..' part"),
        (b"a/b\x00.png", BadNameError, "NUL byte"),
    ],
)
def test_unsafe_names(tmp_path, name, error, match):
    with pytest.raises(error, match=match):
        extract_image_zip(io.BytesIO(raw_zip(good_members(RawMember(name, b"x")))), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_invalid_utf8_under_the_utf8_flag(tmp_path):
    data = raw_zip(good_members(RawMember(b"caf\xe9/1.png", small_png(2), flags=FLAG_UTF8)))
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(io.BytesIO(data))  # zipfile's own error: a codec traceback, as in issue 17
    with pytest.raises(
        BadNameError, match=r"'caf\\xe9/1.png' is marked as having a UTF-8 name, but byte 0xe9 at position 3"
    ):
        extract_image_zip(io.BytesIO(data), tmp_path / "out")


def test_unflagged_utf8_names_are_unpacked_as_utf8(tmp_path):
    members = {"äpfel/1.png": small_png(1), "äpfel/2.png": small_png(2), "birnen/1.png": small_png(3)}
    data = raw_zip(stored(members))
    assert check(data, tmp_path).metadata_encoding == "utf-8"
    report = extract_image_zip(io.BytesIO(data), tmp_path / "out")
    assert sorted(p.name for p in report.root.iterdir()) == ["birnen", "äpfel"]


def test_legacy_code_page_names_are_read_as_zipfile_reads_them(tmp_path):
    data = raw_zip([RawMember(b"\x84pfel/1.png", small_png(1)), RawMember(b"b/2.png", small_png(2))])  # cp437 ä
    assert check(data, tmp_path).metadata_encoding is None
    report = extract_image_zip(io.BytesIO(data), tmp_path / "out")
    assert sorted(p.name for p in report.root.iterdir()) == ["b", "äpfel"]


def test_a_utf8_name_that_only_a_legacy_neighbour_makes_too_long(tmp_path):
    # 85 CJK characters are 255 bytes as UTF-8; one legacy name makes zipfile read every name as
    # cp437, and then they are 255 characters of up to 3 bytes each: too long to unpack.
    fits = ("猫" * 85 + "/1.png").encode()
    assert check(raw_zip([RawMember(fits, b"x")]), tmp_path).metadata_encoding == "utf-8"
    with pytest.raises(NameTooLongError, match="A folder name in the archive is"):
        check(raw_zip([RawMember(fits, b"x"), RawMember(b"\x84pfel/1.png", b"x")]), tmp_path)


# ---------------------------------------------------------------------------------------------
# Members zipfile cannot read: compression methods, encryption; links
# ---------------------------------------------------------------------------------------------


def test_deflate64_gets_its_own_message_not_encrypted(tmp_path):
    data = raw_zip(good_members(RawMember(b"cats/x.png", b"\x00" * 64, method=DEFLATE64)))
    with zipfile.ZipFile(io.BytesIO(data)) as archive, pytest.raises(NotImplementedError):
        archive.open("cats/x.png")  # a RuntimeError, which the old code reported as "encrypted"
    assert issubclass(NotImplementedError, RuntimeError)
    with pytest.raises(UnsupportedCompressionError, match=r"'cats/x.png' is compressed with Deflate64 \(method 9\)"):
        extract_image_zip(io.BytesIO(data), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("method, name", [(6, "implode"), (98, "PPMd"), (93, "Zstandard"), (77, "an unknown method")])
def test_other_unsupported_methods(tmp_path, method, name):
    with pytest.raises(UnsupportedCompressionError, match=rf"{name} \(method {method}\)"):
        check(raw_zip([RawMember(b"a.png", b"x", method=method)]), tmp_path)


def test_an_unsupported_method_on_a_file_that_is_skipped_does_not_matter(tmp_path):
    data = raw_zip(good_members(RawMember(b"cats/notes.txt", b"x", method=DEFLATE64)))
    assert extract_image_zip(io.BytesIO(data), tmp_path / "out").skipped == 1


@pytest.mark.parametrize("flags, method", [(FLAG_ENCRYPTED, 8), (0x0041, 8), (FLAG_ENCRYPTED, 99), (0, 99)])
def test_encrypted_members(tmp_path, flags, method):
    with pytest.raises(EncryptedMemberError, match=r"'a\.png' is encrypted"):
        check(raw_zip([RawMember(b"a.png", b"x", method=method, flags=flags)]), tmp_path)


def test_symlinks_are_counted_and_never_unpacked(tmp_path):
    members = good_members(
        RawMember(b"cats/link.png", b"/etc/passwd", external_attr=UNIX_LINK),
        RawMember(b"cats/", external_attr=UNIX_DIR),
    )
    result = check(raw_zip(members), tmp_path)
    assert (result.entries, result.directories) == (10, 1)
    report = extract_image_zip(io.BytesIO(raw_zip(members)), tmp_path / "out")
    assert report.images == 8 and report.skipped == 1
    assert not (report.root / "cats" / "link.png").exists()


# ---------------------------------------------------------------------------------------------
# Damaged archives and members
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, error, match",
    [
        (b"", NotAZipError, "not a zip archive"),
        (os.urandom(5000).replace(b"PK", b"pk"), NotAZipError, "not a zip archive"),
        (b"PK\x05\x06" + b"\x00" * 4 + b"\x01\x00\x01\x00" + b"\x64" + b"\x00" * 9, DamagedZipError, "does not fit"),
    ],
)
def test_not_a_zip(tmp_path, data, error, match):
    with pytest.raises(error, match=match):
        extract_image_zip(io.BytesIO(data), tmp_path / "out")


def test_a_truncated_directory(tmp_path):
    data = bytearray(raw_zip([RawMember(b"a.png", b"x"), RawMember(b"b.png", b"y")]))
    end = data.rfind(b"PK\x05\x06")
    size = int.from_bytes(data[end + 12 : end + 16], "little")
    data[end + 12 : end + 16] = (size - 10).to_bytes(4, "little")
    with pytest.raises(DamagedZipError, match="damaged"):
        check(bytes(data), tmp_path)


def test_multi_disk_archives(tmp_path):
    with pytest.raises(SplitZipError, match="split over several files"):
        check(raw_zip([RawMember(b"a.png", b"x")], disk=1), tmp_path)


def test_a_member_whose_data_is_not_what_its_record_says(tmp_path):
    png = small_png(3)
    corrupt = raw_zip(good_members(RawMember(b"dogs/bad.png", b"\xff" * 40, method=8)))  # not deflate data
    with pytest.raises(DamagedZipError, match=r"'dogs/bad\.png' is damaged or unreadable"):
        extract_image_zip(io.BytesIO(corrupt), tmp_path / "a")
    lying = raw_zip(good_members(RawMember(b"dogs/short.png", png, declared_size=len(png) - 100)))
    with pytest.raises((DamagedZipError, ImageMemberError), match=r"'dogs/short\.png'"):
        extract_image_zip(io.BytesIO(lying), tmp_path / "b")  # zipfile stops at the declared size


def test_image_members_are_judged_by_their_header_like_every_picture(tmp_path):
    # The same decode cap as uploads: a 16-bit 6324 x 6324 PNG would take 80 MB; and at 16 MP a
    # member is refused even when an upload of it would decode.
    giant = raw_zip(good_members(**{"cats/deep.png": zeros_png(6324, 6324, 16)}))
    with pytest.raises(ImageMemberError, match=r"'cats/deep\.png' is 6324x6324 pixels .*above 16\.0 MP"):
        extract_image_zip(io.BytesIO(giant), tmp_path / "a")
    rgba = raw_zip(good_members(**{"cats/clear.png": zeros_png(3000, 3000, 8, 6)}))
    with pytest.raises(ImageMemberError, match=r"'cats/clear.png' is 3000x3000 pixels \(PNG, 8 bytes a pixel.*72 MB"):
        extract_image_zip(io.BytesIO(rgba), tmp_path / "b")


def test_a_path_and_a_file_object_give_the_same_report(tmp_path):
    data = raw_zip(good_members())
    (tmp_path / "a.zip").write_bytes(data)
    by_path = extract_image_zip(tmp_path / "a.zip", tmp_path / "p")
    by_object = extract_image_zip(io.BytesIO(data), tmp_path / "o")
    assert (by_path.images, by_path.skipped) == (by_object.images, by_object.skipped) == (8, 0)
    with pytest.raises(NotAZipError, match="No such file"):
        extract_image_zip(tmp_path / "missing.zip", tmp_path / "m")


def test_every_refusal_is_a_template_with_its_fields(tmp_path):
    data = raw_zip(good_members(RawMember(b"cats/x.png", b"\x00", method=DEFLATE64)))
    with pytest.raises(UnsupportedCompressionError) as refused:
        check(data, tmp_path)
    error = refused.value
    assert error.template.startswith("The archive member {member} is compressed with {method} (method {number})")
    assert error.params == {"member": "'cats/x.png'", "method": "Deflate64", "number": 9}
    korean = error.message("ko")  # the Korean catalog's sentence, with the same fields filled in
    assert korean != str(error) and "'cats/x.png'" in korean and "Deflate64" in korean and "아카이브" in korean
    assert isinstance(error, DatasetError) and isinstance(error, ValueError)


def test_the_unpacked_files_land_in_dest(tmp_path):
    report = extract_image_zip(io.BytesIO(raw_zip(good_members())), tmp_path / "out")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in Path(tmp_path).rglob("*.png"))[0] == "out/cats/0.png"
    assert report.root == tmp_path / "out"
