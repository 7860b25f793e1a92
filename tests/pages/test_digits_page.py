"""The "Read my digit" page, driven through AppTest: camera, upload, sample, models, live mode,
and what it says of a picture that is not a digit, checked against ``read_digit`` itself."""

from __future__ import annotations

import base64
import importlib.machinery
import io
import json
import sys
import types

import cv2
import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnn_core import read_digit
from cnn_core.data.mnist import load_mnist
from cnn_core.i18n import translate
from cnn_core.learning.models import build_mnist_convnet
from cnn_core.vision.images import load_image
from cnn_core.vision.snapshots import synthetic_snapshot
from tests.support.apptest import page_test
from tests.support.languages import has_hangul, untranslated, visible_texts
from ui.state import SessionModel

pytestmark = pytest.mark.slow

READER = 'Digit reader (default, knows "not a digit")'
SEED = "MNIST convnet (seed recipe, shipped)"


@pytest.fixture(scope="module")
def mnist_test():
    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


def jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return encoded.tobytes()


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def smiley() -> np.ndarray:
    """A smiley in dark ink on lit paper, 320x240 RGB: a face, two eyes and a smile."""
    paper = np.full((240, 320, 3), 225, np.uint8)
    cv2.circle(paper, (160, 120), 80, (30, 30, 30), 6)
    for eye in (130, 190):
        cv2.circle(paper, (eye, 95), 10, (30, 30, 30), -1)
    cv2.ellipse(paper, (160, 130), (45, 35), 0, 20, 160, (30, 30, 30), 6)
    return paper


def page(timeout: float = 60, session_models: dict | None = None, lang: str | None = None) -> AppTest:
    at = page_test("digits", timeout=timeout)
    if session_models:
        at.session_state["session_models"] = session_models
    if lang:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    return at


def chart_probabilities(at: AppTest, key: str = "digit_probabilities") -> np.ndarray:
    """The bar heights of the probability chart with ``key``, as plotly.js receives them."""
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(charts) == 1, f"no single chart with key {key!r}"
    y = json.loads(charts[0].proto.spec)["data"][0]["y"]
    if isinstance(y, dict):  # plotly's base64 typed array
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"])).astype(float)
    return np.array(y, dtype=float)


def captions(at: AppTest) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


