"""Activation maps: what each conv and pooling layer sees in one picture, where the model looked
(Grad-CAM), and what its filters respond to (gradient ascent). The seed's closing section, for
the models this app has."""

import numpy as np
import streamlit as st

from cnn_core.figures import charts, pictures
from cnn_core.learning import activations, gradcam, patterns
from cnn_core.learning.evaluation import class_probabilities
from cnn_core.learning.graph import model_fingerprint
from cnn_core.vision import images
from cnn_core.vision.reader import read_digit
from ui import epochs as epochs_ui
from ui import settings as kept_settings
from ui import state
from ui.charts import channel_table, numbers_twin, values_twin
from ui.i18n import N_, _, error_text, language, ngettext, number, percent
from ui.resources import MODELS_DIR, SHIPPED_MODELS, mnist, shipped_model
from ui.uploads import image_upload, show_error

SOURCES = {
    "MNIST test digit": N_("MNIST test digit"),
    "Sample cat photo": N_("Sample cat photo"),
    "Upload a picture": N_("Upload a picture"),
    "Camera": N_("Camera"),
}
SEED_MODEL = N_("Seed cats-vs-dogs convnet (untrained)")
SESSION_MODEL = N_("{name} (trained this session)")
MAX_PATTERNS_PER_RUN = 32
MAX_PER_ROW = 16  # The note's recipe; more would shrink MNIST's 26-pixel maps below readable thumbnails.
LABEL_FONT = 11  # pixels of a channel number at the width the page shows a grid (about 720 px)
PATTERN_CACHE_KEY = "activations_filter_patterns"
PATTERN_CACHE_SIZE = 256
# The visitor's choices, kept for the session when they visit other pages (not in the URL: a model
# trained this session is theirs alone). A kept choice the current model lacks falls back to the default.
KEPT = (
    "activations_model",
    "activations_source_grey",
    "activations_source_colour",
    "activations_digit",
    "activations_invert",
    *(f"activations_epoch_{name}" for name in SHIPPED_MODELS),
    "activations_cam_class",
    "activations_per_row",
    "activations_zoom_layer",
    "activations_pattern_layer",
    "activations_pattern_steps",
)

kept_settings.session_settings(*KEPT)
st.title(_("Activation maps"))
st.markdown(
    _(
        "Run one picture through a convnet and look at what every **conv** and **pooling** layer "
        "outputs, laid out 16 maps per row as in the seed. Early layers keep edges and most of the "
        "picture; deeper layers keep fewer, sparser maps that fire only where the features they "
        "learned appear. Then see **where the model looked** (Grad-CAM) and **what a filter "
        "responds to** (gradient ascent)."
    )
)
st.info(
    _(
        "Only models that ship with the app or that you trained in this session can be opened here. "
        "The page does not accept uploaded model files: deserializing a model file can run code "
        "hidden in it, and Keras's `safe_mode` guard against that has had several bypasses."
    )
)


@st.cache_resource(show_spinner=False, max_entries=16)
def kernels_figure(fingerprint: str, lang: str, _kernel: np.ndarray):
    """The first layer's kernels as small pictures, made once per model and language for every visitor.

    Plotly's faceted figure takes about 0.2 s to build, half of this page's run; nothing changes it
    but the weights (``fingerprint``) and the language, and ``st.plotly_chart`` only reads it.
    """
    figure = charts.kernels_figure(_kernel)
    # The facets are titled "filter N"; the number stays, the word follows the language.
    figure.for_each_annotation(lambda a: a.update(text=_("filter {index}", index=a.text.split()[-1])))
    figure.update_traces(hovertemplate=_("row %{y}, col %{x}: %{z}") + "<extra></extra>")
    return figure


# Every visitor opens on the same model and picture: their maps, probabilities and Grad-CAM are
# made once. Keyed by the weights' fingerprint and the picture's pixels; a few entries only, since
# a 150x150 model's maps are megabytes; the page only reads them.
@st.cache_resource(show_spinner=False, max_entries=4)
def model_answers(fingerprint: str, x: np.ndarray, _model):
    """(every layer's maps, the class probabilities) of ``_model`` for ``x``, read-only: visitors share them."""
    maps, probabilities = activations.layer_activations(_model, x), np.asarray(class_probabilities(_model, x))
    for array in [probabilities, *(values for _name, values in maps)]:
        array.setflags(write=False)
    return maps, probabilities


