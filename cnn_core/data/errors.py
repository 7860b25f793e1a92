"""The errors a data source raises: a data set that cannot be used, a download that failed.

Each is a ``LabError`` (``cnn_core.i18n``): an English template with ``{fields}`` and its
parameters, so that a page can show it in the visitor's language.
"""

from __future__ import annotations

from cnn_core.i18n import LabError


class DatasetError(LabError):
    """A data set that cannot be used: unsafe or oversized archive, missing classes, bad images."""


class DownloadError(LabError, OSError):
    """The cats-and-dogs archive could not be downloaded (offline, or the server refused).

    Still an ``OSError``, as before it carried a template, so ``except OSError`` still catches it.
    """
