"""CNN Lab's engine: exact numpy ops, step-by-step frames, figures, data, models, training and more.

Nothing here imports Streamlit, and nothing imports TensorFlow until a function that needs Keras
is called. Every public name is reachable from the top level and listed once, in ``_EXPORTS``
below; it loads its module on first use (PEP 562), so ``import cnn_core`` stays cheap::

    >>> import cnn_core
    >>> cnn_core.conv_output_size(28, 3)
    26

The subpackages are the engine's parts: ``ops`` (shapes, ops, the output layer's numbers,
steps, receptive fields, kernels, the text of formulas, exercises on their arithmetic) <- ``figures`` (grids, players, pictures,
charts); ``vision`` (images, augmentation, digits, strokes, the reader); ``data`` (MNIST, zips, folders, the
download) <- ``learning`` (models, their layer list and Keras code, the input pipeline,
training, progress, runs, evaluation, the summary, activations, Grad-CAM, filter patterns, any
cell explained). Modules inside them may move; the names below stay.
"""

from __future__ import annotations

import importlib

# Public name -> the module that defines it.
_EXPORTS = {
    # ops: shapes, sliding windows, the output layer's numbers, step frames, kernels, formulas, exercises
    "conv_output_size": "ops.shapes",
    "same_padding": "ops.shapes",
    "padding_amounts": "ops.shapes",
    "output_shape": "ops.shapes",
    "pad_amounts": "ops.shapes",
    "flat_index": "ops.shapes",
    "flat_position": "ops.shapes",
    "receptive_field_step": "ops.receptive",
    "receptive_field_chain": "ops.receptive",
    "ReceptiveField": "ops.receptive",
    "conv_param_count": "ops.shapes",
    "pad_input": "ops.sliding",
    "relu": "ops.sliding",
    "conv2d": "ops.sliding",
    "pool2d": "ops.sliding",
    "softmax": "ops.outputs",
    "sigmoid": "ops.outputs",
    "softmax_steps": "ops.outputs",
    "sigmoid_steps": "ops.outputs",
    "SoftmaxSteps": "ops.outputs",
    "SigmoidSteps": "ops.outputs",
    "categorical_cross_entropy_steps": "ops.outputs",
    "binary_cross_entropy_steps": "ops.outputs",
    "CrossEntropySteps": "ops.outputs",
    "conv_steps": "ops.steps",
    "pool_steps": "ops.steps",
    "ConvStep": "ops.steps",
    "PoolStep": "ops.steps",
    "coverage": "ops.coverage",
    "window_coverage": "ops.coverage",
    "kernel_preset": "ops.kernels",
    "preset_kernel": "ops.kernels",
    "parse_grid": "ops.kernels",
    "format_grid": "ops.kernels",
    "PRESETS": "ops.kernels",
    "GridError": "ops.kernels",
    "make_exercise": "ops.exercises",
    "exercise_for": "ops.exercises",
    "check_answer": "ops.exercises",
    "read_answer": "ops.exercises",
    "exercise_token": "ops.exercises",
    "exercise_from_token": "ops.exercises",
    "Exercise": "ops.exercises",
    "EXERCISE_KINDS": "ops.exercises",
    # vision: images, augmentation, digits, the reader
    "load_image": "vision.images",
    "load_sample_photo": "vision.images",
    "resize": "vision.images",
    "to_gray": "vision.images",
    "prepare_image": "vision.images",
    "ImageError": "vision.images",
    "apply_transform": "vision.transforms",
    "random_transform_params": "vision.transforms",
    "transform_matrix": "vision.transforms",
    "AugmentSettings": "vision.augment",
    "augment_image": "vision.augment",
    "augment_batch": "vision.augment",
    "SEED_PREVIEW": "vision.augment",
    "SEED_TRAINING": "vision.augment",
    "datagen_code": "vision.augment_code",
    "keras_layers_code": "vision.augment_code",
    "prepare_digit": "vision.digits",
    "prepare_digit_stages": "vision.digits",
    "prepare_digits": "vision.digits",
    "DigitRow": "vision.digits",
    "NoDigitError": "vision.ink",
    "synthetic_snapshot": "vision.snapshots",
    "read_digit": "vision.reader",
    "read_digits": "vision.reader",
    "DigitReading": "vision.reader",
    "RowReading": "vision.reader",
    "DEFAULT_MODEL": "vision.reader",
    # data: MNIST, zips, folders, the download
    "load_mnist": "data.mnist",
    "subset": "data.mnist",
    "split_validation": "data.mnist",
    "extract_image_zip": "data.zips",
    "load_image_folder": "data.folders",
    "scan_image_folder": "data.folders",
    "ImageFolderData": "data.folders",
    "download_cats_and_dogs": "data.download",
    "DatasetError": "data.errors",
    "DownloadError": "data.errors",
    # learning: models (and their layer list and Keras code), training, evaluation, the summary,
    # inside the network (activations, Grad-CAM, any cell explained)
    "build_convnet": "learning.models",
    "build_mnist_convnet": "learning.models",
    "build_cats_dogs_convnet": "learning.models",
    "convnet_layers": "learning.architecture",
    "LayerSpec": "learning.architecture",
    "pooling_saving": "learning.architecture",
    "PoolingSaving": "learning.architecture",
    "keras_code": "learning.keras_code",
    "NOTE_MODELS": "learning.keras_code",
    "make_dataset": "learning.pipeline",
    "TrainingSettings": "learning.settings",
    "check_settings": "learning.settings",
    "train": "learning.train",
    "TrainResult": "learning.train",
    "TrainingRun": "learning.runs",
    "TrainingLog": "learning.progress",
    "Snapshot": "learning.progress",
    "TrainingQueue": "learning.queue",
    "QueueFullError": "learning.queue",
    "RunResult": "learning.runs",
    "MemoryBudget": "data.budget",
    "evaluate": "learning.evaluation",
    "Evaluation": "learning.evaluation",
    "predict_proba": "learning.evaluation",
    "class_probabilities": "learning.evaluation",
    "history_to_csv": "learning.evaluation",
    "summary_rows": "learning.summary",
    "SummaryRow": "learning.summary",
    "layer_activations": "learning.activations",
    "activation_grid": "learning.activations",
    "activation_sparsity": "learning.activations",
    "MapSparsity": "learning.activations",
    "grad_cam": "learning.gradcam",
    "explain_cell": "learning.explain",
    "explain_prediction": "learning.explain",
    "network_outputs": "learning.explain",
    "receptive_fields": "learning.explain",
    "LayerOutput": "learning.cells",
    "ConvCell": "learning.cells",
    "PoolCell": "learning.cells",
    "FlattenCell": "learning.cells",
    "DropoutCell": "learning.cells",
    "DenseCell": "learning.cells",
    "filter_patterns": "learning.patterns",
    "EpochSnapshot": "learning.snapshots",
    "load_epoch_snapshots": "learning.snapshots",
    "probe_activations": "learning.activations",
    "FilterPattern": "learning.patterns",
}
_SUBPACKAGES = {"ops", "figures", "vision", "data", "learning"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"cnn_core.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value  # Later look-ups skip this function.
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"cnn_core.{name}")
    raise AttributeError(f"module 'cnn_core' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | _SUBPACKAGES)
