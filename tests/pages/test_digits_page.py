"""The "Read my digit" page, driven through AppTest: camera, upload, sample, models, live mode."""

from __future__ import annotations

import importlib.machinery
import sys
import types

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.models import build_mnist_convnet
from cnn_core.vision.snapshots import synthetic_snapshot
from tests.support.apptest import page_test
from ui.state import SessionModel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mnist_test():
    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


def jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()


def page() -> AppTest:
    at = page_test("digits")
    at.run()
    assert not at.exception
    return at


def readings(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_camera_snapshot_is_read_with_the_augmented_model_by_default(mnist_test):
    x_test, y_test = mnist_test
    at = page()
    assert at.selectbox[0].value == "MNIST convnet with augmentation (shipped)"
    assert "Live video" not in at.radio[0].options  # no streamlit-webrtc or TURN server here
    at.camera_input[0].set_value(("shot.jpg", jpeg(synthetic_snapshot(x_test[0], rng=0)), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert readings(at)["The model reads"] == str(y_test[0])
    assert len(at.get("plotly_chart")) == 1
    captions = [caption for image in at.get("image") for caption in image.captions]
    assert captions[0] == "Grayscale, denoised" and "what the model sees" in captions[-1]


def test_camera_snapshot_of_blank_paper_says_there_is_no_digit():
    at = page()
    blank = synthetic_snapshot(np.zeros((28, 28), np.uint8), rng=3)
    at.camera_input[0].set_value(("blank.jpg", jpeg(blank), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert any("No digit found" in w.value for w in at.warning)
    assert not at.metric


def test_a_number_on_paper_is_read_digit_by_digit(mnist_test):
    x_test, y_test = mnist_test
    strip = np.concatenate([x_test[np.flatnonzero(y_test == d)[0]][:, 3:25] for d in (2, 0, 2, 6)], axis=1)
    snapshot = synthetic_snapshot(strip, rng=7, height_fraction=(0.3, 0.4))
    at = page()
    at.camera_input[0].set_value(("number.jpg", jpeg(snapshot), "image/jpeg")).run()
    assert not at.exception
    assert readings(at) == {"The model reads 4 digits": "2026"}


def test_bad_files_get_a_clear_message_and_the_page_keeps_working(mnist_test):
    x_test, y_test = mnist_test
    at = page()
    at.camera_input[0].set_value(("broken.jpg", b"this is not a jpeg", "image/jpeg")).run()
    assert not at.exception
    assert any("Could not read that picture" in e.value for e in at.error)
    at.radio[0].set_value("Upload a photo").run()
    at.file_uploader[0].set_value(("notes.png", b"%PDF-1.4 not an image", "image/png")).run()
    assert not at.exception
    assert any("not an image" in e.value for e in at.error)
    huge = cv2.resize(synthetic_snapshot(x_test[1], rng=1), (6000, 4500), interpolation=cv2.INTER_LINEAR)
    at.file_uploader[0].set_value(("huge.jpg", jpeg(huge, quality=70), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert readings(at)["The model reads"] == str(y_test[1])  # downscaled on upload, then read


def test_model_choice_offers_the_seed_model_and_this_sessions_mnist_models(mnist_test):

    _x_test, _ = mnist_test
    at = page_test("digits")
    untrained = SessionModel("my net", build_mnist_convnet(), "mnist", [str(i) for i in range(10)], (28, 28, 1))
    folder = SessionModel("pets", object(), "folder", ["cat", "dog"], (150, 150, 3))
    at.session_state["session_models"] = {"my net": untrained, "pets": folder}
    at.run()
    options = at.selectbox[0].options
    assert "MNIST convnet (seed recipe, shipped)" in options
    assert "my net (trained in this session)" in options
    assert not any("pets" in option for option in options)  # a cats-vs-dogs model cannot read digits
    at.radio[0].set_value("Sample snapshot").run()
    for option in ("MNIST convnet (seed recipe, shipped)", "my net (trained in this session)"):
        at.selectbox[0].set_value(option).run()
        assert not at.exception and "The model reads" in readings(at)


def test_sample_snapshot_is_read_and_a_new_one_can_be_drawn():
    at = page()
    at.radio[0].set_value("Sample snapshot").run()
    first = at.session_state["digit_sample"]
    assert "The model reads" in readings(at)
    at.button[0].click().run()
    assert not at.exception and "The model reads" in readings(at)
    assert isinstance(at.session_state["digit_sample"], int) and 0 <= first < 10_000


def test_drawing_pad_renders_without_error():
    at = page()
    at.radio[0].set_value("Draw").run()
    assert not at.exception and not at.error


def test_live_video_appears_only_with_streamlit_webrtc_and_a_turn_server(monkeypatch, mnist_test):
    """A stand-in streamlit_webrtc records what the page asks of it; its frame callback must read digits."""
    x_test, _y_test = mnist_test
    calls = {}
    webrtc = types.ModuleType("streamlit_webrtc")
    webrtc.__spec__ = importlib.machinery.ModuleSpec("streamlit_webrtc", None)
    webrtc.WebRtcMode = types.SimpleNamespace(SENDRECV="sendrecv")
    webrtc.webrtc_streamer = lambda **kwargs: calls.update(kwargs)

    class Frame:
        def __init__(self, image):
            self.image = image

        def to_ndarray(self, format):
            assert format == "rgb24"
            return self.image.copy()

        @staticmethod
        def from_ndarray(image, format):
            return Frame(image)

    av = types.ModuleType("av")
    av.VideoFrame = Frame
    monkeypatch.setitem(sys.modules, "streamlit_webrtc", webrtc)
    monkeypatch.setitem(sys.modules, "av", av)

    at = page()
    assert "Live video" not in at.radio[0].options  # installed, but no TURN server configured

    monkeypatch.setenv("TURN_URL", "turn:turn.example.org:3478")
    monkeypatch.setenv("TURN_USERNAME", "lab")
    monkeypatch.setenv("TURN_CREDENTIAL", "secret")
    at = page()
    at.radio[0].set_value("Live video").run()
    assert not at.exception
    assert calls["rtc_configuration"] == {
        "iceServers": [{"urls": ["turn:turn.example.org:3478"], "username": "lab", "credential": "secret"}]
    }
    snapshot = synthetic_snapshot(x_test[0], rng=0)
    out = calls["video_frame_callback"](Frame(snapshot)).image
    assert out.shape == snapshot.shape and not np.array_equal(out, snapshot)  # the answer is written on it
    blank = synthetic_snapshot(np.zeros((28, 28), np.uint8), rng=1)
    assert calls["video_frame_callback"](Frame(blank)).image.shape == blank.shape  # no digit: no exception
