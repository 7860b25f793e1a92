"""Read my digit: a webcam snapshot, a drawing or a photo, prepared the way MNIST was, then read."""

import importlib.util
import os

import numpy as np
import streamlit as st

from cnn_core.figures.charts import probability_figure
from cnn_core.figures.pictures import enlarge
from cnn_core.vision import images
from cnn_core.vision.reader import THRESHOLD, DigitReading, RowReading, read_digits
from cnn_core.vision.snapshots import synthetic_snapshot
from ui import state
from ui.charts import labelled_chart
from ui.i18n import N_, _, error_text, language, percent
from ui.resources import DIGIT_READER_FILE, MODELS_DIR, SHIPPED_MODELS, digit_reader, mnist, shipped_model
from ui.uploads import image_upload, show_error

SHOWN_SIDE = 112  # A digit's stages are shown this wide; tiny ones are enlarged without smoothing.
SEED_MODEL = "mnist_convnet"
AUGMENTED_MODEL = "mnist_convnet_augmented"
READER_MODEL = N_('Digit reader (default, knows "not a digit")')
SESSION_MODEL = N_("{name} (trained in this session)")
REDRAWN = N_("Strokes redrawn at MNIST's width: what the model read")
SOURCES = {
    "Camera": N_("Camera"),
    "Draw": N_("Draw"),
    "Upload a photo": N_("Upload a photo"),
    "Sample snapshot": N_("Sample snapshot"),
    "Live video": N_("Live video"),
}


