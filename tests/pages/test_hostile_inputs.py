"""Hostile inputs, project-wide: bad files into every uploader and camera, every slider and
number input pushed to both ends, and bad cells in every editable grid, on every page. No
exception may reach the page: each case shows a message (st.error / st.warning / st.info) or works.

Covered end to end, through ``streamlit.testing.v1.AppTest``, whose ``FileUploader`` and
``CameraInput`` elements (``set_value``) put the bytes into Streamlit's upload manager and send the
widget state a browser sends, so each page's own upload path runs:

- every image uploader and camera: Convolution (upload input, grey at 16 px and colour at 64 px
  with 4 filters), Augmentation (upload), Activation maps (upload and camera with the shipped grey
  MNIST model; upload with the colour seed model), Read my digit (upload and camera); each gets the
  cases of ``tests/support/hostile_files.bad_images``. A file ``cnn_core.vision.images`` cannot decode must give
  exactly one ``st.error`` that carries the decoder's reason; a decodable one must not be refused
  (the page may still explain why it cannot use it, e.g. "too small to hold a digit"), and no page
  may send more than ``MAX_CHART_MB`` of charts.
- the zip uploader of "Train on image folders": every case of ``bad_zips`` is uploaded and
  "Load this zip" pressed; each must be refused with one ``st.error`` and leave no data set
  loaded (among them issue 17's: entry floods in a zip64 or a lying end record, 100,000 folders,
  a 300-character folder name, Deflate64, a name flagged UTF-8 that is not, an encrypted member).
  A zip of every decodable oddity (plus skipped files and a symlink) must load, as must the
  issue's 3 kB zip of eight 16-bit 4000x4000 PNGs, and a good zip is loaded with the image-count
  and validation-share widgets at both ends.
- the folder-path source: a session whose URL, headers and query claim "localhost" (as behind a
  same-host proxy) is not offered it unless the operator set ``CNN_LAB_FOLDER_PATHS=1``; with it
  on, a folder outside ``CNN_LAB_FOLDER_ROOT`` gets the same message as one that does not exist.
- every slider, range slider, select slider and number input of every page, found by walking the
  page: each goes to its minimum and its maximum (number inputs without bounds get -1, 0 and 10^9),
  one at a time, then all at once; radios and selectboxes of up to ``MAX_CHOICES`` options are
  switched to each option first (two levels deep), so the widgets they reveal are walked too. The
  folder pages get a small data set in their session so their training widgets show. No button is
  pressed, so nothing trains; the MNIST page's subset size 0 (and -5, 10^9) must block the start.
- every editable grid (the concept pages' inputs and kernels) gets cells such as "1e9999999",
  a 400-digit number, "nan", "1/0", emoji and 10,000 characters; each must be named in an error.

At the function level, the same files go straight into ``cnn_core.load_image`` and
``cnn_core.extract_image_zip`` (+ ``load_image_folder``), to check what comes out (a
uint8 picture of the documented shape, or a named error) and that nothing lands outside the
target folder. Not covered: the drawing pad (a component AppTest cannot drive; the walk only
checks that choosing it raises nothing) and the live-video mode (needs streamlit-webrtc).
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.data import download
from cnn_core.data.errors import DatasetError
from cnn_core.data.folders import MAX_IMAGES, ImageFolderData, load_image_folder
from cnn_core.data.zips import extract_image_zip
from cnn_core.vision.images import ImageError, load_image
from tests.support.apptest import page_test
from tests.support.hostile_files import (
    REFUSED_IMAGES,
    as_camera_shot,
    awkward_but_readable_zip,
    bad_images,
    bad_zips,
    class_folders,
    many_odd_classes_zip,
    sixteen_bit_giants_zip,
    zip_of,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pytestmark = pytest.mark.slow

TIMEOUT = 120  # seconds per script run; the Keras pages build models on their first run
UNBOUNDED = {"int": (-1, 0, 10**9), "float": (-1.0, 0.0, 1e9)}
MAX_CHART_MB = 20  # the heaviest page here sends under 3 MB; 20 would already freeze a phone
MAX_CHOICES = 12  # selectboxes with more options are not walked
# The activation page runs its model on every rerun (about a second): there only selectboxes of up
# to 4 options (the model) are walked, not the layer and class pickers.
MAX_CHOICES_ON = {"activations": 4}
IMAGE_CASES = list(bad_images())
ZIP_CASES = list(bad_zips())


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No network, no ~/.keras, no local folder paths."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("CNN_LAB_FOLDER_PATHS", "0")
    monkeypatch.setattr(download, "CATS_DOGS_URL", (tmp_path / "offline" / "cats_and_dogs_filtered.zip").as_uri())


# Running pages and reading what they show ------------------------------------------------------------


def page(name: str, **state) -> AppTest:
    """An AppTest of pages/<name>.py with ``state`` in its session, not run yet."""
    return page_test(name, timeout=TIMEOUT, **state)


def run(at: AppTest, what: str) -> str | None:
    """Run the script once; a description of the failure if it raised or showed an exception."""
    try:
        at.run()
    except Exception as exc:  # A timeout or an error in AppTest itself: the run did not finish.
        return f"{what}: the run raised {exc!r}\n{traceback.format_exc(limit=3)}"
    if at.exception:
        shown = "\n".join(f"{e.message}\n{''.join(e.stack_trace[-6:])}" for e in at.exception)
        return f"{what}: exception on the page:\n{shown}"
    return None


def must_run(at: AppTest, what: str) -> AppTest:
    failure = run(at, what)
    assert failure is None, failure
    return at


def chart_megabytes(at: AppTest) -> float:
    """How much chart data the page sends to the browser (a tab chokes on hundreds of MB)."""
    return sum(len(chart.proto.spec) for chart in at.get("plotly_chart")) / 1e6  # AppTest's element, as sent


def messages(at: AppTest, kind: str) -> list[str]:
    return [element.value for element in getattr(at, kind)]


def find(at: AppTest, kind: str, widget_id: str):
    """The widget of this kind and id in the latest run's tree, or None if the page no longer shows it."""
    return next((w for w in at.get(kind) if w.id == widget_id), None)


