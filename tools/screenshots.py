"""Screenshots of every page in an interesting state, for the README: ``python -m tools.screenshots``.

Starts the app on a free port, opens every page that app.py lists in headless Chromium (one
visitor, pages switched through the sidebar, so the model trained on Train on MNIST is there for
the later pages), drives each page into a state worth showing, and writes ``docs/<page>.png``:
the main column, cropped from a heading that starts the interesting part. Widgets are found by
their labels. Images are reduced to 256 colours to keep the folder small (the total is printed).
Rerun it whenever a page changes. Options: ``--out FOLDER``, ``--only convolution,digits``,
``--lang ko`` (every page in Korean, written to ``docs/ko/`` unless ``--out`` says otherwise; the
drivers find widgets by their translated labels, and the training pages are shown as they open).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np

from cnn_core.i18n import translate
from tests.support import browser as bh
from tests.support import server

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1400, 1000  # The browser window; a page's picture is at most MAX_HEIGHT tall.
MAX_HEIGHT = 1100
BUDGET_BYTES = 3_000_000
LANG = "en"  # set by --lang


def T(text: str) -> str:
    """A label or heading as the page shows it in the language of this run."""
    return translate(text, LANG)


class Shot:
    """Where a page's picture starts (a locator, or None for the top), how tall, whether with the sidebar."""

    def __init__(self, anchor=None, height: int = MAX_HEIGHT, sidebar: bool = False):
        self.anchor, self.height, self.sidebar = anchor, height, sidebar


def heading(tab, text: str):
    """The first heading of the main area that contains ``text``."""
    return tab.locator('[data-testid="stMain"] :is(h1, h2, h3)').filter(has_text=text).first


def home(tab) -> Shot:
    return Shot(height=900, sidebar=True)


def convolution(tab) -> Shot:
    """'same' padding, then the step-by-step player moved forward to a window that overlaps the zeros."""
    bh.choose_radio(tab, T("Padding"), "same")
    tab.get_by_role("tab").filter(has_text=T("🔍 Step by step")).first.click()
    forward = tab.get_by_role("button", name=T("Forward ▶"))
    forward.first.wait_for()
    step = tab.locator('[data-testid="stMain"] input[type="range"][aria-label="' + T("Step") + '"]')
    for _ in range(STEPS_FORWARD):
        before = int(step.input_value())
        forward.first.click()
        # The player is a fragment: wait for its slider to move rather than for a full rerun.
        deadline = time.monotonic() + 60
        while int(step.input_value()) <= before and time.monotonic() < deadline:
            time.sleep(0.1)
    bh.wait_settled(tab)
    return Shot(heading(tab, T("4. Watch it compute")), height=1010)


def padding(tab) -> Shot:
    return Shot(heading(tab, T("Padding")), height=1050)


def stride(tab) -> Shot:
    return Shot(heading(tab, T("Try your own numbers")), height=715)


def pooling(tab) -> Shot:
    return Shot(heading(tab, T("3. Downsampling a real feature map")), height=950)


def augmentation(tab) -> Shot:
    return Shot(heading(tab, T("Data augmentation")), height=1020)


def training(tab) -> Shot:
    """A short real run on a subset, finished: the live chart's final state and the test results."""
    bh.set_up_mnist_training(tab, subset=6000, epochs=2, optimizer="rmsprop")
    bh.press_start_training(tab)
    bh.wait_training_done(tab, timeout_s=900)
    return Shot(heading(tab, "4. Train"), height=900)


def folder_training(tab) -> Shot:
    """A zip of two class folders (MNIST 3s and 7s) uploaded and loaded: overview and pipeline peek."""
    bh.choose_radio(tab, "Data", "Upload a zip of class folders")
    upload = tab.locator('[data-testid="stFileUploader"] input[type="file"]').first
    bh.act(
        tab,
        lambda: upload.set_input_files(
            files=[{"name": "threes_and_sevens.zip", "mimeType": "application/zip", "buffer": digit_folders_zip()}]
        ),
    )
    bh.click_button(tab, "Load this zip")
    loaded = tab.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Loaded").first
    loaded.wait_for()
    return Shot(loaded, height=1020)


def overfitting_lab(tab) -> Shot:
    """Both recipes trained side by side on the zip loaded on the folder page, a few epochs each."""
    bh.set_number(tab, "Epochs", LAB_EPOCHS)
    bh.choose_radio(tab, "Run the two trainings", "Both at once (two slots)")
    bh.click_button(tab, "Start both runs")
    tab.locator('[data-testid="stMain"] h3').filter(has_text="What the gap means").first.wait_for(timeout=900_000)
    bh.wait_settled(tab, timeout_s=300)
    return Shot(heading(tab, "Overfitting lab"), height=1340)


def digit_folders_zip(per_class: int = 60) -> bytes:
    """A zip with the folders threes/ and sevens/ of bundled MNIST test digits, as PNG files."""
    import zipfile

    from PIL import Image

    from cnn_core.data.mnist import load_mnist

    _, (x_test, y_test) = load_mnist()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for digit, folder in ((3, "threes"), (7, "sevens")):
            for n, index in enumerate(np.flatnonzero(y_test == digit)[:per_class]):
                picture = io.BytesIO()
                Image.fromarray(x_test[index]).save(picture, format="PNG")
                archive.writestr(f"{folder}/{folder[:-1]}_{n:03d}.png", picture.getvalue())
    return buffer.getvalue()


