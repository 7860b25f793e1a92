"""The errors a data source raises: a data set that cannot be used, a download that failed."""

from __future__ import annotations


class DatasetError(ValueError):
    """A data set that cannot be used: unsafe or oversized archive, missing classes, bad images."""


class DownloadError(OSError):
    """The cats-and-dogs archive could not be downloaded (offline, or the server refused)."""
