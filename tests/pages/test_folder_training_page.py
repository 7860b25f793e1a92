"""The image-folder training page and the overfitting lab, driven through AppTest from app.py.

Data sets are zips of synthetic shapes made by tests/test_folders.py's helpers; the cats-and-dogs
download is pointed at file:// URLs, so nothing touches the network.
"""

import io
import shutil
import zipfile
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnn_core.data import download
from cnn_core.data.download import CATS_DOGS_FILE
from cnn_core.learning.runs import TrainingRun
from cnn_core.learning.settings import TrainingSettings
from tests.core.test_folders import shapes_members, write_shapes
from tests.support.apptest import app_test, page_path
from ui import sessions

pytestmark = pytest.mark.slow
FOLDER_PAGE = "folder_training"
LAB_PAGE = page_path("overfitting_lab")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real download, no ~/.keras, no folder paths unless a test asks, no cached data."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("CNN_LAB_FOLDER_PATHS", "0")
    monkeypatch.setattr(download, "CATS_DOGS_URL", (tmp_path / "offline" / "cats_and_dogs_filtered.zip").as_uri())
    st.cache_resource.clear()


def zip_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def open_page(page: str) -> AppTest:
    at = app_test(Path(page).stem, timeout=120)
    assert not at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def load_zip(at: AppTest, members: dict) -> AppTest:
    at.file_uploader(key="folder_zip").upload("data.zip", zip_bytes(members), "application/zip")
    at.run()
    button(at, "Load this zip").click().run()
    assert not at.exception
    return at


def test_a_zip_with_class_folders_at_its_top_is_named_after_the_upload():
    at = load_zip(open_page(FOLDER_PAGE), shapes_members("", 6))
    assert not at.error
    assert at.success[0].value.startswith("Loaded **data.zip (split 20% for validation)**"), at.success[0].value
    assert "cnn_lab_zip_" not in at.success[0].value


def test_a_zip_of_class_folders_trains_one_epoch_and_reaches_the_activation_page():
    at = open_page(FOLDER_PAGE)
    assert at.radio(key="folder_source").options == [
        "Upload a zip of class folders",
        "Cats and dogs (download, about 68 MB)",
    ]
    load_zip(at, shapes_members("shapes/", 6) | {"shapes/README.md": b"# shapes", "__MACOSX/shapes/._x": b""})
    assert not at.error
    assert "10 training and 2 validation images in 2 classes" in at.success[0].value
    assert any(c.value.startswith("2 files that are not images were left out") for c in at.caption)
    data = at.session_state["folder_data"].value  # the session keeps it in a budget lease
    assert data.class_names == ("circles", "squares") and data.input_shape == (150, 150, 3)
    assert len(at.image) == 2 + 8  # one example per class, eight images from the pipeline
    at.number_input(key="folder_epochs").set_value(1)
    at.select_slider(key="folder_batch").set_value(8).run()  # the button's callback takes the values shown
    button(at, "Start training").click().run()
    assert not at.exception and not at.error
    run = at.session_state["folder_training_run"]
    assert isinstance(run, TrainingRun) and run.augmentation is not None
    assert run.settings.epochs == 1 and run.settings.batch_size == 8 and run.settings.optimizer == "adam"
    assert run.join(timeout=300), run.error
    at.run()
    assert not at.exception and not at.error, run.error
    assert run.snapshot().status == "finished" and len(run.result.history["val_accuracy"]) == 1
    # The cat was watched: epochs 0 and 1, its first and last conv maps, 16 channels, at most 48 a side.
    assert [s.epoch for s in run.snapshots] == [0, 1]
    assert {name: maps.shape for name, maps in run.snapshots[-1].activations.items()} == {
        "conv2d_1": (1, 48, 48, 16),
        "conv2d_4": (1, 15, 15, 16),
    }
    assert any("the cat's feature maps" in expander.label for expander in at.expander)
    entry = next(iter(at.session_state["session_models"].values()))
    assert entry.task == "folder" and entry.class_names == ["circles", "squares"]
    assert entry.input_shape == (150, 150, 3) and entry.path == run.result.model_path
    assert any("Activation maps" in s.value for s in at.success)
    assert [b.label for b in at.get("download_button")] == ["Download the model (.keras)", "Download the history (CSV)"]


