"""Watching a network learn: a scrubber over its epoch snapshots (kernels, their movement, a probe's maps)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core.figures.charts import kernel_change_figure
from cnn_core.figures.pictures import display_scale, grid_picture, kernels_picture
from cnn_core.learning.activations import activation_grid
from cnn_core.learning.snapshots import Watch, model_at_epoch
from ui import resources
from ui.charts import labelled_chart
from ui.i18n import _, language, number

KERNEL_CELL = 40  # pixels per kernel in the kernel pictures


def scrubber(snapshots: list, probes: np.ndarray, key: str, probe_names: list[str] | None = None) -> None:
    """An epoch slider over ``snapshots``: the first layer's kernels then and at epoch 0, how far
    each moved, and one probe picture's maps at that epoch (layer by layer)."""
    if not snapshots:
        st.caption(_("The first snapshot arrives when the training starts: the untrained network, epoch 0."))
        return
    epochs = [snapshot.epoch for snapshot in snapshots]
    follow_key = f"{key}_follow"
    if st.session_state.get(follow_key, True) or st.session_state.get(f"{key}_epoch") not in epochs:
        st.session_state[f"{key}_epoch"] = epochs[-1]  # Follows the newest epoch until the visitor moves it.
    left, right = st.columns([3, 1])
    epoch = epoch_slider(epochs, f"{key}_epoch", left, on_change=_stop_following, args=(follow_key,))
    names = probe_names or [_("picture {number}", number=i + 1) for i in range(len(probes))]
    probe = right.selectbox(_("Picture"), range(len(probes)), format_func=names.__getitem__, key=f"{key}_probe")
    chosen, start = snapshots[epochs.index(epoch)], snapshots[0]
    limit = float(max(np.abs(start.kernels.mean(axis=2)).max(), np.abs(chosen.kernels.mean(axis=2)).max()))
    a, b = st.columns(2)
    a.image(kernels_picture(start.kernels, limit, cell=KERNEL_CELL), caption=_("first layer's kernels, epoch 0"))
    b.image(
        kernels_picture(chosen.kernels, limit, cell=KERNEL_CELL),
        caption=_("the same kernels, epoch {epoch}", epoch=epoch),
    )
    st.caption(
        _(
            "Red weights are positive, blue negative, on one scale for both epochs. Each kernel is one "
            "filter's 3x3 (or 5x5) weights, averaged over its input channels."
        )
    )
    change = np.asarray(chosen.kernel_change(start), dtype=float).reshape(-1)
    labelled_chart(
        kernel_change_figure(
            change, title=_("How far each kernel moved by epoch {epoch}", epoch=epoch), language=language()
        ),
        f"{key}_moved",
        [("", [_("filter"), _("change")], [[str(i), number(value, 4)] for i, value in enumerate(change)])],
    )
    picture_column, maps_column = st.columns([1, 4])
    picture_column.image(_picture(probes[probe]), caption=names[probe], width=112)
    with maps_column:
        for name, maps in chosen.activations.items():
            values = maps[probe].astype(np.float32)  # (h, w, c)
            grid = activation_grid(values, 16)
            st.image(
                grid_picture(grid, values.shape[:2], display_scale(grid.shape[1], 720)),
                caption=_(
                    "{layer} at epoch {epoch}: {height}x{width}x{channels}",
                    layer=name,
                    epoch=epoch,
                    height=values.shape[0],
                    width=values.shape[1],
                    channels=values.shape[2],
                ),
            )


def epoch_slider(epochs: list[int], key: str, container=st, value: int | None = None, **callback) -> int:
    """The scrubber's epoch slider over ``epochs`` (0: before training), in ``container``."""
    return container.select_slider(
        _("Epoch"),
        epochs,
        value=value,
        key=key,
        help=_("0 is the network before training; each step is one epoch more."),
        **callback,
    )


def shipped_epochs(name: str) -> list[int]:
    """The epochs of the shipped model ``name``'s history that kept all its weights ([] without one)."""
    if not (resources.MODELS_DIR / f"{name}_epochs.npz").is_file():
        return []
    history, _probes = resources.shipped_history(name)
    return [snapshot.epoch for snapshot in history if snapshot.weights is not None]


@st.cache_resource(show_spinner=False, max_entries=4)
def shipped_model_at_epoch(name: str, epoch: int, _shipped):
    """The shipped model ``name`` (``_shipped``, loaded) with its weights after ``epoch`` epochs, shared read-only.

    Keyed by (name, epoch); a few models at once, about 0.8 MB each for the MNIST convnet.
    """
    history, _probes = resources.shipped_history(name)
    return model_at_epoch(_shipped, next(snapshot for snapshot in history if snapshot.epoch == epoch))


def cat_watch(input_shape) -> Watch:
    """The note's cat (the bundled photo) as the probe of a picture model: its first and last conv maps.

    The maps of a 150x150 picture are big, so a run keeps 16 channels of the first and last conv
    layers, shrunk to at most 48 pixels a side: about 80 kB an epoch instead of 3 MB.
    """
    from cnn_core.vision.images import load_sample_photo, prepare_image

    cat = np.uint8(np.rint(prepare_image(load_sample_photo(max_side=512), input_shape) * 255))  # (H, W, C)
    return Watch(cat[None], layers=("conv2d_1", CAT_LAST_CONV), max_channels=16, max_side=48)


CAT_LAST_CONV = "conv2d_4"  # the cats-vs-dogs convnet's last conv layer (build_cats_dogs_convnet)


def _stop_following(follow_key: str) -> None:
    st.session_state[follow_key] = False


def _picture(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    return image if image.dtype == np.uint8 else np.uint8(np.clip(image, 0, 1) * 255)