def option_value(widget, shown: str):
    """The value behind an option as displayed, found through the widget's public ``format_func``.

    A browser sends the displayed text of a radio, selectbox or select-slider option; AppTest's
    ``set_value`` wants the value behind it. The candidates are the keys of a dict whose ``get`` is
    the format function, the displayed texts themselves, the numbers they spell, and small ints
    (index-like options).
    """
    show = widget.format_func
    candidates = list(getattr(getattr(show, "__self__", None), "keys", lambda: [])())
    candidates += list(widget.options) + list(range(-1, len(widget.options) + 12))
    for text in widget.options:
        try:
            number = float(text)
        except ValueError:
            continue
        candidates += [number, int(number)] if number.is_integer() else [number]
    for value in candidates:
        try:
            if str(show(value)) == shown:
                return value
        except Exception:  # A format function outside its domain: not this candidate.
            continue
    raise AssertionError(f"no value of {widget.label!r} is displayed as {shown!r}")


def choose(widget, shown: str | list[str]) -> None:
    """Make the next run send ``shown`` (an option as displayed) for this widget, as a browser does."""
    if widget.type == "select_slider":
        values = [option_value(widget, text) for text in shown]
        widget.set_value(values[0] if len(values) == 1 else tuple(values))
    else:
        widget.set_value(option_value(widget, shown))


def shown_value(widget) -> str | list[str]:
    """The widget's current value as the browser would send it (see ``choose``)."""
    if widget.type == "select_slider":
        value = widget.value
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        return [widget.format_func(v) for v in values]
    return widget.options[widget.index]


# Walking a page: every choice, every widget to both ends -----------------------------------------


