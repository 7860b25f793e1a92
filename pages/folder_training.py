"""Train on image folders: cats vs dogs or your own zip of class folders, with the seed's convnet,
augmentation in the input pipeline, live charts, results, and the model for the activation page."""

import dataclasses
import functools
import os
import tempfile

import numpy as np
import streamlit as st

from cnn_core.data import download, folders, paths, zips
from cnn_core.data.budget import NOTICE
from cnn_core.data.errors import DownloadError, renamed
from cnn_core.data.mnist import cache_dir
from cnn_core.i18n import LabError
from cnn_core.learning.models import build_cats_dogs_convnet
from cnn_core.learning.runs import TrainingRun
from cnn_core.learning.settings import MAX_EPOCHS, TrainingSettings
from cnn_core.vision import augment, augment_code
from ui import epochs as epochs_ui
from ui import settings as kept_settings
from ui import state
from ui import training as training_ui
from ui.i18n import N_, _, error_text, language, ngettext, number

RUN_KEY = state.FOLDER_RUN
SOURCES = {
    "zip": N_("Upload a zip of class folders"),
    "cats": N_("Cats and dogs (download, about 68 MB)"),
    # Only where the operator set CNN_LAB_FOLDER_PATHS=1 (cnn_core.data.paths); nothing the browser
    # sends (its URL, headers or address) can turn it on.
    "path": N_("A folder on this computer"),
}


@st.cache_resource(show_spinner=False, max_entries=1)
def cats_and_dogs(max_per_class: int) -> folders.ImageFolderData:
    """The cats-and-dogs set, decoded once per server into a shared file and read by every visitor."""
    out_dir = cache_dir() / f"cats_and_dogs_{max_per_class}"
    out_dir.mkdir(parents=True, exist_ok=True)
    return folders.load_image_folder(download.download_cats_and_dogs(), max_per_class=max_per_class, out_dir=out_dir)


def download_with_progress() -> None:
    """Fetch the archive (cached after the first time) with a progress bar; raises DownloadError."""
    bar = st.progress(0.0, text=_("Connecting…"))
    try:
        download.download_cats_and_dogs(
            progress=lambda done, total: bar.progress(
                min(done / total, 1.0),
                text=_("Downloading {done} of {total} MB…", done=number(done / 1e6, 1), total=number(total / 1e6, 1)),
            )
        )
    finally:
        bar.empty()


def load_zip(uploaded, validation_split: float, max_per_class: int, out_dir) -> folders.ImageFolderData:
    """Unpack an upload into a temporary folder, decode it into ``out_dir``, and delete the folder again.

    Errors name the zip, not the temporary folder; the progress line goes away whatever happens.
    """
    name = getattr(uploaded, "name", "the zip")
    bar = st.progress(0.0, text=_("Unpacking…"))
    try:
        with tempfile.TemporaryDirectory(prefix="cnn_lab_zip_") as folder:
            try:
                report = zips.extract_image_zip(uploaded, folder)
                data = folders.load_image_folder(
                    report.root,
                    validation_split=validation_split,
                    max_per_class=max_per_class,
                    progress=lambda done, total: bar.progress(done / total, text=decoding_text(done, total)),
                    out_dir=out_dir,
                )
            except LabError as exc:
                raise renamed(exc, folder, name) from exc
    finally:
        bar.empty()
    # Name the data after the upload, not the temporary folder it was unpacked into.
    source = data.source.replace(os.path.basename(folder), name)
    # Skipped files were never unpacked.
    return dataclasses.replace(data, source=source, name=name, skipped=report.skipped)


def decoding_text(done: int, total: int) -> str:
    return ngettext(
        "Decoding {done} of {total} image…",
        "Decoding {done} of {total} images…",
        total,
        done=number(done),
        total=number(total),
    )


def load_path(text: str, validation_split: float, max_per_class: int, out_dir) -> folders.ImageFolderData:
    """Load a folder inside the operator's root; anything else gets one message, whether it exists or not."""
    folder = paths.resolve_folder(text)
    bar = st.progress(0.0, text=_("Reading…"))
    try:
        return folders.load_image_folder(
            folder,
            validation_split=validation_split,
            max_per_class=max_per_class,
            progress=lambda done, total: bar.progress(done / total, text=decoding_text(done, total)),
            within=paths.folder_root(),
            out_dir=out_dir,
        )
    finally:
        bar.empty()