def readings(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_camera_snapshot_is_read_with_the_digit_reader_by_default(mnist_test):
    x_test, y_test = mnist_test
    at = page()
    assert at.selectbox[0].value == READER
    assert "Live video" not in at.radio[0].options  # no streamlit-webrtc or TURN server here
    shot = jpeg(synthetic_snapshot(x_test[0], rng=0))
    at.camera_input[0].set_value(("shot.jpg", shot, "image/jpeg")).run()
    assert not at.exception and not at.error and not at.warning and not at.info
    assert readings(at) == {"The model reads": str(y_test[0])}
    reference = read_digit(load_image(shot, mode="RGB", max_side=1024))  # the default model, read directly
    assert reference.confident and reference.digit == y_test[0]
    np.testing.assert_allclose(chart_probabilities(at), reference.probabilities, atol=1e-5)
    assert readings(at) and at.metric[0].delta == f"{max(reference.probabilities):.0%} sure"
    shown = captions(at)
    assert shown[0] == "Grayscale, denoised"
    assert "what the model sees" in shown[-1] or shown[-1] == "Strokes redrawn at MNIST's width: what the model read"


def test_a_smiley_is_not_a_digit_and_the_page_shows_why_and_what_the_model_saw():
    at = page()
    at.radio[0].set_value("Upload a photo").run()
    at.file_uploader[0].set_value(("smiley.png", png(smiley()), "image/png")).run()
    assert not at.exception and not at.error
    reference = read_digit(smiley())
    assert reference.digit is None and not reference.confident  # the reader's own answer
    assert [w.value for w in at.warning] == [reference.reason]
    assert 'to "not a digit"' in reference.reason
    assert not at.metric  # no bare confident number
    assert "What the model saw" in captions(at)
    np.testing.assert_allclose(chart_probabilities(at), reference.probabilities, atol=1e-5)


def test_a_smiley_is_not_a_digit_in_korean_too():
    at = page(lang="ko")
    at.radio(key="digit_source").set_value("Upload a photo").run()
    at.file_uploader(key="digit_upload").set_value(("smiley.png", png(smiley()), "image/png")).run()
    assert not at.exception and not at.error
    reason = read_digit(smiley()).reason_text("ko")
    assert has_hangul([reason]) and reason != read_digit(smiley()).reason
    assert [w.value for w in at.warning] == [reason]
    assert translate("What the model saw", "ko") in captions(at)
    english = [f"{found!r} in {text[:90]!r}" for text in visible_texts(at) if (found := untranslated(text))]
    assert not english, "English on the Korean page:\n" + "\n".join(english)


def test_a_ten_class_model_can_only_be_not_sure(mnist_test):
    x_test, _y_test = mnist_test
    untrained = SessionModel("my net", build_mnist_convnet(), "mnist", [str(i) for i in range(10)], (28, 28, 1))
    at = page(session_models={"my net": untrained})
    at.selectbox[0].set_value("my net (trained in this session)").run()
    shot = jpeg(synthetic_snapshot(x_test[2], rng=2))
    at.camera_input[0].set_value(("shot.jpg", shot, "image/jpeg")).run()
    assert not at.exception and not at.error and not at.metric
    reference = read_digit(load_image(shot, mode="RGB", max_side=1024), untrained.model)
    assert reference.digit is not None and not reference.confident  # random weights: about 10% each
    assert [i.value for i in at.info] == [reference.reason]
    assert reference.reason.startswith(f"Not sure: {reference.digit} is the likeliest at only ")
    assert "What the model saw" in captions(at)
    np.testing.assert_allclose(chart_probabilities(at), reference.probabilities, atol=1e-5)
    for lang in ("ko",):
        korean = page(session_models={"my net": untrained}, lang=lang)
        korean.selectbox[0].set_value("my net (trained in this session)").run()
        korean.camera_input[0].set_value(("shot.jpg", shot, "image/jpeg")).run()
        reason = reference.reason_text(lang)
        assert [i.value for i in korean.info] == [reason]


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


def test_model_choice_offers_the_shipped_models_and_this_sessions_mnist_models(mnist_test):
    x_test, _y_test = mnist_test
    untrained = SessionModel("my net", build_mnist_convnet(), "mnist", [str(i) for i in range(10)], (28, 28, 1))
    folder = SessionModel("pets", object(), "folder", ["cat", "dog"], (150, 150, 3))
    at = page(session_models={"my net": untrained, "pets": folder})
    models = {
        READER: None,  # read_digit's default
        "MNIST convnet with augmentation (shipped)": "models/mnist_convnet_augmented.keras",
        SEED: "models/mnist_convnet.keras",
        "my net (trained in this session)": untrained.model,
    }
    assert at.selectbox[0].options == list(models)  # a cats-vs-dogs model cannot read digits
    at.session_state["digit_sample"] = 5
    at.radio[0].set_value("Sample snapshot").run()
    snapshot = synthetic_snapshot(x_test[5], rng=5)  # what the page shows for sample #5
    for option, model in models.items():
        at.selectbox[0].set_value(option).run()
        assert not at.exception and not at.error
        reference = read_digit(snapshot, model)
        if reference.confident:
            assert readings(at) == {"The model reads": str(reference.digit)}, option
        else:
            assert not at.metric and [a.value for a in (*at.warning, *at.info)] == [reference.reason], option
        np.testing.assert_allclose(chart_probabilities(at), reference.probabilities, atol=1e-5)
    assert read_digit(snapshot).confident and not read_digit(snapshot, untrained.model).confident  # both branches ran


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
    x_test, y_test = mnist_test
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

    # What is written: the digits read with confidence, "?" for a reading that is not.
    written = []
    put_text = cv2.putText
    monkeypatch.setattr(cv2, "putText", lambda image, text, *args: written.append(text) or put_text(image, text, *args))
    for picture in (snapshot, smiley(), blank):
        calls["video_frame_callback"](Frame(picture))
    assert written == [str(y_test[0]), "?", "no digit"]
    assert read_digit(smiley()).digit is None  # the "?" of a picture that holds no digit