def ends(widget) -> list:
    """The values to try: both ends of its range (as displayed, for a select slider)."""
    if widget.type == "select_slider":
        first, last = widget.options[0], widget.options[-1]
        if isinstance(widget.value, (list, tuple)):
            return [[first, first], [last, last], [first, last]]
        return [[first], [last]]
    if widget.type == "slider":
        first = widget.value[0] if isinstance(widget.value, (list, tuple)) else widget.value
        cast = int if isinstance(first, int) else float
        low, high = cast(widget.min), cast(widget.max)
        if isinstance(widget.value, (list, tuple)):
            return [(low, low), (high, high), (low, high)]
        return [low, high]
    is_int = isinstance(widget.value, int) or (widget.value is None and float(widget.step).is_integer())
    cast = int if is_int else float
    unbounded = UNBOUNDED["int" if is_int else "float"]
    low = [cast(widget.min)] if widget.min is not None else list(unbounded[:2])
    high = [cast(widget.max)] if widget.max is not None else [unbounded[2]]
    return low + high


def set_to(widget, value) -> None:
    if widget.type == "select_slider":
        choose(widget, value)
    else:
        widget.set_value(value)


def current(widget):
    return shown_value(widget) if widget.type == "select_slider" else widget.value


NUMERIC = ("slider", "select_slider", "number_input")


class Walk:
    """Walks one page: switches its choices and pushes its numeric widgets to both ends."""

    def __init__(self, at: AppTest, name: str, depth: int = 2):
        self.at, self.name, self.depth = at, name, depth
        self.max_choices = MAX_CHOICES_ON.get(name, MAX_CHOICES)
        self.failures: list[str] = []
        self.pushed: set[str] = set()
        self.chosen: set[tuple[str, str]] = set()
        self.runs = 0

    def step(self, what: str) -> None:
        self.runs += 1
        failure = run(self.at, f"{self.name}: {what}")
        if failure:
            self.failures.append(failure)

    def numeric(self) -> list:
        return [w for kind in NUMERIC for w in self.at.get(kind) if not w.disabled]

    def choices(self) -> list:
        boxes = [w for w in self.at.selectbox if 1 < len(w.options) <= self.max_choices]
        return [w for w in [*self.at.radio, *boxes] if not w.disabled]

    def push_widgets(self) -> None:
        """Each numeric widget not pushed yet: to every end, one at a time, then back.

        A widget goes back to its first value in the same run as the next widget's first end, to
        save a run per widget; the last one goes back in a run of its own.
        """
        restore = None  # (kind, id, label, value) of the widget pushed last
        for widget in self.numeric():
            if widget.id in self.pushed:
                continue
            self.pushed.add(widget.id)
            kind, original = widget.type, current(widget)
            for value in ends(widget):
                target = find(self.at, kind, widget.id)
                if target is None:
                    break
                set_to(target, value)
                what = f"{widget.label!r} = {value!r}"
                if restore is not None:
                    what += self.put_back(*restore)
                    restore = None
                self.step(what)
            restore = (kind, widget.id, widget.label, original)
        if restore is not None:
            what = self.put_back(*restore)
            if what:
                self.step(what.removeprefix(", "))

    def put_back(self, kind: str, widget_id: str, label: str, value) -> str:
        """Stage a widget's first value for the next run; the note to add to that run's description."""
        target = find(self.at, kind, widget_id)
        if target is None:
            return ""
        set_to(target, value)
        return f", {label!r} back to {value!r}"

    def all_at(self, end: int) -> None:
        """Every numeric widget at its low (0) or high (-1) end in one run, twice (new ones appear)."""
        for _ in range(2):
            for widget in self.numeric():
                set_to(widget, ends(widget)[end])
            self.step("every widget at its " + ("minimum" if end == 0 else "maximum"))

    def walk(self, depth: int | None = None) -> None:
        depth = self.depth if depth is None else depth
        self.push_widgets()
        if depth == 0:
            return
        for widget in self.choices():
            original = shown_value(widget)
            self.chosen.add((widget.id, original))
            for option in widget.options:
                if (widget.id, option) in self.chosen:
                    continue
                self.chosen.add((widget.id, option))
                target = find(self.at, widget.type, widget.id)
                if target is None:
                    break
                choose(target, option)
                self.step(f"{widget.label!r} = {option!r}")
                self.walk(depth - 1)
            target = find(self.at, widget.type, widget.id)
            if target is not None and shown_value(target) != original:
                choose(target, original)
                self.step(f"{widget.label!r} back to {original!r}")

    def report(self) -> str:
        return f"{len(self.failures)} failing run(s) of {self.runs} on {self.name}:\n\n" + "\n\n".join(self.failures)


