"""Many visitors on one server: concept-page render times, server memory, and two trainings at once.

Run: python benchmarks/multi_user.py [--sessions 10] [--skip-training] [--browser-nice 0]

One ``streamlit run app.py`` server (``CNN_LAB_MAX_TRAININGS=2``, the default cap) and one
headless Chromium, in which every visitor is a separate browser context, so a separate
Streamlit session. Measured along the way:

- in the browser, each page's render time: from its navigation start (or the sidebar click) to
  the moment it settled (script finished, every element drawn, nothing stale; it must then stay
  so for 1 s, which is not counted);
- on the server, each session's script time: the server runs under a small wrapper that logs
  the start and end of every script run (``ScriptRunner._run_script``) with its session id;
- the server's memory: the summed RSS of its process tree, read from /proc every 0.2 s;
- CPU seconds used by the server and by the browser in each phase.

Phases:

1. Warm-up: one visitor opens the home page and each concept page once (first visits load
   Streamlit's page modules; an instructor who tried the link has done this already).
2. N visitors (default 10) open a concept page at the same moment, spread over the four concept
   pages; then all N switch to the next concept page through the sidebar at once (a rerun in
   the same session).
3. Three visitors open Train on MNIST. Two start small, different runs at once; while both
   train, the third presses Start and must get the "busy" message. Each of the two must then
   see its own run only: its own name and settings, and a history chart with its own number of
   epochs. Peak RSS while the two train is reported.

Targets on the 2-core machine: median concept-page render <= 2 s with 10 sessions; server RSS
< 1.0 GB (10^9 bytes) with 2 trainings; zero cross-talk; the third training gets "busy". Here
the visitors' browsers share the server's CPU (in a class each runs on its own machine) and a
first visit costs Chromium several CPU seconds, so the browser times are pessimistic; the
browser runs at a lower CPU priority (``--browser-nice``, default 10) so the server is served
first, and the server-side script times show what the server itself needs. The script exits
with 1 on cross-talk, a missing busy message or an error on a page; the time and memory targets
are only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import browser as bh
from tests.support import server

CONCEPT_TITLES = ("Convolution", "Padding", "Stride", "Pooling")
RENDER_TARGET_S = 2.0
RSS_TARGET_BYTES = 1.0e9
MAX_TRAININGS = 2
PHASE_TIMEOUT_S = 600  # A busy shared CPU can make ten first visits very slow.
# Two runs that differ in every setting the page prints, and a third that must be refused.
TRAININGS = {
    "A": {"subset": 3000, "epochs": 1, "optimizer": "rmsprop"},
    "B": {"subset": 2000, "epochs": 2, "optimizer": "adam"},
    "C": {"subset": 1000, "epochs": 1, "optimizer": "sgd"},
}

# Runs Streamlit's command line with every script run logged as a JSON line: the log file is
# the first argument, the rest is Streamlit's. Only the benchmark's server runs this.
TIMED_SERVER = r"""
import json, sys, threading, time
from streamlit.runtime.scriptrunner import script_runner
from streamlit.web import cli
log, lock = open(sys.argv.pop(1), "a", buffering=1), threading.Lock()
original = script_runner.ScriptRunner._run_script
def timed(self, rerun_data):
    start = time.time()
    try:
        return original(self, rerun_data)
    finally:
        entry = {"session": self._session_id, "start": start, "end": time.time(),
                 "fragment": bool(rerun_data.fragment_id_queue)}
        with lock:
            log.write(json.dumps(entry) + "\n")
