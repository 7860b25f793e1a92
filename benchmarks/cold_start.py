"""Cold start: from `streamlit run app.py` to the first page in Chromium, then to the first Keras page.

Run: python benchmarks/cold_start.py [--repeats 3] [--no-breakdown]

Each repeat launches a fresh server and a fresh browser context (an empty cache, like a first
visit) in an already running headless Chromium, and measures

- *first page*: from launching ``streamlit run app.py`` to the home page settled in the browser
  (script finished, every element drawn, then quiet for 1 s, which is not counted); the server's
  health check is polled every 50 ms and the browser navigates as soon as it answers;
- *first Keras page*: from a click on a page that needs Keras in the sidebar to that page
  settled, and how much of that is drawing in the browser after the script's last run ended.
  Repeats alternate between Activation maps and Read my digit.

It also checks, on a fresh server, that the home page and every concept page leave TensorFlow
unloaded: the server's /proc/PID/maps must not map any file of the tensorflow package (after a
Keras page it must, which shows the probe works). ``benchmarks/page_rerun.py`` checks the same
through ``sys.modules`` with AppTest; this is the real server.

Finally, unless ``--no-breakdown``, a fresh Python process repeats the first visit's work of each
Keras page step by step (import TensorFlow, load the shipped model, build the activation model,
...) to show what dominates. Targets: first page <= 3 s, first Keras page <= 6 s (medians).
The script exits with 1 if TensorFlow loads on the home page or a concept page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import browser as bh
from tests.support import server

KERAS_PAGES = ("Activation maps", "Read my digit")
CONCEPT_TITLES = ("Convolution", "Padding", "Stride", "Pooling")
FIRST_PAGE_TARGET_S = 3.0
KERAS_PAGE_TARGET_S = 6.0


def tensorflow_loaded(pid: int) -> bool:
    """True when the process maps a file of the tensorflow package (its shared libraries)."""
    maps = (Path("/proc") / str(pid) / "maps").read_text()
    return any("/tensorflow/" in line for line in maps.splitlines())


def settled_wall_time(page) -> float:
    """The wall-clock time (s since the epoch) at which the page settled; waits for it."""
    since = bh.wait_settled(page)
    return (page.evaluate("performance.timeOrigin") + since) / 1e3


def one_cold_start(browser, keras_page: str) -> dict:
    """Fresh server and browser context: seconds to the home page, then to ``keras_page``."""
    process, url, launched, healthy_s = server.launch_server()
    page = bh.new_tab(browser)
    try:
        page.goto(url, wait_until="commit")
        first_s = settled_wall_time(page) - launched
        tf_after_home = tensorflow_loaded(process.pid)
        keras_s = bh.open_page(page, keras_page) / 1e3
        state = bh.page_state(page)
        drawing_s = (state["settledSince"] - state["lastRunEnd"]) / 1e3 if state["lastRunEnd"] else float("nan")
        tf_after_keras = tensorflow_loaded(process.pid)
        problems = bh.problems(page)
    finally:
        page.context.close()
        server.stop_server(process)
    return {
        "healthy_s": healthy_s,
        "first_s": first_s,
        "keras_page": keras_page,
        "keras_s": keras_s,
        "drawing_s": drawing_s,
        "tf_after_home": tf_after_home,
        "tf_after_keras": tf_after_keras,
        "problems": problems,
    }


def probe_light_pages(browser) -> list[tuple[str, bool]]:
    """(page, TensorFlow loaded after visiting it) for the home page and each concept page in turn."""
    process, url, _, _ = server.launch_server()
    page = bh.new_tab(browser)
    try:
        bh.open_app(page, url)
        found = [("Home", tensorflow_loaded(process.pid))]
        for title in CONCEPT_TITLES:
            bh.open_page(page, title)
            found.append((title, tensorflow_loaded(process.pid)))
    finally:
        page.context.close()
        server.stop_server(process)
    return found


# The first visit's work of each Keras page, step by step, in a fresh process (see breakdown()).
BREAKDOWN_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, ".")
steps = []
def step(name, work):
    start = time.perf_counter(); result = work(); steps.append((name, time.perf_counter() - start)); return result

step("import streamlit (already done by the server before any page)", lambda: __import__("streamlit"))
step("import cnn_core.activations and cnn_core.digits", lambda: __import__("cnn_core.activations") and __import__("cnn_core.digits"))
step("import tensorflow", lambda: __import__("tensorflow"))
step("import keras", lambda: __import__("keras"))
import keras, numpy as np
from cnn_core import activations, datasets, digits
shipped = lambda name: keras.models.load_model(f"models/{name}.keras", compile=False)
model = step("load models/mnist_convnet.keras", lambda: shipped("mnist_convnet"))
(_, _), (x_test, _) = step("load the bundled MNIST", datasets.load_mnist)
x = activations.prepare_image(x_test[0], model.inputs[0].shape[1:])
maps = step("Activation maps: layer_activations (builds the multi-output model)", lambda: activations.layer_activations(model, x))
step("Activation maps: class_probabilities", lambda: activations.class_probabilities(model, x))
step("Activation maps: grad_cam (builds the Grad-CAM model)", lambda: activations.grad_cam(model, x))
step("Activation maps: the figures (grids, channel, kernels)", lambda: [
    activations.grid_picture(activations.activation_grid(a, 16), a.shape[:2]) for _, a in maps] + [
    activations.channel_figure(maps[0][1][..., 0], "c"),
    activations.kernels_figure(activations.first_conv_kernel(model, x.shape)),
    activations.conv_layer_names(model, x.shape)])
step("Read my digit: load models/mnist_convnet_augmented.keras", lambda: shipped("mnist_convnet_augmented"))
print(json.dumps(steps))
"""