@st.cache_resource(show_spinner=False, max_entries=8)
def grad_cam(fingerprint: str, x: np.ndarray, target: int | None, _model) -> np.ndarray:
    """``gradcam.grad_cam`` for the class ``target`` (None: the predicted one), read-only: visitors share it."""
    heatmap = np.asarray(gradcam.grad_cam(_model, x, class_index=target))
    heatmap.setflags(write=False)
    return heatmap


@st.cache_resource(show_spinner=False)
def seed_cats_dogs_model():
    """The seed's architecture with random weights, shared read-only: shows its listing's shapes."""
    from cnn_core.learning.models import build_cats_dogs_convnet

    return build_cats_dogs_convnet()


def model_choices() -> dict:
    """Label -> (kind, name) for every model this visitor may open."""
    choices = {
        label: ("shipped", name) for name, label in SHIPPED_MODELS.items() if (MODELS_DIR / f"{name}.keras").exists()
    }
    for name, entry in state.session_models().items():
        if entry.task in ("mnist", "folder"):
            choices[SESSION_MODEL.format(name=name)] = ("session", name)
    choices[SEED_MODEL] = ("seed", None)
    return choices


def model_label(label: str, choices: dict) -> str:
    """A choice's label (its English value) as the visitor reads it."""
    kind, name = choices[label]
    return _(SESSION_MODEL, name=name) if kind == "session" else _(label)


def load_choice(kind: str, name):
    """(model, class names, input shape) for a choice from ``model_choices``."""
    if kind == "session":
        entry = state.session_models()[name]
        return entry.model, list(entry.class_names), tuple(entry.input_shape)
    if kind == "shipped":
        model, class_names = shipped_model(name), [str(digit) for digit in range(10)]
    else:
        with st.spinner(_("Building the seed's cats-vs-dogs convnet...")):
            model = seed_cats_dogs_model()
        class_names = [_("cat"), _("dog")]
    return model, class_names, tuple(model.inputs[0].shape[1:])


@st.cache_data(show_spinner=False)
def seed_cat_sparsity() -> list:
    """The note's cat through the seed's cats-vs-dogs convnet: per layer its size, active share and blank maps."""
    model = seed_cats_dogs_model()
    cat = images.prepare_image(images.load_sample_photo(max_side=512), tuple(model.inputs[0].shape[1:]))
    return activations.activation_sparsity(activations.layer_activations(model, cat))


def input_picture(source: str, grey_model: bool, digit_model: bool):
    """The chosen picture as uint8 (H, W) or (H, W, 3), or None with a message shown."""
    if source == "MNIST test digit":
        x_test, y_test = mnist()[1]
        index = st.number_input(_("Test image index"), 0, len(x_test) - 1, 0, key="activations_digit")
        st.caption(_("Label: **{label}**", label=y_test[index]))
        return x_test[index]
    if source == "Sample cat photo":
        return images.load_sample_photo(max_side=512)
    if source == "Upload a picture":
        picture = image_upload(_("Picture (PNG, JPEG, ...)"), key="activations_upload", max_side=512)
    else:
        shot = st.camera_input(_("Take a picture"), key="activations_camera")
        picture = None
        if shot is not None:
            try:
                picture = images.load_image(shot, max_side=512)
            except images.ImageError as exc:
                st.error(_("Could not use the camera picture: {reason}", reason=error_text(exc)))
    if picture is None:
        st.info(_("Upload a picture to continue.") if source == "Upload a picture" else _("Take a photo to continue."))
    elif digit_model:
        st.caption(
            _(
                "A photo is prepared as on Read my digit: ink found and made white on black, fitted into "
                "20x20 and centred by its mass in 28x28."
            )
        )
    elif grey_model and st.checkbox(
        _("Invert (MNIST digits are white on black)"), value=True, key="activations_invert"
    ):
        picture = 255 - picture
    return picture