script_runner.ScriptRunner._run_script = timed
sys.argv[0] = "streamlit"
cli.main()
"""


class RssSampler(threading.Thread):
    """Sums the RSS of a process and its descendants every ``interval_s``; keeps peaks per phase."""

    def __init__(self, pid: int, interval_s: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval_s = pid, interval_s
        self.peaks: dict[str, int] = {}
        self.phase = "start"
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            rss = sum(_status_kib(pid, "VmRSS") * 1024 for pid in tree_pids(self.pid))
            for phase in (self.phase, "overall"):
                self.peaks[phase] = max(self.peaks.get(phase, 0), rss)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def tree_pids(root: int, exclude: int | None = None) -> list[int]:
    """``root`` and all its descendants, from /proc; the subtree of ``exclude`` is left out."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The parent pid is the second field after the ")" that closes the command name.
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid != exclude:
            found.append(pid)
            todo += children.get(pid, [])
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith(f"{field}:")), 0)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of these processes and of their children that already ended and were reaped."""
    ticks = 0
    for pid in pids:
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


class Phase:
    """A measured stretch: wall-clock bounds and the CPU seconds of the server and the browser."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def __enter__(self):
        self.start_time, self._cpu = time.time(), self._cpu_now()
        return self

    def __exit__(self, *exc):
        server, browser = self._cpu_now()
        self.server_cpu_s, self.browser_cpu_s = server - self._cpu[0], browser - self._cpu[1]
        self.end_time = time.time()

    def _cpu_now(self) -> tuple[float, float]:
        return (cpu_seconds(tree_pids(self.server_pid)), cpu_seconds(tree_pids(os.getpid(), exclude=self.server_pid)))

    def cpu_line(self, views: int) -> str:
        return (
            f"CPU used: server {self.server_cpu_s:.1f} s ({self.server_cpu_s / views:.2f} s per page view), "
            f"browser {self.browser_cpu_s:.1f} s ({self.browser_cpu_s / views:.2f} s per page view)"
        )


def server_times(log_path: Path, phase: Phase) -> list[float]:
    """Per session with script runs in the phase: seconds from its first run's start to its last's end."""
    spans: dict[str, list[float]] = {}
    for line in log_path.read_text().splitlines():
        run = json.loads(line)
        if not run["fragment"] and phase.start_time <= run["start"] <= phase.end_time:
            span = spans.setdefault(run["session"], [run["start"], run["end"]])
            span[0], span[1] = min(span[0], run["start"]), max(span[1], run["end"])
    return [(end - start) * 1e3 for start, end in spans.values()]


def seconds(values_ms: list[float]) -> str:
    if not values_ms:
        return "no data"
    return f"median {statistics.median(values_ms) / 1e3:.2f} s, worst {max(values_ms) / 1e3:.2f} s"


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def url_of(base_url: str, title: str) -> str:
    script = next(script for script, page_title in bh.app_pages() if page_title == title)
    return bh.page_url(base_url, script)


def renice_browser(server_pid: int, niceness: int) -> None:
    """Lower the CPU priority of the Playwright driver and Chromium (its later processes inherit it)."""
    for pid in tree_pids(os.getpid(), exclude=server_pid):
        if pid != os.getpid():
            try:
                os.setpriority(os.PRIO_PROCESS, pid, niceness)
            except OSError:
                pass  # A process that just ended.


def wait_all_settled(tabs: list, timeout_s: float = PHASE_TIMEOUT_S) -> list[float]:
    """Poll every tab until all settled; their settle times in ms after navigation."""
    settled: dict[int, float] = {}
    deadline = time.monotonic() + timeout_s
    while len(settled) < len(tabs):
        if time.monotonic() > deadline:
            late = [f"{tab.url}: {bh.describe(tab)}" for i, tab in enumerate(tabs) if i not in settled]
            raise TimeoutError(
                f"{len(late)} of {len(tabs)} pages did not settle in {timeout_s:.0f} s:\n" + "\n".join(late)
            )
        for i, tab in enumerate(tabs):
            if i not in settled:
                since = bh.settled_at(tab)
                if since is not None:
                    settled[i] = since
        time.sleep(0.1)
    return [settled[i] for i in range(len(tabs))]


def warm_up(browser, base_url: str) -> None:
    tab = bh.new_tab(browser)
    times = [f"home {bh.open_app(tab, base_url) / 1e3:.2f} s"]
    for title in CONCEPT_TITLES:
        times.append(f"{title} {bh.open_page(tab, title) / 1e3:.2f} s")
    print("warm-up, one visitor, first visits (home from navigation, others from the sidebar click):")
    print("  " + ", ".join(times))
    tab.context.close()