def activations(tab) -> Shot:
    return Shot(heading(tab, T("Prediction and Grad-CAM")), height=1250)


def digits(tab) -> Shot:
    """A 7 drawn with the mouse on the drawing pad, and the model's reading of it."""
    bh.choose_radio(tab, T("Where does the digit come from?"), T("Draw"))
    pad = tab.locator('[data-testid="stMain"] canvas').first
    pad.wait_for()
    time.sleep(1.0)  # The pad's own script sets up its drawing surface after it appears.
    box = pad.bounding_box()
    strokes = [[(70, 70), (215, 65), (205, 80)], [(205, 80), (150, 160), (125, 235)]]
    before = bh.messages(tab)
    for stroke in strokes:
        tab.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        tab.mouse.down()
        for x, y in stroke[1:]:
            tab.mouse.move(box["x"] + x, box["y"] + y, steps=15)
        tab.mouse.up()
    tab.mouse.move(0, 0)  # The pad shows its toolbar while the pointer is over it.
    tab.get_by_text(T("The model reads")).first.wait_for(timeout=120_000)
    bh.wait_settled(tab, after_messages=before)
    return Shot(bh.widget(tab, "stRadio", T("Where does the digit come from?")), height=1200)


def default(tab) -> Shot:
    return Shot(tab.locator('[data-testid="stMain"] h1').first)


LAB_EPOCHS = 4  # Enough for the curves to part; both runs take about a minute on two cores.
STEPS_FORWARD = 9  # With 'same' padding the 5x5 grid has 25 steps; at step 10 the window overlaps the zeros.
DRIVERS = {
    "home": home,
    "convolution": convolution,
    "padding": padding,
    "stride": stride,
    "pooling": pooling,
    "augmentation": augmentation,
    "training": training,
    "folder_training": folder_training,
    "overfitting_lab": overfitting_lab,
    "activations": activations,
    "digits": digits,
}


ENGLISH_ONLY_DRIVERS = {"training", "folder_training", "overfitting_lab"}


def shoot(tab, path: Path, shot: Shot) -> int:
    """Save the main column (and the sidebar if asked) from ``shot.anchor`` down; returns bytes written."""
    from PIL import Image

    tab.mouse.move(0, 0)  # No hover effects (toolbars, tooltips) in the picture.
    # A window as tall as the page lays everything out at once, so the crop needs no scrolling.
    full = tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    tab.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, full)})
    time.sleep(1.0)  # Charts redraw for the new window size; nothing reruns.
    column = tab.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    top = max(0, shot.anchor.bounding_box()["y"] - 16) if shot.anchor is not None else 0
    left = 0 if shot.sidebar else column["x"]
    clip = {
        "x": left,
        "y": top,
        "width": column["x"] + column["width"] - left,
        "height": min(shot.height, max(HEIGHT, full) - top),
    }
    png = tab.screenshot(clip=clip)
    tab.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    # Octree keeps greys grey next to a heat map (median cut tints them); no dithering keeps text crisp.
    picture.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(path, optimize=True)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default docs/)")
    parser.add_argument("--only", help="comma-separated page file names, e.g. convolution,digits")
    parser.add_argument("--lang", choices=("en", "ko"), default="en", help="the pages' language (ko: docs/ko/)")
    args = parser.parse_args()
    global LANG
    LANG = args.lang
    if args.lang != "en" and args.out == ROOT / "docs":
        args.out = ROOT / "docs" / args.lang
    sys.stdout.reconfigure(line_buffering=True)
    only = set(args.only.split(",")) if args.only else None
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    process, url, _, _ = server.launch_server()
    total, trouble = 0, []
    try:
        with sync_playwright() as playwright:
            browser = bh.launch_chromium(playwright)
            tab = bh.new_tab(browser, width=WIDTH, height=HEIGHT)
            bh.open_app(tab, url if LANG == "en" else f"{url}/?lang={LANG}")
            for script, title in bh.app_pages():
                stem = Path(script).stem
                if only and stem not in only:
                    continue
                if LANG != "en":  # A fresh page in that language (its title may differ from the link's).
                    address = f"{url}/" if stem == "home" else bh.page_url(url, script)  # home is the default page
                    tab.goto(f"{address}?lang={LANG}", wait_until="commit")
                    bh.wait_settled(tab)
                elif stem != "home":
                    bh.open_page(tab, title)
                driver = DRIVERS.get(stem, default)
                if LANG != "en" and stem in ENGLISH_ONLY_DRIVERS:
                    driver = default  # Their drivers go through English-labelled helpers.
                shot = driver(tab)
                trouble += [f"{stem}: {problem}" for problem in bh.problems(tab)]
                size = shoot(tab, args.out / f"{stem}.png", shot)
                total += size
                print(f"{args.out / f'{stem}.png'}: {size / 1e3:.0f} kB")
            browser.close()
    finally:
        server.stop_server(process)
    print(f"total {total / 1e6:.2f} MB (budget {BUDGET_BYTES / 1e6:.0f} MB)")
    for line in trouble:
        print(f"PROBLEM ON THE PAGE: {line[:400]}")
    sys.exit(1 if trouble else 0)


if __name__ == "__main__":
    main()
