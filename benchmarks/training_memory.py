"""Peak RSS of the app's server process while the MNIST page trains on all 60,000 digits.

Run: python benchmarks/training_memory.py [--epochs N] [--sessions N]

Starts ``streamlit run app.py`` on a free port, opens the "Train on MNIST" page in headless
Chromium (Playwright, /usr/bin/chromium), keeps the default data (all 60,000 training digits),
sets the epochs, presses Start in each of ``--sessions`` browser sessions at once, and waits for
the results. A sampler reads VmRSS of the server and any child processes from /proc every 0.2 s.
Printed: RSS at start, after the page loaded (TensorFlow imported), the peak while training and
evaluating, and at the end, against the target of 1.0 GB (10^9 bytes).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import server

TARGET_BYTES = 1.0e9
SAMPLE_S = 0.2


def tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class Sampler(threading.Thread):
    """Samples the process tree's RSS until stopped; keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.last = pid, 0, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.last = tree_rss_bytes(self.pid)
            self.peak = max(self.peak, self.last)
            self.done.wait(SAMPLE_S)


def open_training_page(context, url: str):
    """A tab on the training page, through the sidebar as a visitor would go."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector('[data-testid="stSidebarNavLink"]', timeout=120_000)
    page.locator('[data-testid="stSidebarNavLink"]', has_text="Train on MNIST").first.click()
    page.wait_for_selector("text=Total parameters", timeout=180_000)
    return page


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB ({n / 1e9:.2f} GB)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="epochs per training (default 1)")
    parser.add_argument("--sessions", type=int, default=1, help="browser sessions training at once (cap: 2)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    process, url, _, _ = server.launch_server()
    sampler = Sampler(process.pid)
    sampler.start()
    try:
        time.sleep(1)
        at_start = sampler.last
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            pages = [
                open_training_page(browser.new_context(viewport={"width": 1400, "height": 1000}), url)
                for _ in range(args.sessions)
            ]
            time.sleep(2)
            loaded = sampler.last
            for page in pages:
                epochs = page.get_by_label("Epochs").last
                epochs.fill(str(args.epochs))
                epochs.press("Enter")
            time.sleep(2)
            started = time.monotonic()
            for page in pages:
                page.get_by_role("button", name="Start training").click()
            for page in pages:
                page.wait_for_selector("text=Test accuracy", timeout=1_800_000)
            seconds = time.monotonic() - started
            time.sleep(1)
            accuracies = [page.locator('[data-testid="stMetricValue"]').first.inner_text() for page in pages]
            browser.close()
        at_end = sampler.last
    finally:
        sampler.done.set()
        sampler.join()
        server.stop_server(process)

    print(
        f"{args.sessions} session(s) x all 60,000 digits x {args.epochs} epoch(s), trained and evaluated in "
        f"{seconds:.0f} s; test accuracy {', '.join(accuracies)}"
    )
    print(f"server RSS at start:             {mib(at_start)}")
    print(f"after the training page loaded:  {mib(loaded)}")
    print(f"peak while training/evaluating:  {mib(sampler.peak)}")
    print(f"after training:                  {mib(at_end)}")
    verdict = "OK" if sampler.peak < TARGET_BYTES else "ABOVE TARGET"
    print(f"peak vs target 1.0 GB: {sampler.peak / TARGET_BYTES:.2f} -> {verdict}")


if __name__ == "__main__":
    main()
