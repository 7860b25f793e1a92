"""CNN Lab's engine: exact numpy ops, step-by-step frames, data, models, training and more.

Nothing here imports Streamlit, and nothing imports TensorFlow until a function that needs Keras
is called. The numpy API is importable from the top level::

    >>> import cnn_core
    >>> cnn_core.conv_output_size(28, 3)
    26

Submodules (``cnn_core.datasets``, ``cnn_core.models``, ...) load on first attribute access, so
``import cnn_core`` stays cheap for the concept pages.
"""

import importlib

# Public name -> the submodule that defines it; loaded on first use (PEP 562).
_EXPORTS = {
    "conv2d": "ops",
    "pool2d": "ops",
    "conv_output_size": "ops",
    "same_padding": "ops",
    "conv_steps": "steps",
    "pool_steps": "steps",
    "ConvStep": "steps",
    "PoolStep": "steps",
}
_SUBMODULES = {
    "ops", "steps", "kernels", "figures", "images", "datasets", "folders", "models", "training",
    "augment", "activations", "digits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"cnn_core.{_EXPORTS[name]}")
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f"cnn_core.{name}")
    raise AttributeError(f"module 'cnn_core' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)
