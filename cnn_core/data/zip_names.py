"""Zip member names as the filesystem will meet them: decoded as ``zipfile`` reads them, checked, shown safely.

A name is refused when unpacking it would fail or escape: a NUL byte (``zipfile`` would cut the
name there), an absolute path or a ``..`` part, a part longer than the destination's NAME_MAX or a
whole path longer than what its PATH_MAX leaves, or a name flagged UTF-8 (bit 11) that is not.
Unflagged names are read as ``zipfile`` will read them: UTF-8 when every non-ASCII one is valid
UTF-8 (``metadata_encoding="utf-8"``), else all as cp437, garbled but safe.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cnn_core.data import zip_records
from cnn_core.data.errors import BadNameError, NameTooLongError, UnsafeMemberError
from cnn_core.i18n import N_


def unsafe_member(name: str) -> bool:
    """True for a zip member that could land outside the folder: absolute or with a ``..`` part.

    >>> [unsafe_member(n) for n in ("a/b.png", "/etc/x.png", "a/../../x.png", "C:/x.png", "a\\\\..\\\\x")]
    [False, True, True, True, True]
    """
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[\\/]", name)


def shown_name(name: bytes | str, limit: int = 80) -> str:
    r"""A member name for a message: quoted as Python does, shortened, undecodable bytes as \xNN.

    >>> print(shown_name("cats/1.png"), shown_name(b"caf\xe9/1.png"), len(shown_name("a" * 300)))
    'cats/1.png' 'caf\xe9/1.png' 82
    """
    if isinstance(name, bytes):
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError:
            return repr(name if len(name) <= limit else name[: limit - 1] + b"...")[1:]
    return repr(name if len(name) <= limit else name[: limit - 1] + "…")


def name_limits(dest) -> tuple[int, int]:
    """(NAME_MAX, PATH_MAX) in bytes on the filesystem that ``dest`` is on, or will be once made."""
    folder = Path(dest).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return os.pathconf(folder, "PC_NAME_MAX"), os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError):
        return 255, 4096


class MemberNames:
    """The walk's view of names: the destination's limits, and what decides how zipfile decodes them."""

    def __init__(self, dest):
        self.name_max, path_max = name_limits(dest)
        # The unpacked path, NUL included, must fit in PATH_MAX: dest + "/" + the member's path.
        self.path_left = path_max - 1 - len(os.fsencode(os.path.abspath(dest))) - 1
        self.legacy = 0  # unflagged names that are not UTF-8: then zipfile must read every name as cp437
        self.unflagged_utf8 = 0  # unflagged non-ASCII names that are valid UTF-8
        self.too_long_as_cp437: NameTooLongError | None = None  # the first of those too long once read as cp437

    def decode(self, entry: zip_records.Entry) -> str:
        """The name as ``zipfile`` will read it, checked; raises for a name that cannot be unpacked."""
        raw = entry.name
        if entry.utf8:
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadNameError(
                    N_(
                        "The archive member {member} is marked as having a UTF-8 name, but byte 0x{byte:02x} at "
                        "position {position} is not valid UTF-8; re-create the zip with a tool that writes UTF-8 names."
                    ),
                    member=shown_name(raw),
                    byte=raw[exc.start],
                    position=exc.start,
                ) from None
        elif raw.isascii():
            name = raw.decode("ascii")
        else:
            try:
                name = raw.decode("utf-8")  # Common: UTF-8 names written without the flag.
                self.unflagged_utf8 += 1
                self.too_long_as_cp437 = self.too_long_as_cp437 or self.length_error(raw.decode("cp437"), entry.is_dir)
            except UnicodeDecodeError:
                self.legacy += 1
                name = raw.decode("cp437")  # A legacy code page: zipfile's reading, garbled but safe.
        self.check(name, entry.is_dir)
        return name

    def check(self, name: str, is_dir: bool) -> None:
        """Refuse a NUL, an absolute or '..' path, and names longer than the filesystem allows."""
        if "\x00" in name:
            raise BadNameError(
                N_("The archive member {member} has a NUL byte in its name; the archive is refused."),
                member=shown_name(name),
            )
        if unsafe_member(name):
            raise UnsafeMemberError(
                N_(
                    "The archive member {member} has an absolute path or a '..' part, which could write outside "
                    "the data folder; the archive is refused."
                ),
                member=shown_name(name),
            )
        error = self.length_error(name, is_dir)
        if error is not None:
            raise error

    def length_error(self, name: str, is_dir: bool) -> NameTooLongError | None:
        """The refusal of a name with a part over NAME_MAX or a path over what PATH_MAX leaves, else None."""
        parts = [part for part in re.split(r"[\\/]", name) if part]
        for index, part in enumerate(parts):
            length = len(os.fsencode(part))
            if length <= self.name_max:
                continue
            if index < len(parts) - 1 or is_dir:
                template = N_(
                    "A folder name in the archive is {length:,} bytes long ({name}); this server's filesystem "
                    "allows {limit:,}."
                )
            else:
                template = N_(
                    "A file name in the archive is {length:,} bytes long ({name}); this server's filesystem "
                    "allows {limit:,}."
                )
            return NameTooLongError(template, length=length, name=shown_name(part), limit=self.name_max)
        total = len(os.fsencode("/".join(parts)))
        if total > self.path_left:
            return NameTooLongError(
                N_("The archive member {member} has a path of {length:,} bytes; at most {limit:,} fit on this server."),
                member=shown_name(name),
                length=total,
                limit=self.path_left,
            )
        return None

    def encoding(self) -> str | None:
        """``metadata_encoding`` for zipfile, once the walk is over; one legacy name makes it read all as cp437."""
        if self.legacy and self.too_long_as_cp437 is not None:
            raise self.too_long_as_cp437
        return "utf-8" if self.unflagged_utf8 and not self.legacy else None