@pytest.mark.parametrize(
    "members, message",
    [
        ({"a/1.png": b"x", "../../evil.png": b"x"}, "'../../evil.png' has an absolute path or a '..' part"),
        ({"circles/1.png": shapes_members()["circles/0.png"]}, "at least two class folders"),
        (shapes_members() | {"triangles/readme.txt": b"no images"}, "triangles/ holds no images"),
        (
            shapes_members() | {"squares/broken.png": b"\x89PNG\r\n\x1a\n broken"},
            "'squares/broken.png' is not a readable image",
        ),
    ],
)
def test_bad_zips_get_a_message_not_a_traceback(members, message):
    at = load_zip(open_page(FOLDER_PAGE), members)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert "folder_data" not in at.session_state


def test_a_file_that_is_not_a_zip_gets_a_message():
    at = open_page(FOLDER_PAGE)
    at.file_uploader(key="folder_zip").upload("photo.zip", b"not a zip at all", "application/zip")
    at.run()
    button(at, "Load this zip").click().run()
    assert not at.exception
    assert any("not a zip archive" in e.value for e in at.error)


def test_offline_the_cats_and_dogs_option_says_so_then_a_reachable_copy_loads(tmp_path, monkeypatch):
    at = open_page(FOLDER_PAGE)
    at.radio(key="folder_source").set_value("cats").run()
    button(at, "Download and load").click().run()
    assert not at.exception
    assert any("Offline?" in e.value and "internet connection" in e.value for e in at.error)
    source = tmp_path / "mirror" / "cats_and_dogs_filtered.zip"
    source.parent.mkdir()
    source.write_bytes(
        zip_bytes(
            shapes_members("cats_and_dogs_filtered/train/", 3) | shapes_members("cats_and_dogs_filtered/validation/", 2)
        )
    )
    monkeypatch.setattr(download, "CATS_DOGS_URL", source.as_uri())
    button(at, "Download and load").click().run()
    assert not at.exception and not at.error
    assert "cats_and_dogs_filtered (train/ and validation/ folders)" in at.success[0].value
    assert (tmp_path / "keras_home" / "datasets" / CATS_DOGS_FILE).is_file()  # cached


def test_a_folder_path_is_offered_only_when_the_operator_turns_it_on(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_LAB_FOLDER_PATHS", "1")
    monkeypatch.setenv("CNN_LAB_FOLDER_ROOT", str(tmp_path))
    write_shapes(tmp_path / "one_class", 3)
    shutil.rmtree(tmp_path / "one_class" / "squares")
    write_shapes(tmp_path / "two", 4)
    at = open_page(FOLDER_PAGE)
    at.radio(key="folder_source").set_value("path").run()
    assert any(str(tmp_path) in c.value for c in at.caption), [c.value for c in at.caption]
    for path, message in (
        (tmp_path / "missing", "There is no folder at"),
        ("one_class", "at least two class folders"),
        ("/etc", "There is no folder at '/etc' that this server can read"),
    ):
        at.text_input(key="folder_path").set_value(str(path)).run()
        button(at, "Load this folder").click().run()
        assert not at.exception and any(message in e.value for e in at.error)
    at.text_input(key="folder_path").set_value(str(tmp_path / "two")).run()
    button(at, "Load this folder").click().run()
    assert not at.error and at.session_state["folder_data"].value.counts() == {"circles": (3, 1), "squares": (3, 1)}


# ---------------------------------------------------------------------------------------------
# The overfitting lab
# ---------------------------------------------------------------------------------------------


def test_the_lab_asks_for_data_first():
    at = open_page(LAB_PAGE)
    assert any("Train on image folders" in i.value for i in at.info)
    assert not at.button


def test_the_lab_runs_plain_then_regularised_on_the_same_data_and_compares_them():
    at = open_page(FOLDER_PAGE)
    load_zip(at, shapes_members("shapes/", 5))
    at.switch_page(LAB_PAGE).run()
    assert not at.exception and not at.error
    at.number_input(key="lab_epochs").set_value(1)
    at.select_slider(key="lab_batch").set_value(8).run()  # the button's callback takes the values shown
    button(at, "Start both runs").click().run()
    assert not at.exception and not at.error
    plain, regularised = at.session_state["lab_run_plain"], at.session_state["lab_run_regularised"]
    queue = sessions.supervisor().queue
    tickets = at.session_state["training_tickets"]
    assert queue.place(tickets["lab_run_plain"]).state == "running"
    assert queue.place(tickets["lab_run_regularised"]).state == "queued"  # one visitor, one slot: it waits
    assert plain.augmentation is None and regularised.augmentation is not None
    assert plain.test_data[0] is regularised.test_data[0]  # the same data, not a copy
    assert plain.settings == regularised.settings == TrainingSettings(1, 8, "adam", 1e-3)
    assert plain.join(timeout=300), plain.error
    queue.tick()  # the server's supervisor starts the second run once the first has ended
    assert queue.place(tickets["lab_run_regularised"]).state == "running"
    assert regularised.join(timeout=300), regularised.error
    at.run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["run"]) == ["Plain", "Augmentation + dropout"]
    for run, row in zip((plain, regularised), table.to_dict("records")):
        history = run.result.history
        assert row["gap"] == f"{history['accuracy'][-1] - history['val_accuracy'][-1]:+.1%}"
    dropouts = [layer.rate for layer in regularised.result.model.layers if type(layer).__name__ == "Dropout"]
    assert dropouts == [0.5] and not any(type(layer).__name__ == "Dropout" for layer in plain.result.model.layers)
    assert len(at.session_state["session_models"]) == 2
    story = next(i.value for i in at.info if i.value.startswith("Here"))
    assert (
        f"{table['gap'][0]} (plain)" in story or f"plain {table['gap'][0]}" in story or f"({table['gap'][0]})" in story
    )