def data_section() -> folders.ImageFolderData | None:
    """Choose and load a data set; returns the one loaded in this session, if any."""
    options = [key for key in SOURCES if key != "path" or paths.folder_paths_enabled()]
    source = st.radio(
        _("Data"),
        options,
        format_func={key: _(text) for key, text in SOURCES.items()}.get,
        horizontal=True,
        key="folder_source",
    )
    left, right = st.columns(2)
    max_per_class = left.number_input(
        _("Images per class, at most (per split)"),
        1,
        folders.MAX_IMAGES,
        1000,
        step=100,
        key="folder_max_per_class",
        help=_(
            "1 to {maximum}. The seed trains on 1,000 cats and 1,000 dogs. Fewer images train faster and "
            "overfit sooner.",
            maximum=number(folders.MAX_IMAGES),
        ),
    )
    validation_split = right.slider(
        _("Validation share (for folders without train/ and validation/)"),
        0.1,
        0.5,
        0.2,
        step=0.05,
        key="folder_validation_split",
    )
    try:
        if source == "zip":
            uploaded = st.file_uploader(
                _("A .zip of class folders (cats/, dogs/, ...), optionally inside train/ and validation/"),
                type=["zip"],
                key="folder_zip",
            )
            if uploaded is not None and st.button(_("Load this zip"), type="primary"):
                out_dir = state.data_folder()
                state.set_folder_data(load_zip(uploaded, validation_split, int(max_per_class), out_dir), out_dir)
        elif source == "cats":
            st.caption(
                _(
                    "TensorFlow's `cats_and_dogs_filtered`: 2,000 training and 1,000 validation pictures, "
                    "the same size as the seed's `cats_and_dogs_small`. Downloaded once, then cached."
                )
            )
            if st.button(_("Download and load"), type="primary"):
                download_with_progress()
                with st.spinner(_("Decoding the pictures (once per server)…")):
                    state.set_folder_data(cats_and_dogs(int(max_per_class)))
        elif source == "path":
            st.caption(
                _(
                    "Folders inside `{root}` on the server that runs this app, shared by its operator.",
                    root=paths.folder_root(),
                )
            )
            path = st.text_input(_("Folder path"), key="folder_path", placeholder="Pictures/cats_and_dogs_small")
            if st.button(_("Load this folder"), type="primary"):
                out_dir = state.data_folder()
                state.set_folder_data(load_path(path.strip(), validation_split, int(max_per_class), out_dir), out_dir)
    except DownloadError as exc:
        st.error(_("**Offline?** {error}", error=error_text(exc)))
    except ValueError as exc:  # DatasetError and ImageError: a message for the visitor, never a traceback.
        st.error(error_text(exc))
    return state.folder_data()


def data_overview(data: folders.ImageFolderData) -> None:
    counts = data.counts()
    st.success(
        _(
            "Loaded **{source}**: {train} training and {val} validation images in {classes} classes, "
            "resized to {height}x{width}.",
            source=data.describe(language()),
            train=number(len(data.y_train)),
            val=number(len(data.y_val)),
            classes=data.num_classes,
            height=data.input_shape[0],
            width=data.input_shape[1],
        )
    )
    if data.skipped:
        st.caption(
            ngettext(
                "{count} file that is not an image was left out (a README, .DS_Store, __MACOSX/...).",
                "{count} files that are not images were left out (a README, .DS_Store, __MACOSX/...).",
                data.skipped,
                count=number(data.skipped),
            )
        )
    st.dataframe(
        [{_("class"): name, _("train"): train, _("validation"): val} for name, (train, val) in counts.items()],
        hide_index=True,
    )
    examples = [np.flatnonzero(data.y_train == i)[:1] for i in range(min(data.num_classes, 8))]
    cells = st.columns(8)
    for cell, index, name in zip(cells, examples, data.class_names):
        cell.image(data.x_train[index[0]], caption=name, width="stretch")


def augmentation_choice():
    """None, the seed's training cell, or the settings from the Augmentation page."""
    choices = {N_("Seed's training cell"): augment.SEED_TRAINING, N_("None"): None}
    mine = state.augmentation_settings()
    if mine is not None:
        choices[N_("My settings from the Augmentation page")] = mine
    label = st.radio(
        _("Augmentation (training batches only)"),
        list(choices),
        format_func={key: _(key) for key in choices}.get,
        horizontal=True,
        key="folder_augment",
    )
    settings = choices[label]
    if settings is not None:
        st.code(augment_code.datagen_code(settings), language="python", wrap_lines=True)
    return settings


def pipeline_peek(data: folders.ImageFolderData, settings) -> None:
    """Eight training images as the pipeline hands them to the model (the same code as the preview)."""
    seed = int(st.session_state.get("folder_peek_seed", 0))
    picks = np.sort(np.random.default_rng(seed).choice(len(data.y_train), min(8, len(data.y_train)), replace=False))
    batch = augment.augment_batch(data.x_train[picks], settings, seed=seed)
    cells = st.columns(8)
    for cell, image, label in zip(cells, batch, data.y_train[picks]):
        cell.image(image, caption=data.class_names[label], width="stretch", clamp=True)
    st.button(_("Another draw"), key="folder_peek", on_click=reroll_peek)


def reroll_peek() -> None:
    st.session_state.folder_peek_seed = int(np.random.default_rng().integers(100_000))


