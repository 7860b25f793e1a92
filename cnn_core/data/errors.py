"""The errors a data source raises: a data set that cannot be used, a download that failed.

Each is a ``LabError`` (``cnn_core.i18n``): an English template with ``{fields}`` and its
parameters, so that a page can show it in the visitor's language.
"""

from __future__ import annotations

import os

from cnn_core.i18n import LabError


class DatasetError(LabError):
    """A data set that cannot be used: unsafe or oversized archive, missing classes, bad images."""


class DownloadError(LabError, OSError):
    """The cats-and-dogs archive could not be downloaded (offline, or the server refused).

    Still an ``OSError``, as before it carried a template, so ``except OSError`` still catches it.
    """


def renamed(error: LabError, folder: str, name: str) -> LabError:
    """The same error with ``folder`` (its path or its last part) called ``name`` wherever a parameter says it.

    An uploaded zip is unpacked into a temporary folder; its errors should name the zip, not that folder.

    >>> error = DatasetError("No classes in {folder}/; found only {name!r}.", folder="cnn_lab_zip_x1", name="a")
    >>> str(renamed(error, "/tmp/cnn_lab_zip_x1", "shapes.zip"))
    "No classes in shapes.zip/; found only 'a'."
    """
    base = os.path.basename(os.path.normpath(folder))

    def swap(value):
        if isinstance(value, LabError):
            return renamed(value, folder, name)
        if isinstance(value, str):
            return value.replace(folder, name).replace(base, name) if base else value.replace(folder, name)
        return value

    return type(error)(error.template, **{key: swap(value) for key, value in error.params.items()})


# Zip archives refused before anything is unpacked (``cnn_core.data.zips``), one class per reason.


class NotAZipError(DatasetError):
    """No end-of-central-directory record: not a zip archive, or one that cannot be read."""


class DamagedZipError(DatasetError):
    """Records that contradict the file, or a member whose data does not match its record."""


class SplitZipError(DatasetError):
    """A multi-part archive (several disks or files)."""


class TooManyEntriesError(DatasetError):
    """More entries, files and folders together, than allowed."""


class ZipTooLargeError(DatasetError):
    """More uncompressed bytes declared than allowed."""


class UnsafeMemberError(DatasetError):
    """A member path that is absolute or has a '..' part, which could write outside the data folder."""


class NameTooLongError(DatasetError):
    """A member name, or one of its folder names, longer than the destination's filesystem allows."""


class BadNameError(DatasetError):
    """A member name that is not what it claims: flagged UTF-8 but invalid, or with a NUL byte."""


class EncryptedMemberError(DatasetError):
    """A member that needs a password."""


class UnsupportedCompressionError(DatasetError):
    """A member compressed with a method this Python cannot unpack (Deflate64, implode, PPMd, ...)."""


class ImageMemberError(DatasetError):
    """An image member that is not readable, or too large to decode, judged from its header."""
