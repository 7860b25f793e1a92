"""The server side of ``benchmarks/classroom.py``: launch ``streamlit run app.py``, read its CPU and memory.

The server runs Streamlit's own command line behind a small wrapper that logs each script run
(``ScriptRunner._run_script``) as a JSON line: its session, wall-clock start and end, and the CPU
time of the thread that ran it. The rest of the server's CPU is read from /proc: the main thread
(the event loop, which serialises every ForwardMsg and writes the websockets), the threads that
were running before a phase began (a training and TensorFlow's pools), and the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import server

TICK_S = 1 / os.sysconf("SC_CLK_TCK")

# Streamlit's command line with every script run logged; the log file is the first argument. Each
# entry has the run's wall-clock span, its thread's CPU time and the time its thread spent in
# garbage collections (Streamlit collects after every run, ``runner.postScriptGC``).
TIMED_SERVER = r"""
import gc, json, sys, threading, time
from streamlit.runtime.scriptrunner import script_runner
from streamlit.web import cli
log, lock, local = open(sys.argv.pop(1), "a", buffering=1), threading.Lock(), threading.local()
def on_gc(phase, info):
    if phase == "start":
        local.gc_start = time.thread_time()
    elif hasattr(local, "gc_start"):
        local.gc_s = getattr(local, "gc_s", 0.0) + time.thread_time() - local.gc_start
gc.callbacks.append(on_gc)
original = script_runner.ScriptRunner._run_script
def timed(self, rerun_data):
    start, cpu, gc_before = time.time(), time.thread_time(), getattr(local, "gc_s", 0.0)
    try:
        return original(self, rerun_data)
    finally:
        entry = {"session": self._session_id, "start": start, "end": time.time(),
                 "cpu": time.thread_time() - cpu, "gc": getattr(local, "gc_s", 0.0) - gc_before,
                 "fragment": bool(rerun_data.fragment_id_queue)}
        with lock:
            log.write(json.dumps(entry) + "\n")
script_runner.ScriptRunner._run_script = timed
sys.argv[0] = "streamlit"
cli.main()
"""


def launch_server(log_path: Path, options: tuple[str, ...] = (), timeout_s: float = 120.0):
    """``streamlit run app.py`` (logging its runs to ``log_path``) on a free port; returns (process, url).

    ``options`` are more of Streamlit's settings as ``name=value``, e.g. ``runner.postScriptGC=false``.
    """
    process, url, _, _ = server.launch_server(
        python_args=("-c", TIMED_SERVER, str(log_path)), timeout_s=timeout_s, options=options
    )
    return process, url


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server and wait for it to exit."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def script_runs(log_path: Path | None) -> list[dict]:
    """Every script run the server has logged so far."""
    if log_path is None or not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def _stat_fields(path: Path) -> list[str]:
    # The fields after the ")" that closes the command name, which may itself hold spaces.
    return path.read_text().rsplit(")", 1)[1].split()


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of the whole process (every thread, ended ones included)."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return (int(fields[11]) + int(fields[12])) * TICK_S


def thread_cpu_s(pid: int) -> dict[int, float]:
    """CPU seconds of each live thread of the process, by thread id."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = _stat_fields(task / "stat")
        except OSError:
            continue  # A thread that just ended.
        found[int(task.name)] = (int(fields[11]) + int(fields[12])) * TICK_S
    return found


def tree_rss_bytes(root: int) -> int:
    """Summed RSS of a process and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat_fields(entry / "stat")[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


class RssSampler(threading.Thread):
    """Samples the server tree's RSS every ``interval_s``; ``take_peak`` returns and resets the peak."""

    def __init__(self, pid: int, interval_s: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval_s = pid, interval_s
        self.peak = self.overall = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            rss = tree_rss_bytes(self.pid)
            self.peak, self.overall = max(self.peak, rss), max(self.overall, rss)

    def take_peak(self) -> int:
        peak, self.peak = self.peak, tree_rss_bytes(self.pid)
        return max(peak, self.peak)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


class CpuSplit:
    """The server's CPU over a stretch: total, main thread, threads already running at its start."""

    main_s = background_s = total_s = 0.0

    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self):
        self.start_time = time.time()
        self._total, self._threads = process_cpu_s(self.pid), thread_cpu_s(self.pid)
        return self

    def __exit__(self, *exc):
        self.end_time = time.time()
        threads = thread_cpu_s(self.pid)
        self.total_s = process_cpu_s(self.pid) - self._total
        self.main_s = threads.get(self.pid, 0.0) - self._threads.get(self.pid, 0.0)
        # Threads that ran before the phase began and are still alive: a training, TF's pools, watchers.
        self.background_s = sum(threads[t] - self._threads[t] for t in threads if t in self._threads and t != self.pid)