def tiny_folder_data() -> ImageFolderData:
    """Two classes of three 150 x 150 noise pictures each, as the folder page would load them."""
    rng = np.random.default_rng(0)
    pictures = rng.integers(0, 256, (6, 150, 150, 3), dtype=np.uint8)
    return ImageFolderData(
        ("cats", "dogs"),
        pictures[:4],
        np.array([0, 0, 1, 1], np.int32),
        pictures[4:],
        np.array([0, 1], np.int32),
        "tiny (test)",
    )


WALKS = {
    "convolution": {},
    "padding": {},
    "stride": {},
    "pooling": {},
    "augmentation": {},
    "training": {},
    "folder_training": {"folder_data": "tiny"},
    "overfitting_lab": {"folder_data": "tiny"},
    "activations": {},
    "digits": {},
}

WITHOUT_NUMBERS = {"digits"}  # its inputs are a camera, a drawing pad, an upload and a sample button


@pytest.mark.parametrize("name", list(WALKS))
def test_every_choice_and_every_widget_at_both_ends(name):
    state = {key: tiny_folder_data() if value == "tiny" else value for key, value in WALKS[name].items()}
    walk = Walk(page(name, **state), name)
    walk.step("first run")
    assert not walk.failures, walk.report()
    if name not in WITHOUT_NUMBERS:
        assert walk.numeric(), f"{name} shows no slider or number input: the walk would test nothing"
    walk.walk()
    walk.all_at(0)
    walk.all_at(-1)
    assert not walk.failures, walk.report()


@pytest.mark.parametrize(
    "setting, values, named",
    [
        ("subset size", (0, -5, 1, 10**9), "training data"),  # 1 digit cannot be split for validation
        ("epochs", (0, -1, 101, 10**9), "epochs"),
        ("learning rate", (0.0, -1.0, 2.0, 1e9), "learning_rate"),
    ],
)
def test_mnist_bad_settings_block_the_start_with_a_message(setting, values, named):
    at = must_run(page("training"), "first run")
    radio = next(r for r in at.radio if any("subset" in o.lower() for o in r.options))
    choose(radio, next(o for o in radio.options if "subset" in o.lower()))
    must_run(at, "choose a subset")
    widget = next(n for n in at.number_input if setting in n.label.lower())
    for value in values:
        find(at, "number_input", widget.id).set_value(value)
        must_run(at, f"{setting} = {value}")
        errors = messages(at, "error")
        assert any(named in text.lower() or setting in text.lower() for text in errors), (value, errors)
        start = next(b for b in at.button if "start" in b.label.lower())
        assert start.disabled, f"{setting} = {value}: the start button must be disabled"
        assert "mnist_training_run" not in at.session_state


# Image uploaders and cameras -----------------------------------------------------------------------


UPLOADERS = {
    # name: (page, state that reveals it, "file" or "camera", widget key)
    "convolution upload": ("convolution", {"conv_source": "upload"}, "file", "conv_upload"),
    "convolution upload (RGB, 64 px, 4 filters)": (
        "convolution",
        {"conv_source": "upload", "conv_channels": 3, "conv_upload_height": 64, "conv_filters": 4},
        "file",
        "conv_upload",
    ),
    "augmentation upload": ("augmentation", {"aug_source": "Upload a photo"}, "file", "aug_upload"),
    "activations upload (MNIST model)": (
        "activations",
        {"activations_source_grey": "Upload a picture"},
        "file",
        "activations_upload",
    ),
    "activations camera (MNIST model)": (
        "activations",
        {"activations_source_grey": "Camera"},
        "camera",
        "activations_camera",
    ),
    "activations upload (colour seed model)": (
        "activations",
        {"activations_model": "Seed cats-vs-dogs convnet (untrained)", "activations_source_colour": "Upload a picture"},
        "file",
        "activations_upload",
    ),
    "digits upload": ("digits", {"digit_source": "Upload a photo"}, "file", "digit_upload"),
    "digits camera": ("digits", {"digit_source": "Camera"}, "camera", "digit_camera"),
}


