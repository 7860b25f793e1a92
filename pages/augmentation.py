"""Augmentation: the seed's ImageDataGenerator settings as controls, a live grid of variants,
and the same settings written as the book's call and as Keras 3 preprocessing layers."""

import numpy as np
import streamlit as st

from cnn_core.vision import augment, augment_code, images
from cnn_core.vision.augment import AugmentSettings
from cnn_core.vision.transforms import FILL_MODES
from ui import settings as kept_settings
from ui import state
from ui.i18n import N_, _, language
from ui.uploads import image_upload

PREVIEW_SIZE = (150, 150)  # The seed's target_size: what the model is trained on.
PRESETS = {"preview": augment.SEED_PREVIEW, "training": augment.SEED_TRAINING, "none": AugmentSettings()}
FILL_MODE_NAMES = {
    "constant": N_("constant (a fixed value)"),
    "nearest": N_("nearest (the nearest edge pixel)"),
    "reflect": N_("reflect (mirrored at the edge)"),
    "wrap": N_("wrap (the opposite side)"),
}
SOURCES = {"Chelsea the cat (bundled)": N_("Chelsea the cat (bundled)"), "Upload a photo": N_("Upload a photo")}


def apply_preset(name: str) -> None:
    """Set every control to one of the seed's two ImageDataGenerator calls (or to nothing)."""
    set_controls(PRESETS[name])


def set_controls(preset: AugmentSettings) -> None:
    st.session_state.update(
        {
            "aug_rotation": int(preset.rotation_range),
            "aug_width_shift": preset.width_shift_range,
            "aug_height_shift": preset.height_shift_range,
            "aug_shear": preset.shear_range,
            "aug_zoom": preset.zoom_range,
            "aug_hflip": preset.horizontal_flip,
            "aug_vflip": preset.vertical_flip,
            "aug_fill": preset.fill_mode,
        }
    )


def reroll() -> None:
    st.session_state.aug_seed = int(np.random.default_rng().integers(0, 100_000))


def controls() -> AugmentSettings:
    """The ImageDataGenerator arguments, as widgets; defaults are the seed's preview cell."""
    seed = augment.SEED_PREVIEW  # The defaults; ui.settings keeps the visitor's values and links them.
    st.caption(_("Start from one of the seed's two `ImageDataGenerator` calls:"))
    left, mid, right = st.columns(3)
    left.button(
        _("Preview"),
        on_click=apply_preset,
        args=("preview",),
        width="stretch",
        help=_(
            "The seed's preview cell: rotation 30, shifts 0.1, shear 0.2, zoom 0.5, horizontal "
            "flip, nearest. These are this page's defaults."
        ),
    )
    mid.button(
        _("Training"),
        on_click=apply_preset,
        args=("training",),
        width="stretch",
        help=_(
            "The cell the seed's dropout model trains with: rotation 40, shifts 0.1, shear 0.4, "
            "zoom 0.5, horizontal flip."
        ),
    )
    right.button(_("None"), on_click=apply_preset, args=("none",), width="stretch", help=_("Every setting at zero."))
    rotation = kept_settings.slider(
        _("rotation_range (degrees)"),
        0,
        180,
        int(seed.rotation_range),
        key="aug_rotation",
        help=_("Each image is turned by a random angle between -r and +r degrees."),
    )
    width_shift = kept_settings.slider(
        _("width_shift_range (fraction of the width)"),
        0.0,
        0.5,
        seed.width_shift_range,
        step=0.01,
        key="aug_width_shift",
        help=_("In today's Keras this moves the image up and down (keras-team/keras#17398)."),
    )
    height_shift = kept_settings.slider(
        _("height_shift_range (fraction of the height)"),
        0.0,
        0.5,
        seed.height_shift_range,
        step=0.01,
        key="aug_height_shift",
        help=_("In today's Keras this moves the image sideways (keras-team/keras#17398)."),
    )
    shear = kept_settings.slider(
        _("shear_range (degrees)"),
        0.0,
        45.0,
        seed.shear_range,
        step=0.1,
        key="aug_shear",
        help=_(
            "Keras reads shear_range in degrees. The book's 0.2 dates from Keras 2.0, which read "
            "it in radians: 0.2 rad is about 11.5°. Try 11.5 to see what the book's author saw."
        ),
    )
    zoom = kept_settings.slider(
        _("zoom_range"),
        0.0,
        0.9,
        seed.zoom_range,
        step=0.05,
        key="aug_zoom",
        help=_("z draws a scale in [1 - z, 1 + z] for each axis on its own; above 1 zooms out."),
    )
    flip_left, flip_right = st.columns(2)
    horizontal = kept_settings.checkbox(
        _("horizontal_flip"), key="aug_hflip", value=seed.horizontal_flip, where=flip_left
    )
    vertical = kept_settings.checkbox(_("vertical_flip"), key="aug_vflip", value=seed.vertical_flip, where=flip_right)
    fill_mode = kept_settings.selectbox(
        _("fill_mode"),
        FILL_MODES,
        index=FILL_MODES.index(seed.fill_mode),
        format_func={mode: _(FILL_MODE_NAMES.get(mode, mode)) for mode in FILL_MODES}.get,
        key="aug_fill",
        help=_("How the corners uncovered by a turn or shift are filled."),
    )
    return AugmentSettings(
        rotation,
        round(width_shift, 4),
        round(height_shift, 4),
        round(shear, 4),
        round(zoom, 4),
        horizontal_flip=horizontal,
        vertical_flip=vertical,
        fill_mode=fill_mode,
    )


