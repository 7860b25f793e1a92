"""The folder-path source: off by default, confined to its root through symlinks, one message for every refusal."""

import inspect
import os
from pathlib import Path

import pytest

from cnn_core.data import paths
from cnn_core.data.folders import load_image_folder, scan_image_folder
from cnn_core.data.paths import FOLDER_PATHS_ENV, FOLDER_ROOT_ENV, FolderPathError, FolderPathsOff, resolve_folder
from tests.core.test_folders import write_shapes


@pytest.fixture
def tree(tmp_path):
    """root/ with data/cats, data/dogs, a file, links in and out, a loop; outside/ beside it."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    for folder in (root / "data" / "cats", root / "data" / "dogs", outside / "secret"):
        folder.mkdir(parents=True)
    (root / "data" / "cats" / "1.png").write_bytes(b"x")
    (outside / "secret" / "s.png").write_bytes(b"x")
    (root / "notes.txt").write_text("x")
    (root / "out").symlink_to(outside)  # a folder link that leaves the root
    (root / "inner").symlink_to(root / "data")  # a folder link that stays inside
    (root / "data" / "cats" / "stolen.png").symlink_to(outside / "secret" / "s.png")
    (root / "data" / "dogs" / "elsewhere").symlink_to(outside / "secret")
    (root / "loop").symlink_to(root / "loop")
    return root.resolve(), outside.resolve()


def env(root, **extra) -> dict:
    return {FOLDER_PATHS_ENV: "1", FOLDER_ROOT_ENV: str(root), **extra}


def refusal(text: str) -> str:
    """The one message every refused path gets."""
    return paths.NOT_READABLE.format(path=paths._shown(text))


@pytest.mark.parametrize("value", ["", "0", "true", "yes", " 2 "])
def test_off_unless_the_operator_sets_1(tree, value):
    root, _ = tree
    with pytest.raises(FolderPathsOff, match="turned off on this server"):
        resolve_folder("data", {FOLDER_PATHS_ENV: value, FOLDER_ROOT_ENV: str(root)})


def test_nothing_from_the_client_is_consulted():
    # The switch is a function of the environment alone: no URL, header or address can reach it.
    assert list(inspect.signature(paths.folder_paths_enabled).parameters) == ["environ"]
    source = Path(paths.__file__).read_text()
    assert "st.context" not in source and "streamlit" not in source


@pytest.mark.parametrize(
    "text, expected",
    [
        ("data", "data"),
        ("data/cats", "data/cats"),
        ("./data/../data", "data"),
        ("inner", "data"),
        ("inner/cats", "data/cats"),
    ],
)
def test_folders_inside_the_root(tree, text, expected):
    root, _ = tree
    assert resolve_folder(text, env(root)) == root / expected
    assert resolve_folder(str(root / text), env(root)) == root / expected  # absolute works too


def test_the_root_itself(tree):
    root, _ = tree
    assert resolve_folder(".", env(root)) == root


@pytest.mark.parametrize(
    "text",
    [
        "out",
        "out/secret",
        "../outside",
        "../outside/secret",
        "/etc",
        "/",
        "/root/.cache",
        "data/../../outside",
        "no_such_folder",
        "/no/such/folder",
        "notes.txt",
        "loop",
        "data/dogs/elsewhere",
        "~root",
        "x" * 5000,
        "a\x00b",
        "",
        "   ",
    ],
)
def test_every_refusal_says_the_same(tree, text):
    root, _ = tree
    with pytest.raises(FolderPathError) as refused:
        resolve_folder(text, env(root))
    assert str(refused.value) == refusal(text)
    assert "root" not in str(refused.value).replace(repr(text.strip())[:80], "")  # never the root's name


def test_outside_and_missing_are_indistinguishable(tree):
    root, _ = tree
    for text in ("../outside/secret", "../outside/nothing_here", "nothing_here"):
        with pytest.raises(FolderPathError) as refused:
            resolve_folder(text, env(root))
        assert (refused.value.template, refused.value.params) == (paths.NOT_READABLE, {"path": repr(text)})


def test_home_is_the_default_root_and_tilde_means_home(tree, monkeypatch):
    root, _ = tree
    monkeypatch.setenv("HOME", str(root))
    assert paths.folder_root({}) == root
    assert resolve_folder("~/data", {FOLDER_PATHS_ENV: "1"}) == root / "data"


@pytest.mark.parametrize("text", ["/proc", "/proc/self", "/sys/kernel", "/dev", "/dev/shm", "/proc/1/root/etc"])
def test_kernel_filesystems_are_refused_even_under_a_root_of_slash(text):
    # Issue 17: a folder path of /proc gave a traceback.
    with pytest.raises(FolderPathError) as refused:
        resolve_folder(text, {FOLDER_PATHS_ENV: "1", FOLDER_ROOT_ENV: "/"})
    assert str(refused.value) == refusal(text)


def test_a_symlink_into_proc_is_refused(tmp_path):
    (tmp_path / "p").symlink_to("/proc/self")
    with pytest.raises(FolderPathError, match="no folder at"):
        resolve_folder(str(tmp_path / "p"), {FOLDER_PATHS_ENV: "1", FOLDER_ROOT_ENV: "/"})
    assert paths.filesystem_type(Path("/proc/self").resolve()) == "proc"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any folder")
def test_an_unreadable_folder(tree):
    root, _ = tree
    locked = root / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(FolderPathError, match="no folder at"):
            resolve_folder("locked", env(root))
    finally:
        locked.chmod(0o700)


def test_a_folder_this_process_may_not_enter_reads_the_same(tree, monkeypatch):
    root, _ = tree
    monkeypatch.setattr(paths.os, "access", lambda path, mode: False)  # as a non-root user would see 0o000
    with pytest.raises(FolderPathError) as refused:
        resolve_folder("data", env(root))
    assert str(refused.value) == refusal("data")


def test_an_operator_mistake_names_the_setting(tmp_path):
    with pytest.raises(FolderPathError, match=r"CNN_LAB_FOLDER_ROOT is '.*nope', which does not exist"):
        resolve_folder("x", env(tmp_path / "nope"))


def test_scanning_a_confined_folder_skips_links_that_leave_the_root(tmp_path):
    root, outside = (tmp_path / "root").resolve(), (tmp_path / "outside").resolve()
    write_shapes(root / "shapes", 3)
    write_shapes(outside, 2, seed=100)
    (root / "shapes" / "circles" / "stolen.png").symlink_to(outside / "circles" / "000.png")
    (root / "shapes" / "squares" / "more").symlink_to(outside / "squares")  # a folder link: never entered
    (root / "shapes" / "triangles").symlink_to(outside / "circles")  # a class folder that leaves the root
    (root / "shapes" / "circles" / "also.png").symlink_to(root / "shapes" / "squares" / "000.png")  # stays inside
    free = scan_image_folder(root / "shapes", validation_split=0.3)
    assert free.class_names == ("circles", "squares", "triangles")
    confined = scan_image_folder(root / "shapes", validation_split=0.3, within=root)
    assert confined.class_names == ("circles", "squares")
    files = sorted(p.relative_to(root).as_posix() for p in confined.train_files + confined.val_files)
    assert "shapes/circles/stolen.png" not in files and "shapes/circles/also.png" in files
    assert not any("/more/" in f for f in files) and len(files) == 7
    data = load_image_folder(resolve_folder("shapes", env(root)), image_size=(32, 32), within=root)
    assert len(data.y_train) + len(data.y_val) == 7


def test_an_unreadable_subfolder_is_a_message(tmp_path, monkeypatch):
    write_shapes(tmp_path, 3)
    listing = os.scandir

    def scandir(path):
        if Path(path).name == "squares":
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)  # as a folder of mode 000 reads to a user who is not root
    with pytest.raises(paths.DatasetError, match="'squares' could not be read: Permission denied"):
        scan_image_folder(tmp_path)
