"""RowFile: rows of a .npy read on demand equal numpy's own indexing of the array, and nothing stays mapped."""

from pathlib import Path

import numpy as np
import pytest

from cnn_core.data.rows import RowFile, as_rows, npy_layout
from cnn_core.learning import worker
from cnn_core.learning.pipeline import make_dataset
from cnn_core.learning.worker import ArrayFile


@pytest.fixture
def saved(tmp_path):
    array = np.random.default_rng(3).integers(0, 256, (40, 6, 5, 3), dtype=np.uint8)  # (N, H, W, C)
    path = tmp_path / "pictures.npy"
    np.save(path, array)
    return array, str(path)


@pytest.mark.parametrize(
    "index",
    [
        np.array([7, 0, 29, -1, 7]),
        np.array([], dtype=np.int64),
        slice(2, 9),
        slice(None, None, 3),
        slice(25, 99),
        4,
        -2,
    ],
    ids=["fancy", "empty", "slice", "stepped", "past-the-end", "int", "negative"],
)
def test_rows_equal_numpy_indexing_of_the_same_rows(saved, index):
    array, path = saved
    rows = RowFile(path, npy_layout(path), 5, 35)
    expected = array[5:35][index]
    got = rows[index]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_rows_look_like_the_array_they_stand_for(saved):
    array, path = saved
    rows = RowFile(path, npy_layout(path), 10)
    assert (rows.shape, rows.dtype, rows.ndim, len(rows)) == (array[10:].shape, array.dtype, 4, 30)
    np.testing.assert_array_equal(np.asarray(rows), array[10:])
    np.testing.assert_array_equal(np.asarray(rows, dtype=np.float32), array[10:].astype(np.float32))


def test_bad_row_requests_are_refused_with_the_numbers(saved):
    _, path = saved
    with pytest.raises(ValueError, match=r"rows 30:50 are outside the file's 40 rows"):
        RowFile(path, npy_layout(path), 30, 50)
    rows = RowFile(path, npy_layout(path), 0, 10)
    with pytest.raises(IndexError, match="out of range for 10 rows"):
        rows[np.array([3, 10])]
    with pytest.raises(IndexError, match="1-D integer array"):
        rows[np.array([0.5])]


def test_a_file_cut_short_says_so(saved, tmp_path):
    _, path = saved
    layout = npy_layout(path)
    cut = tmp_path / "cut.npy"
    cut.write_bytes(Path(path).read_bytes()[: layout.offset + 3 * layout.row_bytes + 7])
    with pytest.raises(OSError, match="ended before row 5"):
        RowFile(str(cut), layout)[3:5]


def _mapped(path: str) -> bool:
    return any(line.rstrip().endswith(path) for line in Path("/proc/self/maps").read_text().splitlines())


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads Linux's /proc/self/maps")
def test_small_files_are_mapped(saved):
    array, path = saved
    opened = ArrayFile(path, 2, 9).open()
    assert isinstance(opened, np.memmap) and _mapped(path)
    np.testing.assert_array_equal(opened, array[2:9])


def test_fortran_ordered_files_are_left_to_a_mapping(tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "MAP_UP_TO_BYTES", 0)
    path = tmp_path / "fortran.npy"
    np.save(path, np.asfortranarray(np.arange(24).reshape(4, 6)))
    assert npy_layout(str(path)) is None
    np.testing.assert_array_equal(ArrayFile(str(path), 1, 3).open(), np.arange(24).reshape(4, 6)[1:3])


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads Linux's /proc/self/maps")
def test_a_worker_reads_batches_without_mapping_the_data_set(saved, monkeypatch):
    """The worker's view of a data set past ``MAP_UP_TO_BYTES`` holds no mapping of the file, so its
    pages never count in the worker's memory; the batches it gathers are the file's rows."""
    array, path = saved
    monkeypatch.setattr(worker, "MAP_UP_TO_BYTES", 1000)  # the test's file is 3.6 kB
    images = ArrayFile(path, 0, 32).open()
    labels = np.arange(32)  # Each label names its row, so every gathered picture can be checked.
    assert isinstance(images, RowFile) and as_rows(images) is images
    batches = list(make_dataset(images, labels, batch_size=8, shuffle=True, seed=1))
    assert not _mapped(path)
    rows = np.concatenate([np.asarray(y) for _, y in batches])
    assert sorted(rows.tolist()) == list(range(32)) and rows.tolist() != list(range(32))  # shuffled, all seen
    for x, y in batches:
        np.testing.assert_allclose(np.asarray(x), array[np.asarray(y)].astype(np.float32) / 255.0, rtol=1e-6)
