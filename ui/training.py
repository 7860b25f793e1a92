"""Page pieces for any training page: the summary table, the live monitor, results and downloads.

They take a ``cnn_core.TrainingRun`` (kept in ``st.session_state`` under a key) and its class
names, nothing specific to MNIST, so the MNIST page and the image-folder page share them. The run
trains in its own thread and calls no ``st.*``; the monitor is a fragment that polls the run's
snapshot every half second and redraws, then reruns the page once when the run ends.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from cnn_core.figures.charts import confusion_figure, history_figure
from cnn_core.figures.pictures import enlarge
from cnn_core.learning.evaluation import history_to_csv
from cnn_core.learning.keras_code import keras_code
from cnn_core.learning.progress import Snapshot
from cnn_core.learning.quality import MIN_PER_CLASS, run_quality
from cnn_core.learning.runs import TrainingRun
from cnn_core.learning.settings import TrainingSettings
from cnn_core.learning.summary import SummaryRow, summary_rows, summary_total
from ui import sessions, state
from ui.charts import labelled_chart
from ui.i18n import N_, _, error_text, language, ngettext, number, percent
from ui.resources import freeze_long_lived_objects
from ui.state import SessionModel, add_session_model, session_models

POLL_S = 0.5
GALLERY_SIZE = 30
# The history twin's columns, as Keras names them and as the table heads them.
HISTORY_COLUMNS = (
    ("loss", N_("loss")),
    ("accuracy", N_("accuracy")),
    ("val_loss", N_("validation loss")),
    ("val_accuracy", N_("validation accuracy")),
)
GALLERY_SIDE = 84  # Small images (MNIST is 28 px) are enlarged to this width without smoothing.
# How an ended run ended, as the start of its progress line ("Finished after 1 min 05 s").
ENDED_TEXTS = {
    "finished": N_("Finished after {duration}"),
    "stopped": N_("Stopped after {duration}"),
    "timed out": N_("Timed out after {duration}"),
    "cancelled": N_("Cancelled after {duration}"),
    "failed": N_("Failed after {duration}"),
}


freeze_long_lived_objects()


def format_duration(seconds: float | None) -> str:
    """Seconds as '1 min 05 s' or '12 s'; '…' when unknown."""
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    if seconds >= 60:
        return _("{minutes} min {seconds:02d} s", minutes=seconds // 60, seconds=seconds % 60)
    return _("{seconds} s", seconds=seconds)


def ended_text(snapshot: Snapshot) -> str:
    """How an ended run ended and after how long ("Stopped after 12 s")."""
    template = ENDED_TEXTS.get(snapshot.status, N_("Ended after {duration}"))
    return _(template, duration=format_duration(snapshot.elapsed_s))


def progress_text(snapshot: Snapshot) -> str:
    """One line: where the run is, time spent, time left."""
    if snapshot.status == "waiting":
        return _("Starting: building the model and the input pipeline…")
    if snapshot.status == "evaluating":
        return _(
            "Training done in {duration}; evaluating on the test set…", duration=format_duration(snapshot.elapsed_s)
        )
    epoch = min(snapshot.epoch + 1, snapshot.epochs)
    return _(
        "Epoch {epoch} of {epochs} · batch {step} of {steps} · {elapsed} elapsed · about {left} left",
        epoch=epoch,
        epochs=snapshot.epochs,
        step=snapshot.step,
        steps=snapshot.steps_per_epoch,
        elapsed=format_duration(snapshot.elapsed_s),
        left=format_duration(snapshot.eta_s),
    )


# --- the summary table -----------------------------------------------------------------------------


def cached_summary(build_args: tuple) -> tuple[list[SummaryRow], tuple]:
    """Summary rows (in the visitor's language) and input shape for ``models.build_convnet(**dict(build_args))``."""
    return _cached_summary(build_args, language())


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_summary(build_args: tuple, language: str) -> tuple[list[SummaryRow], tuple]:
    """Built once per architecture and language."""
    from cnn_core.learning.models import build_convnet

    model = build_convnet(**dict(build_args))
    return summary_rows(model, language), tuple(model.input_shape[1:])


def summary_table(rows: list[SummaryRow], input_shape: tuple) -> None:
    """The layer table with the arithmetic behind every shape and parameter count."""
    st.dataframe(
        [
            {
                _("Layer"): row.name,
                _("Type"): row.kind,
                _("Output shape"): str(row.output_shape),
                _("Shape arithmetic"): row.shape_math,
                _("Parameters"): number(row.params),
                _("Parameter arithmetic"): row.params_math,
            }
            for row in rows
        ],
        hide_index=True,
        width="stretch",
    )
    st.markdown(
        _(
            "Input: `{shape}`. **Total parameters: {total}** (the same numbers as Keras's `model.summary()`).",
            shape=input_shape,
            total=number(summary_total(rows)),
        )
    )
    st.caption(
        _(
            "Each side of a conv or pooling output is o = ⌊(i + 2p − k) / s⌋ + 1 — the formula from the "
            "Padding and Stride pages (`cnn_core.conv_output_size`). With 'valid' padding (p = 0) and s = 1 "
            "it is i − k + 1: 26 = 28 − 3 + 1. A conv layer has (kh·kw·channels_in + 1)·filters parameters: "
            "one weight per kernel cell and input channel, plus one bias, per filter: 320 = (3·3·1 + 1)·32. "
            "A dense layer has (inputs + 1)·units. Pooling, flatten and dropout learn nothing."
        )
    )


def keras_listing(build_args: dict, settings: TrainingSettings | None) -> None:
    """The Keras code that builds, compiles and fits ``build_convnet(**build_args)`` with ``settings``."""
    if settings is None:
        st.caption(_("The Keras code for this model appears here once the training settings are in range."))
        return
    st.markdown(
        _(
            "**The Keras code** of this model and these settings: run up to `model.fit`, it builds the "
            "model of the table above, layer for layer (each line's comment is its output shape)."
        )
    )
    st.code(listing_for(build_args, settings), language="python")


def listing_for(build_args: dict, settings: TrainingSettings) -> str:
    """``keras_code`` for these build arguments and training settings."""
    return keras_code(
        **build_args,
        optimizer=settings.optimizer,
        learning_rate=settings.learning_rate,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
    )


# --- starting, monitoring, stopping ----------------------------------------------------------------


def start_button(run_key: str, make_run: Callable[[], TrainingRun], disabled: bool = False) -> None:
    """The "Start training" button; a click builds a run with ``make_run`` and queues it.

    The server runs ``CNN_LAB_MAX_TRAININGS`` trainings at once and each visitor holds at most one
    slot; a click when every slot is taken joins a first-come queue, and the run starts by itself
    when its turn comes. It is submitted in the click's callback, before the page reruns, so the
    same rerun already shows the run and a disabled button. A refusal shows below it.
    """
    busy_here = is_running(run_key)
    if busy_here:
        st.info(_("A run is in progress in this session; stop it or wait for it to finish before starting another."))
    st.button(
        _("Start training"),
        type="primary",
        disabled=disabled or busy_here,
        key=f"{run_key}_start",
        on_click=submit,
        args=(run_key, make_run),
    )
    refusal = st.session_state.pop(f"{run_key}_refused", None)
    if refusal:
        st.error(refusal)


def submit(run_key: str, make_run: Callable[[], TrainingRun]) -> None:
    """Queue a new run under ``run_key`` for this session (a button's callback)."""
    if is_running(run_key):
        return
    try:
        owner = sessions.session_id()
        queue = sessions.supervisor().queue
        run = make_run()
        run.keep_going = lambda: sessions.supervisor().watch.alive(owner)
        ticket = queue.submit(owner, run.start, run.name, run.expected_seconds)
    except ValueError as exc:  # A full queue, a bad CNN_LAB_* setting, a model that cannot travel.
        st.session_state[f"{run_key}_refused"] = error_text(exc)
        return
    sessions.track(cleanup=run.cleanup)
    state.set_training(run_key, run, ticket)


def is_running(run_key: str) -> bool:
    """True while this session has a run that waits or trains."""
    run = st.session_state.get(run_key)
    return run is not None and not run.done


def monitor(run_key: str) -> None:
    """Live progress while the run waits or trains, or its final charts once it ended."""
    run = st.session_state.get(run_key)
    if run is None:
        return
    if run.done:
        _draw_progress(run, run_key)
    else:
        _live_monitor(run_key)


@st.fragment(run_every=POLL_S)
def _live_monitor(run_key: str) -> None:
    run = st.session_state.get(run_key)
    if run is None:
        return
    if run.done:
        st.rerun()  # Once, so the whole page shows the results and polling stops.
    place = queue_place(run_key)
    if place is not None and place.state == "queued":
        _draw_waiting(run, run_key, place)
    else:
        _draw_progress(run, run_key)


def queue_place(run_key: str):
    """Where the run under ``run_key`` stands in the server's queue, or None for no run."""
    ticket = state.training_ticket(run_key)
    return None if ticket is None else sessions.supervisor().queue.place(ticket)


def _draw_waiting(run: TrainingRun, run_key: str, place) -> None:
    left, right = st.columns([4, 1])
    left.info(waiting_text(place.position, place.wait_s))
    right.button(
        _("Cancel"),
        key=f"{run_key}_cancel",
        on_click=cancel,
        args=(run_key,),
        width="stretch",
        help=_("Leave the queue; nothing has been trained yet."),
    )


def waiting_text(position: int, wait_s: float | None) -> str:
    """Where a queued run stands, in words."""
    if position == 1:
        ahead = _("next in line")
    else:
        ahead = ngettext("{n} training ahead of it", "{n} trainings ahead of it", position - 1)
    return _(
        "Waiting for a training slot: position {position} in the queue ({ahead}); it starts by itself "
        "in about {wait}. Other visitors' trainings hold the server's slots.",
        position=position,
        ahead=ahead,
        wait=format_duration(wait_s),
    )


def cancel(run_key: str) -> None:
    """Leave the queue (or stop a started run and drop it)."""
    ticket, run = state.training_ticket(run_key), st.session_state.get(run_key)
    if ticket is not None:
        sessions.supervisor().queue.cancel(ticket)
    if run is not None:
        run.cancel()


def _draw_progress(run: TrainingRun, run_key: str) -> None:
    snapshot = run.snapshot()
    left, right = st.columns([4, 1])
    with left:
        if run.done:
            st.progress(snapshot.fraction, text=ended_text(snapshot))
        else:
            st.progress(snapshot.fraction, text=progress_text(snapshot))
    with right:
        st.button(
            _("Stop"),
            key=f"{run_key}_stop",
            on_click=run.stop,
            disabled=run.done or run.stop_requested,
            help=_("Stop after the current batch; the weights and the history so far are kept."),
            width="stretch",
        )
    labelled_chart(
        history_figure(snapshot, language=language()),
        f"{run_key}_history_chart",
        [history_table(snapshot.epoch_points)],
        width="stretch",
    )
    st.caption(
        _(
            "Within an epoch the train curve is the running mean since the epoch began, as Keras "
            "reports it, so it steps when a new epoch starts. Validation is measured at each epoch's end."
        )
    )


def epoch_text(position: float) -> str:
    """An epoch's place: "3", or "1.4" for a stopped run's partial last epoch."""
    return str(round(position)) if abs(position - round(position)) < 1e-6 else number(position, 1)


def history_table(epoch_points, title: str = ""):
    """The history chart's twin: one row per epoch's end (loss, accuracy and their validation figures)."""
    columns = [(key, name) for key, name in HISTORY_COLUMNS if any(key in logs for _x, logs in epoch_points)]
    header = [_("epoch"), *(_(name) for _key, name in columns)]
    rows = [
        [epoch_text(position), *(metric_text(key, logs.get(key)) for key, _name in columns)]
        for position, logs in epoch_points
    ]
    return title, header, rows


def metric_text(key: str, value) -> str:
    if value is None or value != value:  # missing or NaN
        return "–"
    return percent(value, 2) if key.endswith("accuracy") else number(value, 4)


def confusion_table(confusion: np.ndarray, class_names: list[str]):
    """The confusion matrix's twin: a row per true class, a column per predicted class, then the share right."""
    confusion = np.asarray(confusion)
    header = [_("true \\ predicted"), *class_names, _("right")]
    rows = []
    for i, name in enumerate(class_names):
        total = int(confusion[i].sum())
        right = percent(confusion[i, i] / total, 1) if total else "–"
        rows.append([name, *(number(int(count)) for count in confusion[i]), right])
    return "", header, rows


# --- after training --------------------------------------------------------------------------------


def register_model(run: TrainingRun, task: str) -> SessionModel | None:
    """Offer the run's trained model to this session's other pages (once per run)."""
    if run.result is None:
        return None
    existing = session_models().get(run_title(run))
    if existing is not None and existing.path == run.result.model_path:
        return existing
    if run.result.model_path is None:
        return None
    quality = run_quality(run.train_labels, run.num_classes, run.evaluation)
    entry = SessionModel(
        name=run_title(run),
        task=task,
        class_names=list(run.class_names),
        input_shape=run.result.input_shape,
        history=run.result.history,
        path=run.result.model_path,
        caveat="tiny data" if quality.too_little_data else "near chance" if quality.near_chance else "",
    )
    add_session_model(entry)
    return entry


def results(run: TrainingRun, run_key: str) -> None:
    """Test figures, confusion matrix, misclassified gallery and downloads of an ended run."""
    class_names = list(run.class_names)
    if run.error:
        st.error(_("Training failed: {error}", error=failure_text(run)))
    snapshot = run.snapshot()
    if snapshot.status in ("stopped", "timed out"):
        template = (
            N_(
                "Stopped by request after {done:.1f} of {epochs} epochs. The weights and the history up to that "
                "batch are kept; the last row of the history is a partial epoch."
            )
            if snapshot.status == "stopped"
            else N_(
                "Stopped at the server's time limit for one training after {done:.1f} of {epochs} epochs. The "
                "weights and the history up to that batch are kept; the last row of the history is a partial epoch."
            )
        )
        st.info(_(template, done=snapshot.epochs_done, epochs=snapshot.epochs))
    if run.result is None:
        return
    evaluation = run.evaluation
    for caveat in caveats(run):
        st.warning(caveat)
    if evaluation is not None:
        wrong = evaluation.misclassified
        a, b, c = st.columns(3)
        a.metric(_("Test accuracy"), percent(evaluation.accuracy, 2))
        b.metric(_("Test loss"), number(evaluation.loss, 4))
        c.metric(
            _("Misclassified"),
            _("{wrong} of {total}", wrong=number(len(wrong)), total=number(len(evaluation.labels))),
        )
        st.subheader(_("Confusion matrix"))
        labelled_chart(
            confusion_figure(evaluation.confusion, class_names, language=language()),
            f"{run_key}_confusion",
            [confusion_table(evaluation.confusion, class_names)],
            width="stretch",
        )
        st.subheader(_("Misclassified test images"))
        gallery(run.test_data[0], wrong[:GALLERY_SIZE], evaluation.predictions, evaluation.labels, class_names)
    downloads(run, run_key)


def caveats(run: TrainingRun) -> list[str]:
    """What the run's data and results do not allow a learner to conclude, in words (may be empty)."""
    quality = run_quality(run.train_labels, run.num_classes, run.evaluation)
    notes = []
    if quality.too_little_data:
        notes.append(
            _(
                "**Too little data:** the rarest class had only {count} training examples "
                "(fewer than {minimum} per class). A convnet mostly memorises so few pictures, so do "
                "not read much into these results; train on more.",
                count=number(quality.min_per_class),
                minimum=MIN_PER_CLASS,
            )
        )
    if quality.near_chance:
        if quality.one_class:
            note = _(
                "**Near chance:** a test accuracy of {accuracy}, and it gives the same answer for every test "
                "picture: the model has not learned to tell the classes apart yet.",
                accuracy=percent(quality.accuracy, 0),
            )
        else:
            note = _(
                "**Near chance:** a test accuracy of {accuracy}, and that is about what always answering the "
                "commonest class gets ({chance}): the model has not learned to tell the classes apart yet.",
                accuracy=percent(quality.accuracy, 0),
                chance=percent(quality.chance, 0),
            )
        notes.append(note)
    return notes


def run_title(run: TrainingRun) -> str:
    """The run's name, saying how far it got when it ended early ("stopped after 1.4 of 3 epochs")."""
    snapshot = run.snapshot()
    planned = ngettext("{n} epoch", "{n} epochs", snapshot.epochs)
    if snapshot.status in ("stopped", "timed out") and planned in run.name:
        stopped = _("stopped after {done:.1f} of {planned}", done=snapshot.epochs_done, planned=planned)
        return run.name.replace(planned, stopped, 1)
    return run.name


def failure_text(run: TrainingRun) -> str:
    """Why the run failed, in the visitor's language where the engine said it in a template."""
    failure = getattr(run, "failure", None)
    return error_text(failure) if failure is not None else str(run.error)


def gallery(
    images: np.ndarray, indices: np.ndarray, predicted: np.ndarray, true: np.ndarray, class_names: list[str]
) -> None:
    """Images in a wrapping row, each captioned with its predicted and true class."""
    if len(indices) == 0:
        st.success(_("No test image was misclassified."))
        return
    st.caption(_("The first {count}; each caption reads predicted / true.", count=len(indices)))
    st.image(
        [enlarge(images[i], GALLERY_SIDE) for i in indices],
        width=GALLERY_SIDE,
        caption=[f"{class_names[predicted[i]]} / {class_names[true[i]]}" for i in indices],
    )


def downloads(run: TrainingRun, run_key: str) -> None:
    """Download buttons for the model (.keras, read from its file when clicked) and the history (CSV)."""
    if run.result.model_path is None:
        return
    stem = "".join(ch if ch.isalnum() else "_" for ch in run.name).strip("_") or "model"
    left, right = st.columns(2)
    left.download_button(
        _("Download the model (.keras)"),
        run.result.model_bytes,
        file_name=f"{stem}.keras",
        mime="application/octet-stream",
        key=f"{run_key}_download_model",
        width="stretch",
    )
    right.download_button(
        _("Download the history (CSV)"),
        history_to_csv(run.result.history, run.snapshot().epochs_done),
        file_name=f"{stem}_history.csv",
        mime="text/csv",
        key=f"{run_key}_download_history",
        width="stretch",
    )
