"""The vision pages in Korean off their default path: uploads, refusals, other sources and layers."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from cnn_core.data.mnist import load_mnist
from cnn_core.i18n import translate
from cnn_core.vision.snapshots import synthetic_snapshot
from tests.support.apptest import page_test
from tests.support.languages import has_hangul, untranslated, visible_texts

pytestmark = pytest.mark.slow


def korean(name: str, timeout: float = 90):
    at = page_test(name, timeout=timeout)
    at.query_params["lang"] = "ko"
    return at.run()


def assert_all_korean(at) -> list[str]:
    """No exception, Hangul on the page and no English prose anywhere; returns the texts."""
    assert not at.exception, at.exception
    texts = visible_texts(at)
    assert has_hangul(texts)
    english = [f"{found!r} in {text[:90]!r}" for text in texts if (found := untranslated(text))]
    assert not english, "English on the Korean page:\n" + "\n".join(english)
    return texts


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return encoded.tobytes()


def test_augmentation_an_uploaded_photo_and_a_bad_upload_in_korean():
    at = korean("augmentation", timeout=60)
    at.radio(key="aug_source").set_value("Upload a photo").run()
    assert any(
        info.value == translate("Until a photo is uploaded, the bundled cat is shown.", "ko") for info in at.info
    )
    assert_all_korean(at)
    photo = np.zeros((60, 90, 3), np.uint8)
    photo[:, :45] = (200, 30, 30)
    at.file_uploader(key="aug_upload").set_value(("flag.png", png(photo), "image/png"))
    at.selectbox(key="aug_fill").set_value("constant")
    at.checkbox(key="aug_vflip").check().run()
    assert not at.error
    captions = [image.captions[0] for image in at.image[1:]]
    assert captions and all("회전" in caption for caption in captions), captions
    assert_all_korean(at)
    at.file_uploader(key="aug_upload").set_value(("notes.png", b"this is not a picture", "image/png")).run()
    errors = [error.value for error in at.error]
    assert len(errors) == 1 and "notes.png" in errors[0] and has_hangul(errors), errors
    assert_all_korean(at)


def test_digits_a_bad_upload_and_blank_paper_are_refused_in_korean():
    at = korean("digits")
    at.radio(key="digit_source").set_value("Upload a photo").run()
    assert_all_korean(at)
    at.file_uploader(key="digit_upload").set_value(("notes.png", b"not an image at all", "image/png")).run()
    errors = [error.value for error in at.error]
    assert len(errors) == 1 and "notes.png" in errors[0], errors
    assert translate("This file is not an image that can be read (try PNG, JPEG, GIF, BMP or WebP).", "ko") in errors[0]
    assert_all_korean(at)
    tiny = np.full((4, 4, 3), 255, np.uint8)
    at.file_uploader(key="digit_upload").set_value(("tiny.png", png(tiny), "image/png")).run()
    assert [e.value for e in at.error] == [
        translate("the image is too small to hold a digit: {width}x{height} pixels", "ko", width=4, height=4)
    ]
    at.radio(key="digit_source").set_value("Camera").run()
    blank = synthetic_snapshot(np.zeros((28, 28), np.uint8), rng=3)
    at.camera_input(key="digit_camera").set_value(("blank.jpg", jpeg(blank), "image/jpeg")).run()
    assert not at.error and at.warning and has_hangul([w.value for w in at.warning])
    assert_all_korean(at)


def test_digits_a_snapshot_is_read_in_korean_with_its_stages_and_chart():
    _, (x_test, y_test) = load_mnist()
    at = korean("digits")
    snapshot = synthetic_snapshot(x_test[0], rng=0)
    at.camera_input(key="digit_camera").set_value(("shot.jpg", jpeg(snapshot), "image/jpeg")).run()
    assert {m.label: m.value for m in at.metric} == {translate("The model reads", "ko"): str(y_test[0])}
    captions = [caption for image in at.get("image") for caption in image.captions]
    assert captions[0] == translate("Grayscale, denoised", "ko")
    texts = assert_all_korean(at)
    assert translate("probability", "ko") in texts and translate("What the model thinks", "ko") in texts
    at.radio(key="digit_source").set_value("Sample snapshot").run()
    assert_all_korean(at)


def test_activations_another_layer_and_a_bad_upload_in_korean():
    at = korean("activations", timeout=120)
    assert_all_korean(at)
    at.selectbox(key="activations_zoom_layer").set_value("conv2d_2").run()
    at.number_input(key="activations_zoom_channel_conv2d_2").set_value(5).run()
    texts = assert_all_korean(at)
    assert translate("{layer}, channel {channel}", "ko", layer="conv2d_2", channel=5) in texts
    at.selectbox(key="activations_cam_class").set_value(3).run()
    assert_all_korean(at)
    layer = at.selectbox(key="activations_pattern_layer").value
    at.slider(key=f"activations_pattern_range_{layer}").set_value((0, 1))
    at.slider(key="activations_pattern_steps").set_value(10).run()
    assert at.button(key="activations_pattern_go").label == translate(
        "Compute {count} filter pattern(s)", "ko", count=2
    )
    at.button(key="activations_pattern_go").click().run()
    assert [image.captions[0] for image in at.image][-1].startswith(translate("filter {index}", "ko", index=1) + " ·")
    assert_all_korean(at)
    at.radio(key="activations_source_grey").set_value("Upload a picture").run()
    assert [info.value for info in at.info][-1] == translate("Upload a picture to continue.", "ko")
    at.file_uploader(key="activations_upload").set_value(("notes.png", b"not an image at all", "image/png")).run()
    errors = [error.value for error in at.error]
    assert len(errors) == 1 and "notes.png" in errors[0] and has_hangul(errors), errors
    assert_all_korean(at)


def test_activations_an_earlier_epoch_the_zoom_and_a_model_without_history_in_korean(monkeypatch, tmp_path):
    import shutil

    from ui import resources

    # Both shipped models, only the seed recipe's history: the augmented one is "without its epoch history".
    for name in ("mnist_convnet.keras", "mnist_convnet_augmented.keras", "mnist_convnet_epochs.npz"):
        shutil.copy(resources.MODELS_DIR / name, tmp_path)
    monkeypatch.setattr(resources, "MODELS_DIR", tmp_path)
    at = korean("activations", timeout=120)
    at.select_slider(key="activations_epoch_mnist_convnet").set_value(0).run()
    texts = assert_all_korean(at)
    assert (
        translate(
            "The shipped model as it was after {epoch} of its {epochs} training epochs (0: before training). "
            "Everything below uses these weights.",
            "ko",
            epoch=0,
            epochs=5,
        )
        in texts
    )
    assert any("ReLU" in text and has_hangul([text]) for text in texts)  # the untrained sentence
    at.button(key="activations_zoom_conv2d_1").click().run()
    assert at.number_input(key="activations_dialog_channel_conv2d_1")
    assert_all_korean(at)
    at.selectbox(key="activations_model").set_value("MNIST convnet with augmentation (shipped)").run()
    texts = assert_all_korean(at)
    assert (
        translate("This model comes without its epoch history: the page shows its final weights only.", "ko") in texts
    )