# The settings are this visitor's own run: kept for the session (not in the URL) when they leave.
kept_settings.session_settings(
    *("folder_source", "folder_max_per_class", "folder_validation_split", "folder_path", "folder_augment"),
    *("folder_dropout", "folder_epochs", "folder_batch", "folder_lr"),
)
st.title(_("Train on image folders"))
st.markdown(
    _(
        "The seed's second experiment: a convnet learns cats from dogs from 2,000 pictures. Use that data "
        "set, or a zip of your own class folders (one folder per class). The model is the seed's: four "
        "Conv/MaxPool blocks (32, 64, 128, 128 filters), Flatten, optional Dropout, Dense 512, and one "
        "sigmoid unit (a softmax layer for more than two classes)."
    )
)

st.header(_("1. Data"))
data = data_section()
state.forget_after_run(globals(), "data")  # the Start button's callback below outlives this run
if data is None:  # Released since the Start button was drawn: app.py's notice says so; no stale refusal.
    st.session_state.pop(f"{RUN_KEY}_refused", None)
if data is not None:
    data_overview(data)

if data is not None:
    st.header(_("2. Model and training"))
    settings = augmentation_choice()
    st.caption(
        _(
            "What the model is fed: training images after the pipeline's augmentation, drawn by the same "
            "`cnn_core.augment` code as the Augmentation page."
        )
    )
    pipeline_peek(data, settings)
    a, b, c, d = st.columns(4)
    dropout = a.slider(
        _("Dropout after Flatten"),
        0.0,
        0.8,
        0.5,
        step=0.05,
        key="folder_dropout",
        help=_("The seed adds Dropout(0.5) together with augmentation; 0 is its first, plain model."),
    )
    epochs = b.number_input(
        _("Epochs"),
        1,
        MAX_EPOCHS,
        10,
        key="folder_epochs",
        help=_(
            "1 to {maximum}. The seed trains 30 epochs plain and 100 with augmentation; on a CPU one "
            "epoch of 2,000 pictures takes about a minute.",
            maximum=MAX_EPOCHS,
        ),
    )
    batch_size = c.select_slider(_("Batch size"), [8, 16, 20, 32, 64], value=20, key="folder_batch")
    learning_rate = d.select_slider(
        _("Learning rate (Adam)"), [1e-4, 3e-4, 1e-3, 3e-3], value=1e-3, key="folder_lr", format_func=lambda v: f"{v:g}"
    )
    # The number box holds only 1 to MAX_EPOCHS (its help says so), so these settings are in range.
    training_settings = TrainingSettings(int(epochs), int(batch_size), "adam", float(learning_rate))
    build_args = {
        "input_shape": data.input_shape,
        "num_classes": data.num_classes,
        "filters": (32, 64, 128, 128),
        "pool_last": True,
        "dropout": dropout,
        "dense_units": 512,
    }
    with st.expander(_("Model summary and its Keras code")):
        rows, input_shape = training_ui.cached_summary(tuple(build_args.items()))
        training_ui.summary_table(rows, input_shape)
        training_ui.keras_listing(build_args, training_settings)

    st.header(_("3. Train"))

    def make_run() -> TrainingRun:
        """A run with the settings shown now, named in order for this session, on the data loaded now."""
        data = state.folder_data()  # not this run's global: the budget may have released it since
        if data is None:
            raise LabError(NOTICE, kind=_(state.FOLDER_DATA_KIND))
        count = state.next_count("folder")
        recipe = _("augmented") if settings is not None else _("plain")
        validation = (data.x_val, data.y_val)  # The seed has no test split: results use validation.
        return TrainingRun(
            functools.partial(
                build_cats_dogs_convnet, dropout=dropout, input_shape=data.input_shape, num_classes=data.num_classes
            ),
            (data.x_train, data.y_train),
            validation,
            validation,
            class_names=data.class_names,
            settings=training_settings,
            augmentation=settings,
            seed=0,
            watch=epochs_ui.cat_watch(data.input_shape),
            name=_(
                "Folder run {count} ({classes}, {recipe}, dropout {dropout:g})",
                count=count,
                classes="/".join(data.class_names),
                recipe=recipe,
                dropout=dropout,
            ),
        )

    training_ui.start_button(RUN_KEY, make_run)

run = st.session_state.get(RUN_KEY)
if run is not None:
    st.caption(f"**{run.name}**")
    training_ui.monitor(RUN_KEY)
    if run.watch is not None:
        with st.expander(
            _("Watch it learn: the kernels and the cat's feature maps, epoch by epoch"), expanded=run.done
        ):
            scrub = epochs_ui.scrubber if run.done else st.fragment(run_every=2.0)(epochs_ui.scrubber)
            scrub(run.snapshots, run.watch.probes, "folder_epochs", [_("the note's cat")])
    if run.done:
        st.header(_("4. Results"))
        st.caption(_("Here the test set is the validation images: the seed has no separate test split."))
        entry = training_ui.register_model(run, "folder")
        if entry is not None:
            st.success(_("**{name}** is now available on the Activation maps page of this session.", name=entry.name))
        training_ui.results(run, RUN_KEY)