def concept_sessions(browser, base_url: str, sessions: int, sampler: RssSampler, log_path: Path) -> list[str]:
    """Phase 2; returns the problems seen on the pages."""
    sampler.phase = "concepts"
    titles = [CONCEPT_TITLES[i % len(CONCEPT_TITLES)] for i in range(sessions)]
    tabs = [bh.new_tab(browser) for _ in range(sessions)]
    # Each blank page gets a timer for the same wall-clock moment, so no navigation waits for another.
    start_at_ms = time.time() * 1e3 + 1000 + 200 * sessions
    for tab, title in zip(tabs, titles):
        tab.evaluate(
            "([url, at]) => { setTimeout(() => { location.href = url; }, at - Date.now()); }",
            [url_of(base_url, title), start_at_ms],
        )
    time.sleep(max(0.0, start_at_ms / 1e3 - time.time()))
    with Phase(sampler.pid) as phase:
        loads = wait_all_settled(tabs)
    starts = [tab.evaluate("performance.timeOrigin") for tab in tabs]
    spread = (max(starts) - min(starts)) / 1e3
    states = [bh.page_state(tab) for tab in tabs]
    problems = [f"{title}: {p}" for tab, title in zip(tabs, titles) for p in bh.problems(tab)]
    print(f"\n{sessions} visitors open a concept page at once (navigations started within {spread:.2f} s):")
    print(
        f"  render time in the browser, navigation start -> settled: {seconds(loads)}   target: median <= "
        f"{RENDER_TARGET_S:.0f} s: {verdict(statistics.median(loads) <= RENDER_TARGET_S * 1e3)}"
    )
    for title in CONCEPT_TITLES:
        mine = [ms for ms, t in zip(loads, titles) if t == title]
        if mine:
            print(f"    {title:12} {len(mine)} visitors: {seconds(mine)}")
    timed = [(load, state) for load, state in zip(loads, states) if state["firstRun"] and state["firstRunEnd"]]
    print(
        f"    of which loading the app's code and connecting: {seconds([s['firstRun'] for _, s in timed])}; "
        f"drawing after the first run: {seconds([load - s['firstRunEnd'] for load, s in timed])}"
    )
    payload = {
        title: statistics.median(state["bytes"] for state, t in zip(states, titles) if t == title)
        for title in dict.fromkeys(titles)
    }
    print(
        "    what the server sends for each page (websocket bytes): "
        + ", ".join(f"{title} {size / 1e3:.0f} kB" for title, size in payload.items())
    )
    print(
        f"  server script time per session (first run's start -> last run's end): "
        f"{seconds(server_times(log_path, phase))}"
    )
    print(f"  {phase.cpu_line(sessions)}")
    # Everyone clicks the next concept page in the sidebar at the same moment.
    nexts = [CONCEPT_TITLES[(CONCEPT_TITLES.index(t) + 1) % len(CONCEPT_TITLES)] for t in titles]
    with Phase(sampler.pid) as phase:
        clicks = [bh.click_sidebar_link(tab, title) for tab, title in zip(tabs, nexts)]
        for tab, title in zip(tabs, nexts):
            bh.wait_main_title(tab, title, timeout_s=PHASE_TIMEOUT_S)  # Settling counts from then on.
        switches = [settled - clicked for settled, clicked in zip(wait_all_settled(tabs), clicks)]
    problems += [f"{title}: {p}" for tab, title in zip(tabs, nexts) for p in bh.problems(tab)]
    print("  then all switch page through the sidebar at once:")
    print(f"    render time in the browser, click -> settled: {seconds(switches)}")
    print(f"    server script time per session: {seconds(server_times(log_path, phase))}")
    print(f"    {phase.cpu_line(sessions)}")
    print(f"  server peak RSS: {sampler.peaks.get('concepts', 0) / 1e6:.0f} MB")
    for tab in tabs:
        tab.context.close()
    return problems


def run_name_text(settings: dict) -> str:
    """The settings part of the training page's run name, e.g. "adam, 2 epochs, 1,800 digits"."""
    import numpy as np

    from cnn_core.data.mnist import split_validation

    (x_fit, _), _ = split_validation(np.zeros(settings["subset"]), np.zeros(settings["subset"]), 0.1)
    epochs = settings["epochs"]
    return f"{settings['optimizer']}, {epochs} epoch{'s' * (epochs != 1)}, {len(x_fit):,} digits"


def sees_only_its_own_run(tab, name: str) -> tuple[bool, list[int]]:
    """Its own run's settings on the page, not the other's, and one validation point per own epoch."""
    other = "B" if name == "A" else "A"
    text = bh.main_text(tab)
    validation = [n for trace, n in bh.chart_traces(tab) if trace == "validation"]
    own = (
        run_name_text(TRAININGS[name]) in text
        and run_name_text(TRAININGS[other]) not in text
        and bool(validation)
        and set(validation) == {TRAININGS[name]["epochs"]}
    )
    return own, validation


