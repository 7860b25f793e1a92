"""Read my digit: a webcam snapshot, a drawing or a photo, prepared the way MNIST was, then read."""

import importlib.util
import os

import numpy as np
import streamlit as st

from cnn_core.figures.charts import probability_figure
from cnn_core.figures.pictures import enlarge
from cnn_core.learning.evaluation import predict_proba
from cnn_core.vision import digits, images
from cnn_core.vision.ink import NoDigitError
from cnn_core.vision.snapshots import synthetic_snapshot
from ui import state
from ui.i18n import N_, _, error_text, percent
from ui.resources import MODELS_DIR, SHIPPED_MODELS, mnist, shipped_model
from ui.uploads import image_upload, show_error

LOW_CONFIDENCE = 0.6
SHOWN_SIDE = 112  # A digit's stages are shown this wide; tiny ones are enlarged without smoothing.
SEED_MODEL = "mnist_convnet"
AUGMENTED_MODEL = "mnist_convnet_augmented"
SESSION_MODEL = N_("{name} (trained in this session)")
SOURCES = {
    "Camera": N_("Camera"),
    "Draw": N_("Draw"),
    "Upload a photo": N_("Upload a photo"),
    "Sample snapshot": N_("Sample snapshot"),
    "Live video": N_("Live video"),
}


def model_choices() -> dict:
    """Label -> (what the visitor reads, a function that returns the model): shipped models, then this session's."""
    choices = {
        SHIPPED_MODELS[name]: (_(SHIPPED_MODELS[name]), lambda name=name: shipped_model(name))
        for name in (AUGMENTED_MODEL, SEED_MODEL)
        if (MODELS_DIR / f"{name}.keras").is_file()
    }
    for entry in state.session_models().values():
        if entry.task == "mnist":
            choices[SESSION_MODEL.format(name=entry.name)] = (
                _(SESSION_MODEL, name=entry.name),
                lambda entry=entry: entry.model,
            )
    return choices


def turn_servers() -> list | None:
    """ICE servers for live video, from st.secrets["turn"] or TURN_URL/_USERNAME/_CREDENTIAL."""
    try:
        settings = dict(st.secrets.get("turn", {}))
    except Exception:  # No secrets file at all: Streamlit raises rather than returning nothing.
        settings = {}
    url = settings.get("url") or os.environ.get("TURN_URL")
    if not url:
        return None
    username = settings.get("username") or os.environ.get("TURN_USERNAME", "")
    credential = settings.get("credential") or os.environ.get("TURN_CREDENTIAL", "")
    return [{"urls": [url], "username": username, "credential": credential}]


def shown(image: np.ndarray, square: bool = False) -> np.ndarray:
    """A stage image as uint8; tiny ones enlarged with square pixels, crops padded to a square."""
    if image.dtype != np.uint8:
        image = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    if square and image.ndim == 2:
        height, width = image.shape
        side = max(height, width)
        top, left = (side - height) // 2, (side - width) // 2
        image = np.pad(image, ((top, side - height - top), (left, side - width - left)))
    return enlarge(image, SHOWN_SIDE) if image.ndim == 2 else image


def probabilities_chart(probabilities: np.ndarray, title: str | None = None):
    """The ten class probabilities as a bar chart, its words in the visitor's language."""
    figure = probability_figure(probabilities, title=title or _("What the model thinks"))
    figure.update_layout(xaxis_title=_("digit"), yaxis_title=_("probability"))
    figure.update_traces(
        text=[percent(p, 0) for p in np.asarray(probabilities, dtype=float).reshape(-1)],
        hovertemplate=_("digit %{x}: %{y:.1%}") + "<extra></extra>",
    )
    return figure


def camera_image():
    photo = st.camera_input(_("Hold a digit written on paper up to the camera"), key="digit_camera")
    return decoded(photo)


def drawn_image():
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception as exc:  # The component can fail to register outside a browser session.
        st.error(_("The drawing pad could not start here (`{reason}`); use the camera or a photo instead.", reason=exc))
        return None
    st.space("medium")  # The pad's toolbar floats above its top edge; without room it covers the source radio.
    canvas = st_canvas(
        stroke_width=18,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=280,
        width=280,
        drawing_mode="freedraw",
        return_image_data=True,
        key="digit_canvas",
    )
    st.caption(_("Draw one digit, or a few in a row, large and in the middle. The bin icon clears the pad."))
    image = canvas.image_data
    return None if image is None else np.ascontiguousarray(image, dtype=np.uint8)


def uploaded_image():
    return image_upload(_("Upload a photo of a digit"), key="digit_upload", mode="RGB", max_side=1024)


def sample_image():
    x_test, y_test = mnist()[1]
    if st.button(_("Another sample")) or "digit_sample" not in st.session_state:
        st.session_state.digit_sample = int(np.random.default_rng().integers(len(x_test)))
    index = st.session_state.digit_sample
    st.caption(
        _("A made-up webcam snapshot of MNIST test digit #{index}, a **{label}**.", index=index, label=y_test[index])
    )
    return synthetic_snapshot(x_test[index], rng=index)


def decoded(upload):
    if upload is None:
        return None
    try:
        return images.load_image(upload, mode="RGB", max_side=1024)
    except images.ImageError as exc:
        st.error(_("Could not read that picture: {reason}", reason=error_text(exc)))
        return None