def digit_input(picture: np.ndarray, model) -> np.ndarray | None:
    """A photo prepared by ``read_digit`` as (28, 28, 1), saying first when it is not a sure digit; None without ink."""
    reading = read_digit(picture, model)
    reason = reading.reason_text(language())
    if not reading.prepared.any():  # No ink at all: nothing to show the model.
        st.warning(_("**No digit found.** {reason}", reason=reason))
        return None
    if not reading.confident:  # The reason opens with the verdict: not a digit, or not sure.
        (st.warning if reading.digit is None else st.info)(reason)
    return reading.prepared[..., None]


def labelled(picture: np.ndarray, cell: tuple[int, int], channels: int) -> np.ndarray:
    """A grid picture with a white band above each row of cells, each cell's channel number in it."""
    from PIL import Image, ImageDraw, ImageFont

    cell_h, cell_w = cell
    rows, cols = picture.shape[0] // cell_h, picture.shape[1] // cell_w
    size = max(LABEL_FONT, round(LABEL_FONT * picture.shape[1] / 720))  # the page shrinks wide grids to fit
    band = size + 4
    out = np.full((rows * (cell_h + band), picture.shape[1], 3), 255, np.uint8)
    for row in range(rows):
        top = row * (cell_h + band) + band
        out[top : top + cell_h] = picture[row * cell_h : (row + 1) * cell_h]
    canvas = Image.fromarray(out)
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=size)
    for channel in range(channels):
        row, col = divmod(channel, cols)
        draw.text((col * cell_w + 2, row * (cell_h + band) + 1), str(channel), fill=(40, 40, 40), font=font)
    return np.asarray(canvas)


def show_zoom(layer: str, maps: np.ndarray, key: str) -> None:
    """One channel of ``maps`` ((H, W, C), layer ``layer``) as a heatmap with its range."""
    settings, chart = st.columns([1, 3])
    channel = settings.number_input(_("Channel"), 0, maps.shape[-1] - 1, 0, key=key)
    values = maps[..., channel]
    settings.markdown(
        _(
            "min **{low:.4g}** · max **{high:.4g}** · mean **{mean:.4g}**",
            low=values.min(),
            high=values.max(),
            mean=values.mean(),
        )
    )
    figure = charts.channel_figure(values, _("{layer}, channel {channel}", layer=layer, channel=channel))
    figure.update_traces(hovertemplate=_("row %{y}, col %{x}: %{z:.4f}") + "<extra></extra>")
    with chart:
        st.plotly_chart(figure, key=f"{key}_chart")
        values_twin(
            [(_("{layer}, channel {channel}", layer=layer, channel=channel), values)], f"{key}_chart", decimals=3
        )


def zoom_dialog(layer: str, maps: np.ndarray) -> None:
    """The zoom, opened from a layer's grid."""
    st.dialog(_("Zoom on one map"), width="large")(show_zoom)(layer, maps, f"activations_dialog_channel_{layer}")


