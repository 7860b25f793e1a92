"""Server time of a rerun after a widget change on the home and concept pages; no TensorFlow import.

Run: python benchmarks/page_rerun.py [--reruns N]

Each page runs in its own Python process (so a TensorFlow import is pinned on the page that made
it) through ``streamlit.testing.v1.AppTest``: app.py runs once, switches to the page and runs it
(the cold run), then one of the page's widgets is set back and forth between two values and the
``run()`` after each change is timed. The widget is found by type and label, preferring labels
about stride, padding, kernels and pooling; pages without a usable widget get plain reruns. The
time includes app.py's navigation and AppTest's own overhead, which is measured on a one-line
page and printed. After the runs the process reports whether ``tensorflow`` or ``keras`` is in
``sys.modules``. Target: a median rerun of 150 ms or less, and no TensorFlow on these pages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONCEPTS = ("convolution", "padding", "stride", "pooling")
# Label words of the widgets worth timing, the most telling first.
PREFERRED_WORDS = ("stride", "padding", "kernel", "pool", "window", "filter", "size", "mode")
TARGET_MS = 150
TIMEOUT_S = 60


def pages_to_measure() -> list[str]:
    """The home page and every page whose file name names a concept, as paths relative to ROOT."""
    concept_pages = sorted(p for p in (ROOT / "pages").glob("*.py") if any(c in p.stem for c in CONCEPTS))
    return ["pages/home.py"] + [str(p.relative_to(ROOT)) for p in concept_pages]


def _numeric_alternative(widget):
    """Another value one step away for a number slider or number input, or None."""
    value, step = widget.value, widget.step
    if isinstance(value, int) and float(step).is_integer():
        step = int(step)  # the proto stores an int slider's step as a float
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not step:
        return None
    for candidate in (value + step, value - step):
        if (widget.min is None or candidate >= widget.min) and (widget.max is None or candidate <= widget.max):
            return candidate
    return None


def _alternatives(at):
    """(description, widget kind, index, value A, value B) for each widget the page shows."""
    found = []
    for kind in (
        "slider",
        "number_input",
        "select_slider",
        "selectbox",
        "radio",
        "segmented_control",
        "toggle",
        "checkbox",
    ):
        for index, widget in enumerate(getattr(at, kind)):
            current = widget.value
            if kind in ("slider", "number_input"):
                other = _numeric_alternative(widget)
            elif kind in ("toggle", "checkbox"):
                other = not current
            else:  # options are the formatted labels; this works where they are the values
                labels = [o for o in widget.options if o != widget.format_func(current)]
                other = labels[0] if labels else None
            if other is not None and not isinstance(current, (list, tuple)):
                found.append((f"{kind} {widget.label!r}: {current!r} <-> {other!r}", kind, index, current, other))
    return sorted(found, key=lambda item: (_label_rank(item[0]), item[1] in ("toggle", "checkbox")))


def _label_rank(description: str) -> int:
    """Position of the first preferred word in the widget's description; unknown labels last."""
    label = description.split(":")[0].lower()
    return next((rank for rank, word in enumerate(PREFERRED_WORDS) if word in label), len(PREFERRED_WORDS))


def _widget(at, kind: str, widget_id: str):
    """The widget of this kind and id on the page as it is now, or None when it is gone."""
    return next((w for w in getattr(at, kind) if w.id == widget_id), None)


def _errors(at) -> list[str]:
    return [e.value for e in at.exception] + [f"st.error: {e.value}" for e in at.error]


def _open(page: str):
    """A fresh session that ran app.py and switched to the page; returns (AppTest, cold run ms)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S).run()
    at.switch_page(page)
    start = time.perf_counter()
    at.run()
    return at, (time.perf_counter() - start) * 1e3


def _timed_reruns(at, reruns: int, change=None) -> tuple[list[float], list[str]]:
    """Time ``reruns`` runs, calling ``change(n)`` before each; returns (ms per run, page errors)."""
    times, errors = [], []
    for n in range(reruns):
        if change:
            change(n)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1e3)
        errors += _errors(at)
    return times, errors


def measure_page(page: str, reruns: int, widgets: int) -> dict:
    """Cold run, then timed reruns after changes of up to ``widgets`` widgets, each in a fresh session."""
    at, cold_ms = _open(page)
    result = {"page": page, "cold_ms": cold_ms, "errors": _errors(at), "widgets": []}
    for description, kind, index, first, second in _alternatives(at):
        if len(result["widgets"]) == widgets:
            break
        session, _ = _open(page)
        widget_id = getattr(session, kind)[index].id
        try:
            _widget(session, kind, widget_id).set_value(second)
            session.run()
        except ValueError:
            continue  # AppTest only knows the formatted labels of options shown with format_func
        changed = _widget(session, kind, widget_id)
        if _errors(session) or changed is None or changed.value == first:
            continue  # the change did not take or broke the page: time another widget

        def change(n, session=session, kind=kind, widget_id=widget_id, first=first, second=second):
            _widget(session, kind, widget_id).set_value(first if n % 2 == 0 else second)

        times, errors = _timed_reruns(session, reruns, change)
        result["errors"] += errors
        result["widgets"].append({"widget": description, "median_ms": statistics.median(times), "min_ms": min(times)})
    if not result["widgets"]:
        times, errors = _timed_reruns(at, reruns)
        result["errors"] += errors
        result["widgets"].append(
            {"widget": "no widget: plain reruns", "median_ms": statistics.median(times), "min_ms": min(times)}
        )
    result["heavy_modules"] = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    return result


def measure_overhead(reruns: int) -> float:
    """Median ms of AppTest.run() on a one-line script: the harness's share of every figure."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("import streamlit as st\nst.write('x')").run()
    times = []
    for _ in range(reruns):
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=10, help="timed reruns per page (default 10)")
    parser.add_argument("--widgets", type=int, default=3, help="widgets timed per page (default 3)")
    parser.add_argument("--page", help=argparse.SUPPRESS)  # internal: measure one page, print JSON
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.page:
        print(json.dumps(measure_page(args.page, args.reruns, args.widgets)))
        return
    overhead = measure_overhead(args.reruns)
    print(f"AppTest overhead (one-line page): median {overhead:.1f} ms per run")
    print(f"{'page':24} {'cold ms':>8} {'rerun ms':>9} {'min ms':>7}  TF?  widget changed (median of {args.reruns})")
    failed = False
    for page in pages_to_measure():
        command = [
            sys.executable,
            __file__,
            "--page",
            page,
            "--reruns",
            str(args.reruns),
            "--widgets",
            str(args.widgets),
        ]
        process = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        )
        if process.returncode != 0:
            print(f"{page:24} FAILED to run:\n{process.stderr[-2000:]}")
            failed = True
            continue
        r = json.loads(process.stdout.strip().splitlines()[-1])
        heavy = ",".join(r["heavy_modules"]) or "no"
        for n, w in enumerate(r["widgets"]):
            name, cold = (page, f"{r['cold_ms']:8.0f}") if n == 0 else ("", "")
            over = "  OVER TARGET" if w["median_ms"] > TARGET_MS else ""
            print(f"{name:24} {cold:>8} {w['median_ms']:9.1f} {w['min_ms']:7.1f}  {heavy:4} {w['widget']}{over}")
        for error in dict.fromkeys(r["errors"]):
            print(f"{'':24} page error: {str(error)[:300]}")
        failed |= bool(r["heavy_modules"] or r["errors"])
    print(f"target: median rerun <= {TARGET_MS} ms and no TensorFlow/Keras import on these pages")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
