"""Rows of a ``.npy`` file read on demand: a training worker holds the batch it reads, never the file.

A memory-mapped data set keeps every page it has touched in the reading process's resident memory:
a worker that has gone once through a 4,000-picture folder at 150x150 holds 270 MB of it, beside
the server's own mapping of the same file. ``RowFile`` reads the rows a batch asks for into a fresh
array instead; the pages stay in the kernel's page cache, which every process shares and the kernel
reclaims when memory is short, and the process holds one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NpyLayout:
    """Where a C-ordered ``.npy`` file's rows start and how they are typed."""

    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int  # bytes before the first row (the header)

    @property
    def row_bytes(self) -> int:
        """Bytes per row: the product of the shape after the first axis times the item size."""
        return int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize


def npy_layout(path: str) -> NpyLayout | None:
    """The file's layout, or None when its rows are not contiguous records (Fortran order).

    Opening maps the file without reading past its header (numpy knows every format version); numpy
    refuses to map object arrays, which the app never saves for a worker.
    """
    mapped = np.load(path, mmap_mode="r")
    shape, dtype, offset = mapped.shape, mapped.dtype, mapped.offset
    fortran_order = mapped.ndim > 1 and not mapped.flags.c_contiguous
    del mapped
    if fortran_order or len(shape) < 1:
        return None
    return NpyLayout(np.dtype(dtype), tuple(int(d) for d in shape), offset)


class RowFile:
    """Rows ``start:stop`` of a ``.npy`` file, read when indexed: ``rows[index]`` with an index array or a slice.

    Looks like the (N, ...) array it stands for where the input pipeline and the evaluation use one:
    ``shape``, ``dtype``, ``ndim``, ``len``, ``rows[i]``, ``rows[[i, j, ...]]``, ``rows[a:b]``, and
    ``np.asarray(rows)`` reads every row (for small arrays such as labels).
    """

    def __init__(self, path: str, layout: NpyLayout, start: int = 0, stop: int | None = None):
        count = layout.shape[0]
        stop = count if stop is None else stop
        if not 0 <= start <= stop <= count:
            raise ValueError(f"rows {start}:{stop} are outside the file's {count} rows ({path})")
        self.path, self.layout, self.start, self.stop = path, layout, start, stop

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.stop - self.start, *self.layout.shape[1:])

    @property
    def dtype(self) -> np.dtype:
        return self.layout.dtype

    @property
    def ndim(self) -> int:
        return len(self.layout.shape)

    def __len__(self) -> int:
        return self.stop - self.start

    def __array__(self, dtype=None, copy=None):
        rows = self[0 : len(self)]
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, slice):
            first, last, step = index.indices(len(self))
            if step != 1:
                return self[np.arange(first, last, step)]
            return self._read_run(first, max(first, last))
        index = np.asarray(index)
        if index.ndim == 0:
            return self[int(index) : int(index) + 1][0]
        if index.ndim != 1 or not np.issubdtype(index.dtype, np.integer):
            raise IndexError(f"rows are taken by an integer, a slice or a 1-D integer array, got {index!r}")
        index = np.where(index < 0, index + len(self), index)
        if len(index) and (index.min() < 0 or index.max() >= len(self)):
            raise IndexError(f"row index out of range for {len(self)} rows")
        out = np.empty((len(index), *self.shape[1:]), self.dtype)  # (B, ...)
        with open(self.path, "rb", buffering=0) as file:
            for i, row in enumerate(index):
                self._read_into(file, int(row), 1, out[i : i + 1])
        return out

    def _read_run(self, first: int, last: int) -> np.ndarray:
        out = np.empty((last - first, *self.shape[1:]), self.dtype)
        if last > first:
            with open(self.path, "rb", buffering=0) as file:
                self._read_into(file, first, last - first, out)
        return out

    def _read_into(self, file, row: int, count: int, out: np.ndarray) -> None:
        """Fill ``out`` with ``count`` rows from ``row`` (relative to ``start``), looping over short reads.

        A seek and ``readinto`` on this call's own unbuffered file (``os.pread`` is not on Windows).
        """
        view = memoryview(out.reshape(-1).view(np.uint8))
        file.seek(self.layout.offset + (self.start + row) * self.layout.row_bytes)
        done = 0
        while done < len(view):
            got = file.readinto(view[done:])
            if not got:
                raise OSError(f"{self.path} ended before row {self.start + row + count} (the file was cut short)")
            done += got


def as_rows(images):
    """``images`` as something rows can be taken from: a ``RowFile`` as it is, anything else as an array."""
    return images if isinstance(images, RowFile) else np.asarray(images)