def live_video(model, servers: list) -> None:
    """Continuous reading of the webcam stream (needs streamlit-webrtc and a TURN server)."""
    import av
    import cv2
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    def read_frame(frame):
        image = frame.to_ndarray(format="rgb24")
        try:
            reading = digits.prepare_digits(image)
            label = "".join(str(d) for d in predict_proba(model, reading.digits).argmax(axis=1))
        except ValueError:  # NoDigitError included: this frame simply shows no digit.
            label = "no digit"
        cv2.putText(image, label, (12, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 80, 40), 3)
        return av.VideoFrame.from_ndarray(image, format="rgb24")

    webrtc_streamer(
        key="digit_live",
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": servers},
        video_frame_callback=read_frame,
        media_stream_constraints={"video": True, "audio": False},
        async_processing=True,
        translations={"start": _("Start"), "stop": _("Stop"), "select_device": _("Select a camera")},
    )


def show_reading(image: np.ndarray, model) -> None:
    try:
        reading = digits.prepare_digits(image)
    except NoDigitError as exc:
        st.warning(_("**No digit found.** {reason}", reason=error_text(exc)))
        return
    except ValueError as exc:
        show_error(exc)
        return
    probabilities = predict_proba(model, reading.digits)  # (N, 10)
    predicted = probabilities.argmax(axis=1)
    st.subheader(_("What the model sees, step by step"))
    st.image([s.image for s in reading.stages], caption=[_(s.name) for s in reading.stages], width=160)
    if len(predicted) == 1:
        stages = reading.digit_stages[0]
        st.image(
            [shown(s.image, square=True) for s in stages],
            caption=[_(s.name) for s in stages],
            width=SHOWN_SIDE,
            output_format="PNG",
        )
        left, right = st.columns([1, 2])
        left.metric(
            _("The model reads"),
            str(predicted[0]),
            _("{share} sure", share=percent(probabilities[0].max(), 0)),
            delta_color="off",
            delta_arrow="off",
        )
        right.plotly_chart(probabilities_chart(probabilities[0]), key="digit_probabilities")
    else:
        st.metric(_("The model reads {count} digits", count=len(predicted)), "".join(str(d) for d in predicted))
        columns = st.columns(len(predicted))
        for i, (column, stages, p) in enumerate(zip(columns, reading.digit_stages, probabilities)):
            column.image(
                [shown(stages[0].image, square=True), shown(stages[-1].image)],
                caption=[_("ink"), f"{p.argmax()} ({percent(p.max(), 0)})"],
                width=80,
                output_format="PNG",
            )
            with column.popover(_("Probabilities")):
                st.plotly_chart(
                    probabilities_chart(p, _("Digit {position}", position=i + 1)), key=f"digit_probabilities_{i}"
                )
    if probabilities.max(axis=1).min() < LOW_CONFIDENCE:
        st.warning(
            _(
                "**Low confidence** (below {threshold}): the model is unsure, so do not trust this "
                "answer. Write larger and darker, keep each digit upright and apart, and avoid shadows.",
                threshold=percent(LOW_CONFIDENCE, 0),
            )
        )


st.title(_("Read my digit"))
st.markdown(
    _(
        "Show the model a digit from your webcam, your mouse or a photo. A photo is not what MNIST "
        "looks like (dark ink on grey paper, lit unevenly, anywhere in the frame), so each picture is "
        "first **prepared the way MNIST's digits were**: grayscale, lighting removed, ink found and "
        "made white on black, fitted into 20x20 and centred by its mass in 28x28."
    )
)

choices = model_choices()
if not choices:
    st.error(_("No MNIST model is available: the shipped models are missing from `models/`."))
    st.stop()
choice = st.selectbox(
    _("Model"),
    list(choices),
    format_func={label: shown_label for label, (shown_label, _load) in choices.items()}.get,
    help=_("The augmented model is the default: see below why."),
)
model = choices[choice][1]()

with st.expander(_("Why the augmented model reads *your* handwriting better"), expanded=False):
    st.markdown(
        _(
            "Both shipped models have the seed's architecture and score about 99% on MNIST's test set. "
            "But MNIST's test digits come from the same writers, scanners and preprocessing as its "
            "training digits; your pen, your slant and your camera do not. The seed's lesson, from the "
            "cats-vs-dogs convnet, is about **generalization**: a model learns the data it is shown, "
            "and the cure for fitting it too closely is more varied data. **Data augmentation** makes "
            "that data out of the digits we have, by random rotations (±15°), zooms (±12%) and shifts "
            "(±8%) during training. Those are exactly the ways your snapshot differs from MNIST after "
            "preprocessing: a little tilted, a little too big or small, a little off-centre. The "
            "augmented model has learned that a 7 is still a 7 under such changes, so it is right more "
            "often on digits from outside MNIST; the model card in `models/README.md` gives the numbers."
        )
    )

servers = turn_servers() if importlib.util.find_spec("streamlit_webrtc") else None
sources = ["Camera", "Draw", "Upload a photo", "Sample snapshot"] + (["Live video"] if servers else [])
source = st.radio(
    _("Where does the digit come from?"),
    sources,
    format_func={source: _(text) for source, text in SOURCES.items()}.get,
    horizontal=True,
    key="digit_source",
)
if source == "Live video":
    live_video(model, servers)
else:
    reader = {"Camera": camera_image, "Draw": drawn_image, "Upload a photo": uploaded_image}
    image = reader.get(source, sample_image)()
    if image is not None:
        show_reading(image, model)
