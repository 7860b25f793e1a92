"""`import cnn_core` must stay light: no TensorFlow, no Keras, no Streamlit."""

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "import sys, cnn_core, cnn_core.{module}; "
    "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))"
)


ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    ".".join(path.relative_to(ROOT / "cnn_core").with_suffix("").parts)
    for path in (ROOT / "cnn_core").rglob("*.py")
    if path.stem != "__init__"
)


@pytest.mark.parametrize("module", MODULES)
def test_cnn_core_imports_neither_tensorflow_nor_streamlit(module):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_numpy_api_is_importable_from_the_top_level():
    import cnn_core

    for name in ("conv2d", "pool2d", "conv_output_size", "conv_steps", "pool_steps"):
        assert callable(getattr(cnn_core, name))


# The public API that notebooks, the README and outside checks use (issue 10's list, at least).
PUBLIC = (
    "conv2d pool2d conv_output_size same_padding padding_amounts conv_steps pool_steps ConvStep PoolStep "
    "load_image apply_transform random_transform_params extract_image_zip load_image_folder load_mnist "
    "build_convnet build_mnist_convnet build_cats_dogs_convnet train TrainingRun evaluate summary_rows "
    "predict_proba layer_activations activation_grid grad_cam filter_patterns prepare_digit prepare_digits"
).split()


def test_the_public_api_is_listed_once_and_every_name_resolves():
    import cnn_core

    assert set(PUBLIC) <= set(cnn_core.__all__)
    for name in cnn_core.__all__:
        assert getattr(cnn_core, name) is not None, name


def test_the_public_api_loads_no_tensorflow_until_a_function_runs():
    probe = (
        "import sys, cnn_core\n[getattr(cnn_core, n) for n in cnn_core.__all__]\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
