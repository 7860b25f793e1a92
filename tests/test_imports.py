"""`import cnn_core` must stay light: no TensorFlow, no Keras, no Streamlit."""

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "import sys, cnn_core, cnn_core.{module}; "
    "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))"
)


MODULES = sorted(path.stem for path in (Path(__file__).resolve().parent.parent / "cnn_core").glob("*.py")
                 if path.stem != "__init__")


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