def two_trainings(browser, base_url: str, sampler: RssSampler) -> list[str]:
    """Phase 3; returns the failures (cross-talk, no busy message, page errors)."""
    failures = []
    tabs = {name: bh.new_tab(browser, height=1200) for name in TRAININGS}
    for name, tab in tabs.items():
        bh.open_app(tab, base_url)
        bh.open_page(tab, "Train on MNIST")
        bh.set_up_mnist_training(tab, **TRAININGS[name])
    print(f"\n2 visitors train at once (cap CNN_LAB_MAX_TRAININGS={MAX_TRAININGS}), a third tries to:")
    sampler.phase = "trainings"
    with Phase(sampler.pid) as phase:
        for name in ("A", "B"):
            bh.press_start_training(tabs[name])
        for name in ("A", "B"):
            bh.wait_training_started(tabs[name])
        progress = {name: tabs[name].locator('[data-testid="stProgress"]').first.inner_text() for name in ("A", "B")}
        both_running = not any(text.startswith(("Finished", "Stopped", "Failed")) for text in progress.values())
        bh.press_start_training(tabs["C"])
        bh.wait_training_started(tabs["C"])
        errors = tabs["C"].locator('[data-testid="stAlertContentError"]')
        busy = errors.count() > 0 and "busy" in errors.first.inner_text().lower()
        ended = {}
        for name in ("A", "B"):
            bh.wait_training_done(tabs[name], timeout_s=900)
            ended[name] = time.time() - phase.start_time
    sampler.phase = "after"
    for name in ("A", "B"):
        own, validation = sees_only_its_own_run(tabs[name], name)
        print(
            f"  {name}: {run_name_text(TRAININGS[name])}: results after {ended[name]:.0f} s; "
            f"sees only its own run: {'yes' if own else 'NO'} (its chart has {validation} validation points)"
        )
        if not own:
            failures.append(f"{name} does not see exactly its own run")
        failures += [f"{name}: {p}" for p in bh.problems(tabs[name])]
    print(f"  both were training when C pressed Start: {'yes' if both_running else 'no'} ({progress})")
    c_text = errors.first.inner_text() if errors.count() else bh.main_text(tabs["C"])[-300:]
    print(f"  C got the busy message: {'yes' if busy else 'NO'} ({c_text.strip()[:160]!r})")
    if not both_running:
        print("  (a run ended before C pressed Start, so the busy check is inconclusive)")
    elif not busy:
        failures.append("the third training was not refused while two were running")
    peak = sampler.peaks.get("trainings", 0)
    print(
        f"  server peak RSS during the 2 trainings: {peak / 1e6:.0f} MB   target < "
        f"{RSS_TARGET_BYTES / 1e6:.0f} MB: {verdict(peak < RSS_TARGET_BYTES)}"
    )
    print(
        f"  CPU used from Start to both results: server {phase.server_cpu_s:.1f} s, browser {phase.browser_cpu_s:.1f} s"
    )
    for tab in tabs.values():
        tab.context.close()
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="visitors on the concept pages (default 10)")
    parser.add_argument("--skip-training", action="store_true", help="only the concept-page phases")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=10,
        help="CPU niceness of the browser processes (default 10; 0 keeps the server's priority)",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # Figures appear as each phase ends.
    from playwright.sync_api import sync_playwright

    log_path = Path(tempfile.mkdtemp(prefix="cnn_lab_runs_")) / "runs.jsonl"
    log_path.touch()
    process, base_url, _, _ = server.launch_server(
        {"CNN_LAB_MAX_TRAININGS": str(MAX_TRAININGS)}, python_args=("-c", TIMED_SERVER, str(log_path))
    )
    sampler = RssSampler(process.pid)
    sampler.start()
    failures = []
    try:
        print(
            f"server: streamlit run app.py at {base_url}, pid {process.pid}; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}; browser niceness {args.browser_nice}"
        )
        with sync_playwright() as playwright:
            browser = bh.launch_chromium(playwright)
            renice_browser(process.pid, args.browser_nice)
            warm_up(browser, base_url)
            failures += concept_sessions(browser, base_url, args.sessions, sampler, log_path)
            if not args.skip_training:
                failures += two_trainings(browser, base_url, sampler)
            browser.close()
    finally:
        sampler.stop()
        server.stop_server(process)
    print(
        f"\nserver peak RSS overall: {sampler.peaks.get('overall', 0) / 1e6:.0f} MB; "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )
    for failure in failures:
        print(f"FAILED: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