def model_choices() -> dict:
    """Label -> (what the visitor reads, a function that returns the model): the digit reader, the
    shipped MNIST models, then this session's."""
    choices = {}
    if (MODELS_DIR / DIGIT_READER_FILE).is_file():
        choices[READER_MODEL] = (_(READER_MODEL), digit_reader)
    choices |= {
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


def probabilities_table(probabilities: np.ndarray):
    """The probability chart's twin: each digit with its probability, the most likely first."""
    probabilities = np.asarray(probabilities, dtype=float).reshape(-1)
    order = np.argsort(-probabilities, kind="stable")
    return "", [_("digit"), _("probability")], [[str(int(i)), percent(probabilities[i], 1)] for i in order]


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
        cv2.putText(image, frame_label(image, model), (12, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 80, 40), 3)
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


def frame_label(image: np.ndarray, model) -> str:
    """What a live frame reads, written on it: "2026", "?" for a digit not read with confidence."""
    try:
        reading = read_digits(image, model)
    except ValueError:  # Not a picture the reader takes (too small, say): this frame shows no digit.
        return "no digit"
    if reading.row is None:
        return "no digit"
    return "".join(str(r.digit) if r.confident else "?" for r in reading.readings)


def verdict(reading: DigitReading, position: int | None = None) -> None:
    """Say plainly that a reading is not a digit or not sure, and why, in the visitor's language."""
    reason = reading.reason_text(language())
    if position is not None:
        reason = _("Digit {position}: {reason}", position=position, reason=reason)
    (st.warning if reading.digit is None else st.info)(reason)  # The reason opens with the verdict.


def column_caption(reading: DigitReading) -> str:
    """A row's digit under its picture: "7 (98%)", "? (7, 55%)" when unsure, "not a digit"."""
    share = percent(max(reading.probabilities), 0)
    if reading.digit is None:
        return _("not a digit")
    if not reading.confident:
        return f"? ({reading.digit}, {share})"
    return f"{reading.digit} ({share})"


def show_one(reading: DigitReading, stages: list) -> None:
    """One digit: its preparation, then the number and chart, or what the model saw and why it is unsure."""
    pictures, captions = [shown(s.image, square=True) for s in stages], [_(s.name) for s in stages]
    if not np.array_equal(reading.prepared, stages[-1].image):  # The reader kept the redrawn strokes.
        pictures.append(shown(reading.prepared))
        captions.append(_(REDRAWN))
    st.image(pictures, caption=captions, width=SHOWN_SIDE, output_format="PNG")
    left, right = st.columns([1, 2])
    if reading.confident:
        left.metric(
            _("The model reads"),
            str(reading.digit),
            _("{share} sure", share=percent(max(reading.probabilities), 0)),
            delta_color="off",
            delta_arrow="off",
        )
    else:
        with left:
            verdict(reading)
            st.image(shown(reading.prepared), caption=_("What the model saw"), width=2 * SHOWN_SIDE)
    with right:
        labelled_chart(
            probabilities_chart(reading.probabilities),
            "digit_probabilities",
            [probabilities_table(reading.probabilities)],
        )


def show_row(reading: RowReading) -> None:
    """Several digits: the number read ("?" where unsure), then each digit's ink and what the model saw."""
    readings = reading.readings
    value = "".join(str(r.digit) if r.confident else "?" for r in readings)
    st.metric(_("The model reads {count} digits", count=len(readings)), value)
    for position, one in enumerate(readings, start=1):
        if not one.confident:
            verdict(one, position)
    for i, (column, stages, one) in enumerate(zip(st.columns(len(readings)), reading.row.digit_stages, readings)):
        column.image(
            [shown(stages[0].image, square=True), shown(one.prepared)],
            caption=[_("ink"), column_caption(one)],
            width=80,
            output_format="PNG",
        )
        with column.popover(_("Probabilities")):
            labelled_chart(
                probabilities_chart(one.probabilities, _("Digit {position}", position=i + 1)),
                f"digit_probabilities_{i}",
                [probabilities_table(one.probabilities)],
            )


def show_reading(image: np.ndarray, model) -> None:
    try:
        reading = read_digits(image, model)
    except ValueError as exc:
        show_error(exc)
        return
    if reading.row is None:
        st.warning(_("**No digit found.** {reason}", reason=_(reading.reason_template, **reading.reason_params)))
        return
    st.subheader(_("What the model sees, step by step"))
    st.image([s.image for s in reading.row.stages], caption=[_(s.name) for s in reading.row.stages], width=160)
    if len(reading.readings) == 1:
        show_one(reading.readings[0], reading.row.digit_stages[0])
    else:
        show_row(reading)
    if not all(r.confident for r in reading.readings):
        st.caption(
            _(
                "Write larger and darker, keep each digit upright and apart, and avoid shadows. The shipped "
                'MNIST models and the ones trained here know only the ten digits: they cannot say "not a '
                'digit", only "not sure".'
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
    st.error(_("No digit model is available: the shipped models are missing from `models/`."))
    st.stop()
choice = st.selectbox(
    _("Model"),
    list(choices),
    format_func={label: shown_label for label, (shown_label, _load) in choices.items()}.get,
    help=_("The digit reader is the default: see below why."),
)
model = choices[choice][1]()

with st.expander(_("Why the digit reader reads *your* handwriting better, and knows when it is not a digit")):
    st.markdown(
        _(
            "MNIST's test digits come from the same writers, scanners and preprocessing as its training "
            "digits; your pen, your slant and your camera do not. The seed's lesson, from the "
            "cats-vs-dogs convnet, is about **generalization**: a model learns the data it is shown, and "
            "the cure for fitting it too closely is more varied data. The digit reader was trained on "
            "MNIST's digits, each redrawn by another pen and hand (**data augmentation**): slanted, "
            "turned up to ±15°, zoomed, wobbled, written with a pen from half of MNIST's stroke to more "
            "than twice it, some 1s with a flag and some 7s with a bar. It also learned an eleventh "
            "class, **not a digit**, from letters, shapes, scribbles, textures, photo crops and specks "
            'on blank paper, so a smiley or a cat gets "not a digit" instead of a confident 0. '
            "Before reading, every picture is prepared twice, as shown below and with its strokes "
            "thinned and redrawn at MNIST's width, and the surer reading is kept; under {threshold} it "
            'is "not sure". The shipped MNIST models are still here to compare: they know only the ten '
            'digits, so they can be unsure but never say "not a digit". The model card in '
            "`models/digit_reader.md` gives the figures on handwriting none of them trained on.",
            threshold=percent(THRESHOLD, 0),
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