# The colour model reads the same upload through the same decoder as the grey one; only pictures
# whose channels or shape are unusual take a different path after decoding, so only those go there.
COLOUR_ONLY = (
    "1x1 pixel",
    "2000x1 sliver",
    "1x2000 sliver",
    "RGBA PNG",
    "16-bit grayscale PNG",
    "CMYK JPEG",
    "animated GIF",
    "truncated JPEG",
)
UPLOAD_CASES = [
    (uploader, case)
    for uploader in UPLOADERS
    for case in IMAGE_CASES
    if "colour" not in uploader or case in COLOUR_ONLY
]


@pytest.mark.parametrize("uploader, case", UPLOAD_CASES)
def test_image_uploaders_and_cameras_refuse_bad_files_with_a_message(uploader, case):
    name, state, kind, key = UPLOADERS[uploader]
    upload = bad_images()[case]
    at = page(name, **state)
    must_run(at, f"{uploader}: first run")
    widgets = [w for w in at.get(f"{kind}_input" if kind == "camera" else "file_uploader") if w.key == key]
    assert widgets, f"{uploader}: no {kind} widget with key {key!r} on the page"
    widgets[0].set_value(tuple(as_camera_shot(upload) if kind == "camera" else upload))
    must_run(at, f"{uploader} <- {case}")
    assert chart_megabytes(at) < MAX_CHART_MB, f"{uploader} <- {case}: {chart_megabytes(at):.0f} MB of charts"
    errors = messages(at, "error")
    refusals = [text for text in errors if text.lower().startswith("could not")]
    if case in REFUSED_IMAGES:
        with pytest.raises(ImageError) as reason:
            load_image(upload.data)
        assert len(errors) == len(refusals) == 1, f"{uploader} <- {case}: expected one refusal, got {errors}"
        assert str(reason.value) in refusals[0], refusals  # says why, in cnn_core.vision.images' words
    else:
        # Decoded; the page may still explain why it cannot use it (e.g. too small to hold a digit).
        assert not refusals, f"{uploader} <- {case}: a decodable picture was refused: {errors}"


@pytest.mark.parametrize("case", IMAGE_CASES)
def test_load_image_refuses_bad_files_and_decodes_the_rest(case):
    upload = bad_images()[case]
    if case in REFUSED_IMAGES:
        with pytest.raises(ImageError) as refused:
            load_image(upload.data)
        assert str(refused.value)
        return
    for mode, channels in (("RGB", (3,)), ("L", ())):
        picture = load_image(upload.data, mode=mode, max_side=512)
        assert picture.dtype == np.uint8 and picture.ndim == 2 + len(channels)
        assert picture.shape[2:] == channels and 1 <= min(picture.shape[:2]) and max(picture.shape[:2]) <= 512


def test_load_image_handles_the_awkward_formats_as_documented():
    rgb = {
        case: load_image(bad_images()[case].data)
        for case in ("RGBA PNG", "16-bit grayscale PNG", "CMYK JPEG", "animated GIF", "6000x4000 JPEG photo")
    }
    assert (rgb["RGBA PNG"][:, :16] == 0).all() and (rgb["RGBA PNG"][:, 16:] == 255).all()  # onto white
    deep = rgb["16-bit grayscale PNG"][..., 0]
    assert deep.min() == 0 and deep.max() == 255 and (np.diff(deep.astype(int), axis=1) >= 0).all()  # stretched
    assert (rgb["animated GIF"] == (255, 0, 0)).all()  # the first frame
    assert rgb["CMYK JPEG"].shape == (30, 40, 3) and np.ptp(rgb["CMYK JPEG"]) > 0
    assert rgb["6000x4000 JPEG photo"].shape == (683, 1024, 3)