def test_the_lab_waits_in_the_queue_when_the_server_is_busy(monkeypatch):
    at = open_page(FOLDER_PAGE)
    load_zip(at, shapes_members("shapes/", 3))
    at.switch_page(LAB_PAGE).run()
    queue = sessions.supervisor().queue
    holders = [queue.submit(f"someone else {i}", Forever) for i in range(queue.slots)]  # every slot taken
    try:
        button(at, "Start both runs").click().run()
        assert not at.exception and not at.error
        assert any("waiting to start" in bar.text for bar in at.get("progress"))
        plain = at.session_state["lab_run_plain"]
        assert not plain.done and plain.snapshot().status == "waiting"
        button(at, "Stop both").click().run()
        assert plain.done and plain.snapshot().status == "cancelled"
    finally:
        for ticket in holders:
            queue.cancel(ticket)
        queue.tick()


class Forever:
    """Another visitor's training that holds its slot until it is cancelled."""

    done = False

    def cancel(self):
        self.done = True

    def stop(self):
        self.done = True


def test_data_the_budget_released_leaves_the_server_and_a_late_start_says_so(monkeypatch):
    """Alice's data set, released for Bob's, is freed (nothing of her page keeps it); her Start then explains."""
    import gc
    import weakref

    from cnn_core.data.budget import MemoryBudget

    monkeypatch.setattr(sessions.supervisor(), "budget", MemoryBudget(6_000_000))  # room for one 4 MB data set
    alice = open_page(FOLDER_PAGE)
    load_zip(alice, shapes_members("shapes/", 30))
    mapped = weakref.ref(alice.session_state["folder_data"].value.x_train)
    bob = open_page(FOLDER_PAGE)
    load_zip(bob, shapes_members("shapes/", 30))
    assert alice.session_state["folder_data"].value is None  # released: Bob's is the newer
    # Alice's page still shows its Start button, whose callback outlives her last run.
    button(alice, "Start training").click().run()
    assert not alice.exception
    assert "folder_training_run" not in alice.session_state  # nothing started on data that is gone
    assert alice.file_uploader(key="folder_zip")  # the page asks for data again (app.py's notice says why)
    gc.collect()
    assert mapped() is None  # no page global, callback or widget kept the released pictures
    load_zip(alice, shapes_members("shapes/", 4))  # a smaller set fits beside Bob's; no stale refusal shows
    assert not alice.error and alice.session_state["folder_data"].value is not None


def test_the_lab_starts_nothing_on_data_the_budget_released_since_its_page_was_drawn(monkeypatch):
    from cnn_core.data.budget import MemoryBudget

    monkeypatch.setattr(sessions.supervisor(), "budget", MemoryBudget(6_000_000))
    alice = open_page(FOLDER_PAGE)
    load_zip(alice, shapes_members("shapes/", 30))
    alice.switch_page(LAB_PAGE).run()
    assert button(alice, "Start both runs")
    bob = open_page(FOLDER_PAGE)
    load_zip(bob, shapes_members("shapes/", 30))  # Alice's data set is released for Bob's
    button(alice, "Start both runs").click().run()
    assert not alice.exception
    assert "lab_run_plain" not in alice.session_state and "lab_run_regularised" not in alice.session_state
    assert any("First load a data set" in info.value for info in alice.info)