def enlarged(image01: np.ndarray, target: int = 280) -> np.ndarray:
    """A small model input blown up with square pixels for display, uint8 (H, W, 3)."""
    rgb = np.rint(np.repeat(image01, 3 // image01.shape[-1], axis=-1) * 255).astype(np.uint8)
    return pictures.enlarge(rgb, target)


# 1. The model and the picture.
choices = model_choices()
left, right = st.columns(2)
# Shown texts are made now: AppTest (and Streamlit) may call format_func outside this run.
model_labels = {label: model_label(label, choices) for label in choices}
label = left.selectbox(_("Model"), list(choices), format_func=model_labels.get, key="activations_model")
if not any(kind == "shipped" for kind, _name in choices.values()):
    left.caption(
        _("The shipped MNIST model is not in `models/` yet; train one on the training pages to see a real one.")
    )
# A session model the budget unloads, the visitor's picture and its maps must not outlive the run.
state.forget_after_run(globals(), "model", "picture", "x", "maps", "heatmap", "first_kernel")
try:
    model, class_names, input_shape = load_choice(*choices[label])
except Exception as exc:  # A damaged model file or a model without an image input.
    st.error(_("Could not open **{label}**: {reason}", label=model_labels[label], reason=error_text(exc)))
    st.stop()
kind, name = choices[label]
epoch = None  # the shipped model's epoch shown, when it has a history
if kind == "seed":
    left.warning(_("These weights are random: the maps show the seed's shapes, and the prediction is chance."))
elif kind == "shipped" and (epochs := epochs_ui.shipped_epochs(name)):
    epoch = epochs_ui.epoch_slider(epochs, f"activations_epoch_{name}", left, value=epochs[-1])
    left.caption(
        _(
            "The shipped model as it was after {epoch} of its {epochs} training epochs (0: before "
            "training). Everything below uses these weights.",
            epoch=epoch,
            epochs=epochs[-1],
        )
    )
    if epoch != epochs[-1]:  # The last snapshot holds the shipped weights: that model is already loaded.
        model = epochs_ui.shipped_model_at_epoch(name, epoch, model)
else:
    left.caption(_("This model comes without its epoch history: the page shows its final weights only."))
# Models of MNIST's digits read a photo through read_digit; the others (cats and dogs, folders) take it as it is.
digit_model = kind == "shipped" or (kind == "session" and state.session_models()[name].task == "mnist")
# Blank maps mean "no feature here" only for a model that learned features.
trained = kind != "seed" and epoch != 0
grey_model = input_shape[-1] == 1
with right:
    # One choice per kind of model, so a colour model opens on the cat and an MNIST one on a digit.
    kind = "grey" if grey_model else "colour"
    source = st.radio(
        _("Picture"),
        list(SOURCES),
        index=0 if grey_model else 1,
        format_func={source: _(text) for source, text in SOURCES.items()}.get,
        horizontal=True,
        key=f"activations_source_{kind}",
    )
    photo = digit_model and source in ("Upload a picture", "Camera")
    picture = input_picture(source, grey_model, photo)
if picture is None:
    st.stop()
try:
    x = digit_input(picture, model) if photo else images.prepare_image(picture, input_shape)  # (H, W, C) in [0, 1]
except ValueError as exc:
    show_error(exc)
    st.stop()
if x is None:
    st.stop()
try:
    fingerprint = model_fingerprint(model)  # what the cached answers below are keyed by, with the picture
    maps, probabilities = model_answers(fingerprint, x, model)
except ValueError as exc:
    show_error(exc)
    st.stop()
if len(class_names) != len(probabilities):
    class_names = [_("class {index}", index=i) for i in range(len(probabilities))]

# 2. The prediction and where the model looked.
st.header(_("Prediction and Grad-CAM"))
predicted = int(np.argmax(probabilities))
shown, explained, overlay_column = st.columns(3)
shown.image(enlarged(x), caption=_("What the model sees: {shape}", shape="x".join(map(str, input_shape))), width=280)
with explained:
    top = np.argsort(probabilities)[::-1][:3]
    st.metric(_("Predicted class"), class_names[predicted])
    st.markdown("\n".join(f"- {class_names[i]}: {percent(probabilities[i])}" for i in top))
    choice = st.selectbox(
        _("Explain class"),
        [-1, *range(len(class_names))],
        key="activations_cam_class",
        format_func={-1: _("the predicted class"), **dict(enumerate(class_names))}.get,
    )
target = None if choice < 0 else choice
heatmap = grad_cam(fingerprint, x, target, model)
cam_class = class_names[predicted if target is None else target]
overlay_column.image(
    pictures.overlay_heatmap(enlarged(x), heatmap), caption=_("Grad-CAM for '{name}'", name=cam_class), width=280
)
overlay_column.image(
    pictures.colour_strip("jet", 280, 12),
    caption=_("its colour bar: 0, no evidence (blue) → 1, the strongest evidence for the class (red)"),
    width=280,
)
st.caption(
    _(
        "Grad-CAM weighs each map of the last conv layer (`{layer}`, {height}x{width}) by how "
        "much the class score grows with it, adds them up and keeps the positive part: red is where the "
        "evidence for the class lies. An all-blue overlay means no position argues for that class.",
        layer=gradcam.last_conv_layer_name(model, input_shape),
        height=heatmap.shape[0],
        width=heatmap.shape[1],
    )
)
values_twin([(_("Grad-CAM for '{name}'", name=cam_class), heatmap)], "activations_cam", decimals=3)

# 3. Every layer's maps, as in the seed.
st.header(_("Feature maps, layer by layer"))
per_row = st.slider(_("Maps per row"), 4, MAX_PER_ROW, MAX_PER_ROW, key="activations_per_row")
st.caption(
    _(
        "Each map is numbered by its channel; **Zoom** opens one map of that layer with its values. Each "
        "map has its own colour scale (the seed's recipe): its mean in the middle colour, two standard "
        "deviations below it dark, two above it yellow, so a flat map is all middle colour. Each layer's "
        "table lists every map's real values."
    )
)
st.image(pictures.colour_strip("viridis", 280, 12), caption=_("mean − 2 SD · mean · mean + 2 SD"), width=280)
for layer, activation in maps:
    height, width, channels = activation.shape
    grid = activations.activation_grid(activation, per_row)
    flat = int(activations.flat_channels(activation).sum())
    title, zoom = st.columns([5, 1], vertical_alignment="bottom")
    title.markdown(f"**{layer}** · {height}x{width}x{channels}")
    if zoom.button(_("Zoom"), key=f"activations_zoom_{layer}"):
        zoom_dialog(layer, activation)
    scale = pictures.display_scale(grid.shape[1])
    st.image(labelled(pictures.grid_picture(grid, (height, width), scale), (height * scale, width * scale), channels))
    numbers_twin(lambda activation=activation: [channel_table(activation)], f"activations_maps_{layer}")
    if flat and trained:
        st.caption(
            ngettext(
                "{n} of {channels} maps is blank for this picture (flat, shown as 128): its filter found nothing.",
                "{n} of {channels} maps are blank for this picture (flat, shown as 128): their filters found nothing.",
                flat,
                channels=channels,
            )
        )
    elif flat:
        st.caption(
            ngettext(
                "{n} of {channels} maps is blank for this picture (flat, shown as 128). The weights are "
                "untrained, so this is a dead ReLU (a random filter that never fires here), not a feature "
                "the picture lacks.",
                "{n} of {channels} maps are blank for this picture (flat, shown as 128). The weights are "
                "untrained, so these are dead ReLUs (random filters that never fire here), not features "
                "the picture lacks.",
                flat,
                channels=channels,
            )
        )

st.subheader(_("Zoom on one map"))
names = [layer for layer, _maps in maps]
zoom_layer = st.selectbox(_("Layer"), names, key="activations_zoom_layer")
show_zoom(zoom_layer, dict(maps)[zoom_layer], f"activations_zoom_channel_{zoom_layer}")

# 3b. The note's closing point, in numbers.
st.subheader(_("Deeper layers keep fewer, more abstract features"))
st.markdown(
    _(
        "The note closes its grids with this point: the deeper the layer, the fewer and the more abstract "
        "the features it keeps, until the last maps say only whether the model's cat features are in "
        "the picture. Here it is in numbers, for the note's cat through the seed's cats-vs-dogs convnet "
        "as this page builds it."
    )
)
with st.spinner(_("Building the seed's cats-vs-dogs convnet...")):
    sparsity = seed_cat_sparsity()
st.dataframe(
    {
        _("layer"): [row.name for row in sparsity],
        _("map size"): ["x".join(map(str, row.shape)) for row in sparsity],
        _("values"): [number(row.values, 0) for row in sparsity],
        _("values above 0"): [percent(row.active_share, 0) for row in sparsity],
        _("blank maps"): [
            _(
                "{blank} of {channels} ({share})",
                blank=row.blank_channels,
                channels=row.shape[2],
                share=percent(row.blank_channels / row.shape[2], 0),
            )
            for row in sparsity
        ],
    },
    hide_index=True,
    key="activations_sparsity",
)
first, last = sparsity[0], sparsity[-1]
st.caption(
    _(
        "Each pooling halves the side of the maps, so the last layer keeps {last} values where the first "
        "keeps {first}: more maps ({first_maps} → {last_maps}) of far fewer pixels, each pixel seeing a "
        "larger part of the cat. The blank maps grow with depth too, but this convnet is untrained: its "
        "blank maps are dead ReLUs. In the note's trained model, the blank squares of the last grids are "
        "cat features this picture does not show.",
        last=number(last.values, 0),
        first=number(first.values, 0),
        first_maps=first.shape[2],
        last_maps=last.shape[2],
    )
)

# 4. The first layer's kernels.
st.header(_("The first layer's kernels"))
st.markdown(
    _(
        "Each first-layer filter is a small grid of weights slid over the raw pixels; its map above is "
        "bright where the pixels look like it."
    )
)
first_kernel = np.asarray(activations.first_conv_kernel(model, input_shape), dtype=float)  # (kh, kw, C, F)
st.plotly_chart(kernels_figure(fingerprint, language(), first_kernel), key="activations_kernels")
# The twin: each filter's weights as the figure draws them (one grid, or its red, green and blue channels).
CHANNEL_NAMES = (N_("red"), N_("green"), N_("blue"))
values_twin(
    [
        (_("filter {index}", index=f), first_kernel[:, :, :, f].mean(axis=2))  # one channel, or their mean as drawn
        if first_kernel.shape[2] != 3
        else (_("filter {index}, {channel} weights", index=f, channel=_(CHANNEL_NAMES[c])), first_kernel[:, :, c, f])
        for f in range(first_kernel.shape[-1])
        for c in range(1 if first_kernel.shape[2] != 3 else 3)
    ],
    "activations_kernels",
    decimals=3,
)

# 5. Filter patterns by gradient ascent.
st.header(_("What a filter responds to"))
st.markdown(
    _(
        "Start from a grey picture with faint noise and change it, step by step, in the direction that "
        "raises one filter's mean activation (Deep Learning with Python, 5.4.2). First-layer patterns "
        "stay nearly flat: one 3x3 filter averaged over the whole picture only cares about the sum of "
        "its weights. Deeper filters draw strokes and textures."
    )
)
conv_names = activations.conv_layer_names(model, input_shape)
p1, p2, p3 = st.columns(3)
layer_name = p1.selectbox(_("Conv layer"), conv_names, index=len(conv_names) - 1, key="activations_pattern_layer")
filters = dict(maps)[layer_name].shape[-1]  # Every conv layer is among the maps above.
first, last = p2.slider(
    _("Filters"), 0, filters - 1, (0, min(7, filters - 1)), key=f"activations_pattern_range_{layer_name}"
)
steps = p3.slider(_("Ascent steps"), 10, 100, patterns.DEFAULT_ASCENT_STEPS, step=10, key="activations_pattern_steps")
wanted = list(range(first, last + 1))[:MAX_PATTERNS_PER_RUN]
if last - first + 1 > MAX_PATTERNS_PER_RUN:
    st.warning(
        _("Showing the first {count} filters of the range; narrow it to see others.", count=MAX_PATTERNS_PER_RUN)
    )
# Keyed by what the pattern depends on; a fingerprint rather than id(model), which Python reuses.
cache = st.session_state.setdefault(PATTERN_CACHE_KEY, {})
fingerprint = model_fingerprint(model)


def key_of(index: int) -> tuple:
    return (fingerprint, layer_name, index, steps, patterns.DEFAULT_ASCENT_STEP_SIZE)


missing = [index for index in wanted if key_of(index) not in cache]
if missing and st.button(_("Compute {count} filter pattern(s)", count=len(missing)), key="activations_pattern_go"):
    bar = st.progress(0.0, text=_("Gradient ascent..."))
    for done, pattern in enumerate(patterns.filter_patterns(model, layer_name, missing, steps=steps), start=1):
        cache[key_of(pattern.filter_index)] = pattern
        bar.progress(
            done / len(missing),
            text=_("Filter {index}: done {done} of {total}", index=pattern.filter_index, done=done, total=len(missing)),
        )
    while len(cache) > PATTERN_CACHE_SIZE:
        cache.pop(next(iter(cache)))
    st.rerun()
if missing:
    st.caption(
        _(
            "Press the button to compute the patterns (about a second per filter on a small model). "
            "Results are kept for this session."
        )
    )
else:
    gallery = st.columns(8)
    for slot, index in enumerate(wanted):
        pattern = cache[key_of(index)]
        picture = np.squeeze(pattern.image)
        gallery[slot % 8].image(
            pictures.enlarge(picture, 112),
            caption=_(
                "filter {index} · {first:.2f} → {last:.2f}",
                index=index,
                first=pattern.losses[0],
                last=pattern.losses[-1],
            ),
        )
    st.caption(_("Under each pattern: the filter's mean response (before its ReLU) at the first and last step."))