# The zip uploader --------------------------------------------------------------------------------


def folder_page_with_zip(upload) -> AppTest:
    at = page("folder_training", folder_source="zip")
    must_run(at, "folder page: first run")
    at.file_uploader(key="folder_zip").set_value(tuple(upload))
    must_run(at, f"folder page <- {upload.name}")
    load = next(b for b in at.button if b.label == "Load this zip")
    load.click()
    must_run(at, f"folder page: load {upload.name}")
    return at


@pytest.mark.parametrize("case", ZIP_CASES)
def test_folder_zip_uploader_refuses_bad_archives_with_a_message(case, tmp_path):
    before = set(Path("/tmp").glob("cnn_lab_evil*"))
    at = folder_page_with_zip(bad_zips()[case])
    errors = messages(at, "error")
    assert len(errors) == 1, f"{case}: expected one error message, got {errors}"
    assert "folder_data" not in at.session_state, f"{case}: a data set was loaded"
    assert set(Path("/tmp").glob("cnn_lab_evil*")) == before


@pytest.mark.parametrize("case", ZIP_CASES)
def test_extract_image_zip_refuses_bad_archives_without_writing_outside(case, tmp_path):
    upload = bad_zips()[case]
    dest = tmp_path / "sandbox" / "data"
    (tmp_path / "zip").write_bytes(upload.data)
    with pytest.raises(DatasetError) as refused:
        report = extract_image_zip(tmp_path / "zip", dest)
        load_image_folder(report.root)
    assert str(refused.value)
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and dest not in p.parents and p.name != "zip"]
    assert not outside, outside
    assert not (tmp_path / "sandbox" / "evil.png").exists()


def test_folder_zip_of_awkward_but_readable_pictures_loads_them_all():
    upload = awkward_but_readable_zip()
    at = folder_page_with_zip(upload)
    assert not messages(at, "error"), messages(at, "error")
    data = at.session_state["folder_data"].value  # the session keeps it in a budget lease
    readable = len(bad_images()) - len(REFUSED_IMAGES) - 1  # all but the 24 MP photo
    assert data.class_names == ("cats", "dogs") and len(data.y_train) + len(data.y_val) == 2 * readable
    assert data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (150, 150, 3)


def test_folder_zip_of_eight_16_bit_giants_loads():
    # Issue 17: this 3 kB zip added 604 MB on the server; each picture now decodes within the cap.
    at = folder_page_with_zip(sixteen_bit_giants_zip())
    assert not messages(at, "error"), messages(at, "error")
    data = at.session_state["folder_data"].value  # the session keeps it in a budget lease
    assert len(data.y_train) + len(data.y_val) == 8 and data.x_train.shape[1:] == (150, 150, 3)


def test_folder_zip_with_thirty_oddly_named_classes_loads():
    at = folder_page_with_zip(many_odd_classes_zip())
    assert not messages(at, "error"), messages(at, "error")
    assert at.session_state["folder_data"].value.num_classes == 30


@pytest.mark.parametrize("per_class, split", [(1, 0.1), (1, 0.5), (MAX_IMAGES, 0.1), (MAX_IMAGES, 0.5)])
def test_folder_zip_with_settings_at_both_ends_loads_or_says_why(per_class, split):
    upload = ("good.zip", zip_of(class_folders(per_class=4)), "application/zip")
    at = page("folder_training", folder_source="zip", folder_max_per_class=per_class, folder_validation_split=split)
    must_run(at, "folder page: first run")
    at.file_uploader(key="folder_zip").set_value(upload)
    must_run(at, "folder page <- good.zip")
    next(b for b in at.button if b.label == "Load this zip").click()
    must_run(at, f"load good.zip with {per_class} per class, validation {split}")
    if per_class == 1:
        # One image per class cannot be split into training and validation: a message, no data.
        assert messages(at, "error") and "folder_data" not in at.session_state
    else:
        assert not messages(at, "error") and at.session_state["folder_data"].value.num_classes == 2