def source_image() -> np.ndarray:
    """The photo to augment, as uint8 (150, 150, 3): squashed like Keras's load_img(target_size)."""
    choice = kept_settings.radio(
        _("Image"),
        list(SOURCES),
        format_func={source: _(text) for source, text in SOURCES.items()}.get,
        horizontal=True,
        key="aug_source",
    )
    photo = None
    if choice == "Upload a photo":
        photo = image_upload(_("A photo to augment"), key="aug_upload")
        if photo is None:
            st.info(_("Until a photo is uploaded, the bundled cat is shown."))
    if photo is None:
        photo = images.load_sample_photo()
    return images.resize(photo, PREVIEW_SIZE)


st.title(_("Data augmentation"))
kept_settings.begin("augmentation")
st.markdown(
    _(
        "With only 2,000 pictures, the seed's cats-vs-dogs convnet memorises its training set. "
        "**Augmentation** shows it a slightly different picture every epoch: turned, shifted, sheared, "
        "zoomed or mirrored. Each control below is an argument of the book's `ImageDataGenerator`, with "
        "exactly Keras's meaning; the training pages run the very same transform code."
    )
)

settings_column, grid_column = st.columns([1, 2], gap="large")
with settings_column:
    settings = controls()
    state.set_augmentation_settings(settings)
    count = kept_settings.slider(_("Variants"), 4, 16, 8, key="aug_count")
    seed_column, button_column = st.columns([2, 1], vertical_alignment="bottom")
    seed = kept_settings.number_input(_("Seed"), 0, 99_999, 0, key="aug_seed", where=seed_column)
    button_column.button(_("🎲 Reroll"), on_click=reroll, width="stretch")

with grid_column:
    photo = source_image()
    variants = augment.augment_variants(photo.astype(np.float32), settings, count, int(seed))
    st.image(photo, caption=_("original (150x150)"), width=150)
    for row in range(0, count, 4):
        cells = st.columns(4)
        for cell, (variant, params) in zip(cells, variants[row : row + 4]):
            cell.image(
                np.clip(variant, 0, 255).astype(np.uint8),
                caption=augment.describe_params(params, language()),
                width="stretch",
            )
    st.caption(
        _(
            "Photo: Chelsea the cat by Stefan van der Walt, CC0, from scikit-image's sample data. "
            "Each variant draws its own parameters, as `datagen.flow(...)` does for every image."
        )
    )

st.subheader(_("The same settings in code"))
book, layers = st.columns(2)
with book:
    st.markdown(_("**The book (Keras 2):** `ImageDataGenerator`"))
    st.code(augment_code.datagen_code(settings), language="python", wrap_lines=True)
    st.caption(_("Keras 3 keeps it only as `keras.src.legacy.preprocessing.image.ImageDataGenerator`."))
with layers:
    st.markdown(_("**Keras 3:** preprocessing layers"))
    st.code(augment_code.keras_layers_code(settings, PREVIEW_SIZE), language="python", wrap_lines=True)
    st.caption(
        _(
            "Put the layers first in the model or map them over a `tf.data` pipeline; they are active only "
            "while training. Differences: each layer resamples on its own (the generator resamples once), "
            "`RandomShear` shears about the top-left corner, and `RandomRotation`'s factor is a fraction of a "
            "full turn, not degrees."
        )
    )
kept_settings.share_link()
