"""Trainings in worker processes: a run trains, reports, stops, times out, is cancelled, and hands back its model."""

from __future__ import annotations

import functools
import os
import signal
import time

import numpy as np
import pytest

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.models import build_convnet
from cnn_core.learning.processes import array_file
from cnn_core.learning.runs import TrainingRun, max_training_seconds
from cnn_core.learning.settings import TrainingSettings

pytestmark = pytest.mark.slow
DIGITS = [str(d) for d in range(10)]
SMALL = functools.partial(build_convnet, filters=(8, 16), dense_units=32)  # picklable, trains in seconds


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(mapped=True)


def make_run(mnist, n=600, epochs=1, batch_size=60, test=True, **options) -> TrainingRun:
    (x, y), (x_test, y_test) = mnist
    return TrainingRun(
        SMALL,
        (x[:n], y[:n]),
        (x[n : n + 200], y[n : n + 200]),
        (x_test[:300], y_test[:300]) if test else None,
        class_names=DIGITS,
        settings=TrainingSettings(epochs=epochs, batch_size=batch_size),
        **options,
    )


def wait_running(run: TrainingRun, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while run.snapshot().status == "waiting" and not run.done and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_run_trains_in_its_own_process_and_evaluates_there(mnist):
    run = make_run(mnist, epochs=2, name="process")
    assert run.snapshot().status == "waiting" and not run.done
    run.start()
    assert run.join(timeout=180), run.error
    snapshot = run.snapshot()
    assert snapshot.status == "finished" and run.error is None
    assert snapshot.fraction == 1.0 and snapshot.eta_s is None
    assert len(snapshot.history["val_loss"]) == 2 == len(run.result.history["loss"])
    assert run.evaluation.confusion.sum() == 300 and run.evaluation.accuracy > 0.3
    assert run._worker.process.pid != os.getpid() and not run._worker.process.is_alive()
    # The mapped MNIST arrays travelled as file names: the run's folder holds only the model.
    assert sorted(path.name for path in run.folder.iterdir()) == ["model.keras"]
    model = run.result.model  # loaded here, from the worker's file
    (_, _), (x_test, y_test) = mnist
    proba = np.asarray(model(x_test[:300, ..., None].astype(np.float32) / 255, training=False))
    assert np.mean(proba.argmax(1) == y_test[:300]) == pytest.approx(run.evaluation.accuracy)
    assert run.result.input_shape == (28, 28, 1) and run.result.model_bytes()[:2] == b"PK"
    run.cleanup()
    assert not run.folder.exists()


def test_stop_ends_after_the_current_batch_and_keeps_the_model(mnist):
    run = make_run(mnist, n=6000, epochs=50, batch_size=16, name="stopped").start()
    wait_running(run)
    run.stop()
    assert run.join(timeout=120), run.error
    assert run.snapshot().status == "stopped" and run.result.stopped
    assert 1 <= len(run.result.history["loss"]) < 50
    assert run.evaluation is not None and run.result.model_path is not None
    run.cleanup()


def test_cancel_drops_the_results_and_frees_the_worker_at_once(mnist):
    run = make_run(mnist, n=6000, epochs=50, batch_size=16).start()
    wait_running(run)
    run.cancel()
    assert run.join(timeout=60)
    assert run.snapshot().status == "cancelled"
    assert run.evaluation is None and run.result.model_path is None
    run.cleanup()


def test_a_run_whose_session_is_gone_is_cancelled_by_itself(mnist):
    gone = {"now": False}
    run = make_run(mnist, n=6000, epochs=50, batch_size=16, keep_going=lambda: not gone["now"]).start()
    wait_running(run)
    gone["now"] = True
    assert run.join(timeout=60) and run.snapshot().status == "cancelled"


def test_the_wall_clock_ceiling_ends_a_run_with_its_weights(mnist):
    run = make_run(mnist, n=6000, epochs=50, batch_size=16, max_seconds=3).start()
    assert run.join(timeout=120), run.error
    assert run.snapshot().status == "timed out" and run.result.model_path is not None
    assert len(run.result.history["loss"]) < 50


def test_a_cancelled_run_that_never_started_ends_at_once(mnist):
    run = make_run(mnist)
    run.cancel()
    assert run.done and run.snapshot().status == "cancelled"


def test_a_killed_worker_is_reported_as_failed(mnist):
    run = make_run(mnist, n=6000, epochs=50, batch_size=16).start()
    wait_running(run)
    os.kill(run._worker.process.pid, signal.SIGKILL)
    assert run.join(timeout=30) and run.snapshot().status == "failed"
    assert "exit code -9" in run.error


def test_a_model_that_cannot_travel_to_a_worker_is_refused_with_a_message(mnist):
    (x, y), _ = mnist
    run = TrainingRun(lambda: build_convnet(), (x[:64], y[:64]), class_names=DIGITS)
    with pytest.raises(ValueError, match="module-level function"):
        run.start()


def test_two_runs_at_once_keep_their_own_models_and_progress(mnist):
    runs = [
        make_run(mnist, n=400, batch_size=40, test=False, name="a"),
        make_run(mnist, n=600, epochs=2, batch_size=20, test=False, name="b"),
    ]
    for run in runs:
        run.start()
    assert all(run.join(timeout=180) for run in runs), [run.error for run in runs]
    a, b = (run.snapshot() for run in runs)
    assert (a.epochs, a.steps_per_epoch, len(a.epoch_points)) == (1, 10, 1)
    assert (b.epochs, b.steps_per_epoch, len(b.epoch_points)) == (2, 30, 2)
    assert runs[0].result.model_path != runs[1].result.model_path
    assert runs[0].result.history["loss"] == pytest.approx(a.history["loss"])
    assert runs[1].result.history["loss"] == pytest.approx(b.history["loss"])


def test_arrays_travel_as_files_without_a_copy_when_they_are_mapped(mnist, tmp_path):
    (x, _), _ = mnist
    mapped = array_file(x[100:300], tmp_path, "x")
    assert mapped.path.endswith("x_train.npy") and (mapped.start, mapped.stop) == (100, 300)
    np.testing.assert_array_equal(mapped.open(), x[100:300])
    copied = array_file(np.asarray(x[::2][:10]), tmp_path, "strided")
    assert copied.path == str(tmp_path / "strided.npy")
    np.testing.assert_array_equal(copied.open(), x[::2][:10])


@pytest.mark.parametrize("raw, expected", [("", 4 * 3600.0), ("90", 90.0), ("0.5", 0.5)])
def test_the_time_ceiling_reads_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("CNN_LAB_MAX_TRAINING_S", raw)
    assert max_training_seconds() == expected


@pytest.mark.parametrize("raw", ["0", "-3", "soon"])
def test_a_bad_time_ceiling_is_refused(monkeypatch, raw):
    monkeypatch.setenv("CNN_LAB_MAX_TRAINING_S", raw)
    with pytest.raises(ValueError, match="CNN_LAB_MAX_TRAINING_S"):
        max_training_seconds()


def test_a_worker_runs_at_a_lower_cpu_priority_than_the_server():
    """Page runs of every visitor must win the cores over a training: the worker is WORKER_NICENESS nicer."""
    from cnn_core.learning.processes import Worker
    from cnn_core.learning.worker import WORKER_NICENESS

    worker = Worker()
    try:
        kind, pid, _import_s = worker.messages.get(timeout=120)  # "ready": its priority is set before Keras loads
        assert kind == "ready" and pid == worker.process.pid
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(own + WORKER_NICENESS, 19)
    finally:
        worker.send(None)
        worker.process.join(30)


def test_a_worker_keeps_few_c_heap_arenas_unless_the_operator_chose():
    from cnn_core.learning.processes import WORKER_MALLOC_ARENAS, Worker

    worker = Worker()
    try:
        kind, pid, _import_s = worker.messages.get(timeout=120)
        assert kind == "ready"
        environment = dict(
            entry.split("=", 1) for entry in open(f"/proc/{pid}/environ").read().split("\0") if "=" in entry
        )
        assert environment["MALLOC_ARENA_MAX"] == os.environ.get("MALLOC_ARENA_MAX", WORKER_MALLOC_ARENAS)
    finally:
        worker.send(None)
        worker.process.join(30)


def test_a_job_read_row_by_row_trains_as_one_read_through_a_mapping(mnist, tmp_path, monkeypatch):
    """run_job in this process twice on the same seeded job: once with its arrays mapped, once read
    row by row from the files (``RowFile``, what a worker does with a data set past
    ``MAP_UP_TO_BYTES``); the same batches give the same history, evaluation and saved model."""
    import threading

    from cnn_core.data.rows import RowFile
    from cnn_core.learning import worker
    from cnn_core.learning.worker import TrainingJob, run_job

    (x, y), (x_test, y_test) = mnist
    files = {}
    for name, array in {"x": x[:400], "y": y[:400], "vx": x[400:500], "vy": y[400:500]}.items():
        np.save(tmp_path / f"{name}.npy", np.asarray(array))
        files[name] = worker.ArrayFile(str(tmp_path / f"{name}.npy"))
    np.save(tmp_path / "tx.npy", np.asarray(x_test[:200]))
    np.save(tmp_path / "ty.npy", np.asarray(y_test[:200]))
    test = (worker.ArrayFile(str(tmp_path / "tx.npy")), worker.ArrayFile(str(tmp_path / "ty.npy")))

    def run(limit: int, out: str) -> dict:
        monkeypatch.setattr(worker, "MAP_UP_TO_BYTES", limit)
        (tmp_path / out).mkdir()
        job = TrainingJob(
            SMALL,
            (files["x"], files["y"]),
            (files["vx"], files["vy"]),
            test,
            num_classes=10,
            settings=TrainingSettings(epochs=2, batch_size=40),
            seed=5,
            out_dir=str(tmp_path / out),
        )
        messages = []
        status, result = run_job(
            job, type("Sink", (), {"put": staticmethod(messages.append)}), threading.Event(), threading.Event()
        )
        assert status == "finished", messages
        return result

    assert isinstance(files["x"].open(), np.memmap)
    mapped = run(2**40, "mapped")
    monkeypatch.setattr(worker, "MAP_UP_TO_BYTES", 0)
    assert isinstance(files["x"].open(), RowFile)
    read = run(0, "read")
    assert read["history"]["loss"] == pytest.approx(mapped["history"]["loss"], rel=1e-4)
    assert read["history"]["val_accuracy"] == pytest.approx(mapped["history"]["val_accuracy"], abs=1e-6)
    np.testing.assert_array_equal(read["evaluation"].confusion, mapped["evaluation"].confusion)
    assert read["evaluation"].confusion.sum() == 200