# The folder-path source: the operator's switch, never the browser's claim --------------------------


@pytest.fixture
def claims_localhost(monkeypatch):
    """Every st.context field a browser or a same-host proxy controls says "this is localhost"."""
    from streamlit.runtime.context import ContextProxy, StreamlitHeaders

    forged = {"Host": "localhost:8501", "Origin": "http://localhost:8501", "Referer": "http://localhost:8501/"}
    monkeypatch.setattr(ContextProxy, "url", property(lambda self: "http://localhost:8501/folder_training"))
    monkeypatch.setattr(ContextProxy, "ip_address", property(lambda self: None))
    monkeypatch.setattr(ContextProxy, "headers", property(lambda self: StreamlitHeaders(forged.items())))


def folder_page_claiming_localhost(**state) -> AppTest:
    at = page("folder_training", **state)
    at.query_params["host"] = "localhost"
    return must_run(at, "folder page, claiming localhost")


def test_a_localhost_claim_does_not_offer_server_folders(claims_localhost, monkeypatch):
    monkeypatch.delenv("CNN_LAB_FOLDER_PATHS", raising=False)
    at = folder_page_claiming_localhost()
    assert at.radio(key="folder_source").options == [
        "Upload a zip of class folders",
        "Cats and dogs (download, about 68 MB)",
    ]
    # Even a session that says it chose the folder source gets no path box.
    at = folder_page_claiming_localhost(folder_source="path")
    assert not [w for w in at.text_input if w.key == "folder_path"]


def test_with_folder_paths_on_outside_and_missing_read_the_same(claims_localhost, monkeypatch, tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    for folder in (root / "cats", root / "dogs", outside / "cats", outside / "dogs"):
        folder.mkdir(parents=True)
    monkeypatch.setenv("CNN_LAB_FOLDER_PATHS", "1")
    monkeypatch.setenv("CNN_LAB_FOLDER_ROOT", str(root))
    at = folder_page_claiming_localhost(folder_source="path")
    answers = {}
    for typed in ("../outside", "../missing", "/etc", "/proc"):
        find(at, "text_input", at.text_input(key="folder_path").id).set_value(typed)
        must_run(at, f"folder path {typed!r}")
        next(b for b in at.button if b.label == "Load this folder").click()
        must_run(at, f"load folder path {typed!r}")
        errors = messages(at, "error")
        assert len(errors) == 1, (typed, errors)
        answers[typed] = errors[0].replace(repr(typed), "<typed>")
        assert "folder_data" not in at.session_state
    assert len(set(answers.values())) == 1, answers


# Editable grids (kernels and inputs of the concept pages) ---------------------------------------

HOSTILE_CELLS = ["1e9999999", "9" * 400, "1e400", "nan", "1/0", "", "😀", "x" * 10_000, "1/2/3", "-"]


def grid_editors(at: AppTest) -> list[tuple[str, str]]:
    """(key, first column name) of every editable grid on the page."""
    return [
        (frame.key, str(frame.value.columns[0]))
        for frame in at.get("dataframe")
        if frame.key and frame.editing_mode != "read_only"
    ]


@pytest.mark.parametrize("name", ["convolution", "pooling"])
def test_editable_grids_refuse_hostile_cells_with_a_message(name):
    at = must_run(page(name), f"{name}: first run")
    editors = grid_editors(at)
    assert editors, f"{name}: no editable grid found"
    for key, column in editors:
        for cell in HOSTILE_CELLS:
            at.session_state[key] = {"edited_rows": {0: {column: cell}}, "added_rows": [], "deleted_rows": []}
            must_run(at, f"{name}: {key} row 1 <- {cell[:20]!r}")
            assert any("row 1, column 1" in text for text in messages(at, "error")), (
                key,
                cell[:20],
                messages(at, "error"),
            )
        at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}
        must_run(at, f"{name}: {key} restored")
        assert not messages(at, "error")