def breakdown() -> list[tuple[str, float]]:
    """Seconds per step of the Keras pages' first-visit work, in a fresh Python process."""
    result = subprocess.run(
        [sys.executable, "-c", BREAKDOWN_SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="cold starts per Keras page (default 3)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the step-by-step timing")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # Each line shows as soon as it is measured.
    from playwright.sync_api import sync_playwright

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    failed = False
    with sync_playwright() as playwright:
        browser = bh.launch_chromium(playwright)
        print("TensorFlow loaded in the server after visiting (in this order, one session):")
        for title, loaded in probe_light_pages(browser):
            print(f"  {title:12} {'YES: this page must not need TensorFlow' if loaded else 'no'}")
            failed |= loaded
        runs = []
        print(
            f"\n{'run':>3} {'healthy s':>9} {'first page s':>12}  {'first Keras page':18} {'s':>6} "
            f"{'drawing s':>9}  TF after home/Keras"
        )
        for n in range(args.repeats * len(KERAS_PAGES)):
            run = one_cold_start(browser, KERAS_PAGES[n % len(KERAS_PAGES)])
            runs.append(run)
            print(
                f"{n + 1:3} {run['healthy_s']:9.2f} {run['first_s']:12.2f}  {run['keras_page']:18} "
                f"{run['keras_s']:6.2f} {run['drawing_s']:9.2f}  {'yes' if run['tf_after_home'] else 'no'}/"
                f"{'yes' if run['tf_after_keras'] else 'no'}"
            )
            for problem in run["problems"]:
                print(f"    page problem: {problem[:300]}")
            failed |= run["tf_after_home"]
        browser.close()
    first = statistics.median(run["first_s"] for run in runs)
    print(f"\nmedian server start (launch -> healthy): {statistics.median(r['healthy_s'] for r in runs):.2f} s")
    print(
        f"median first page (launch -> home page settled): {first:.2f} s   target <= {FIRST_PAGE_TARGET_S:.0f} s: "
        f"{'MET' if first <= FIRST_PAGE_TARGET_S else 'MISSED'}"
    )
    for title in KERAS_PAGES:
        times = [run["keras_s"] for run in runs if run["keras_page"] == title]
        drawing = statistics.median(run["drawing_s"] for run in runs if run["keras_page"] == title)
        middle = statistics.median(times)
        print(
            f"median first {title} (click -> settled, {len(times)} runs): {middle:.2f} s   target <= "
            f"{KERAS_PAGE_TARGET_S:.0f} s: {'MET' if middle <= KERAS_PAGE_TARGET_S else 'MISSED'}; "
            f"of which {drawing:.2f} s drawing after the script ended"
        )
    if not args.no_breakdown:
        print("\nwhat the Keras pages do on a first visit, step by step in a fresh process:")
        for name, seconds in breakdown():
            print(f"  {seconds:6.2f} s  {name}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
