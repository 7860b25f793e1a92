"""The lesson page in AppTest, inside a navigation of the pages it links to, and its exercises' answers by formula.

The page is run from a script of its own that registers the lesson and the pages it links to
with ``st.navigation`` (``st.page_link`` works only there), as app.py does. The answers are
recomputed here from an exercise's numbers with the textbook formulas, never read from the engine.
"""

from __future__ import annotations

import math
import re

from streamlit.testing.v1 import AppTest

from cnn_core.ops.exercises import Exercise, exercise_from_token
from tests.support.apptest import ROOT, TIMEOUT

LINKED = ("convolution", "padding", "stride", "pooling", "training", "overfitting_lab", "augmentation", "activations")


def _lesson_app(root: str, linked: tuple[str, ...]) -> None:
    import sys

    import streamlit as st

    sys.path.insert(0, root)
    pages = [st.Page(f"{root}/pages/lesson.py", default=True)]
    pages += [st.Page(f"{root}/pages/{name}.py") for name in linked]
    st.navigation(pages).run()


def open_lesson(lang: str | None = None, **query: str) -> AppTest:
    """The lesson page run once with ``?lang=`` and the other query parameters given."""
    at = AppTest.from_function(_lesson_app, default_timeout=TIMEOUT, args=(str(ROOT), LINKED))
    if lang:
        at.query_params["lang"] = lang
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def shown_exercise(at: AppTest) -> Exercise:
    """The exercise the page shows, read from the teacher's link on it (``...exercise=<token>``)."""
    link = next(code.value for code in at.code if "exercise=" in code.value)
    return exercise_from_token(re.search(r"exercise=([a-z_]+-[0-9]+)", link)[1])


def query(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def by_formula(exercise: Exercise) -> str:
    """The exercise's answer as a learner would type it, from its numbers and the formula."""
    p = exercise.params
    if exercise.kind == "output_size":
        i, k, s, padding = p["input_size"], p["kernel_size"], p["strides"], p["padding"]
        if padding == "same":
            return str(math.ceil(i / s))
        pad = 0 if padding == "valid" else padding
        return str((i + 2 * pad - k) // s + 1)
    if exercise.kind == "same_padding":
        i, k, s = p["input_size"], p["kernel_size"], p["strides"]
        total = max((math.ceil(i / s) - 1) * s + k - i, 0)
        return f"({total // 2}, {total - total // 2})"
    if exercise.kind == "conv_cell":
        value = sum(x * w for rx, rw in zip(p["patch"], p["kernel"]) for x, w in zip(rx, rw)) + p["bias"]
        return str(max(value, 0) if p["activation"] == "relu" else value)
    if exercise.kind == "pool_cell":
        values = [v for row in p["window"] for v in row]
        return str(max(values)) if p["mode"] == "max" else f"{sum(values) / len(values):.2f}"
    k, c, f = p["kernel_size"], p["in_channels"], p["filters"]
    return str((k * k * c + 1) * f)


def wrong(exercise: Exercise) -> str:
    """A wrong answer of the right shape."""
    right = by_formula(exercise)
    if right.startswith("("):
        before, after = (int(v) for v in right.strip("()").split(","))
        return f"{before + 1}, {after}"
    return str(float(right) + 1)


def answer(at: AppTest, text: str) -> AppTest:
    """Type ``text`` as the prediction and press Check."""
    field = next(t for t in at.text_input if t.key.startswith("exercise_box_") and "_answer_" in t.key)
    field.set_value(text)
    return next(b for b in at.button if b.key.endswith("_check")).click().run()


def press(at: AppTest, ending: str) -> AppTest:
    return next(b for b in at.button if b.key.endswith(ending)).click().run()


def steps_done(at: AppTest) -> int:
    """How many of the 12 steps the progress bar counts as done (Streamlit keeps its value in whole percents)."""
    return round(at.get("progress")[0].proto.value * 12 / 100)


def math_shown(at: AppTest) -> list[str]:
    """The LaTeX of every ``st.latex`` on the page, without the ``$$`` Streamlit wraps it in."""
    return [latex.value.strip().removeprefix("$$").removesuffix("$$").strip() for latex in at.latex]
