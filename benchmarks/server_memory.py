"""Issue 17's memory figures: one real ``streamlit run app.py``, a class loading zips, two trainings, then nobody.

Run: python benchmarks/server_memory.py [--app-dir PATH] [--sessions 8] [--images 4000] [--trainings 2]
                                        [--train-s 60] [--ttl 10] [--settle-s 45] [--epochs 100]
                                        [--env NAME=VALUE ...] [--csv FILE] [--abandon]

``--app-dir`` is the tree whose ``app.py`` is served (default this one), so the same script measures
the original release (``git worktree add /work/wt-before f32db80``) and main. Both trees' folder page
has the same keys and labels for what is used here: the ``folder_max_per_class`` number input, the
``folder_zip`` uploader, the "Load this zip" button, ``folder_epochs``, "Start training" and "Stop".

The scenario (issue 17, Deliver 4, the benchmark):

1. ``idle``: the server just started, no visitor. ``warm``: one visitor opens Train on image folders
   (the page's imports, Keras for its model summary) and closes the tab; ``baseline``: after the
   reconnect window (``--ttl``, given to the server as ``server.disconnectedSessionTTL``) has passed.
   The baseline is the "idle figure" the settled one is compared with.
2. ``load``: ``--sessions`` protocol-level visitors (``protocol_client.py``: Streamlit's websocket
   protocol, uploads as the browser sends them) at once open the page, set "Images per class" to the
   whole zip, upload a zip of ``--images`` small JPEGs in ``cats/`` and ``dogs/`` (made here with
   PIL, 64x64, one zip for all), and press "Load this zip".
3. ``train``: the first ``--trainings`` visitors start a training (``--epochs``; a visitor whose data
   the memory budget released loads the zip again first, as the page tells them to); held for
   ``--train-s`` once every one has reached its first batch. Then ``stop``: each presses Stop and
   waits for its run to end (with ``--abandon`` they close their tabs with the run still going:
   main must cancel it after the reconnect window, the original keeps training).
4. ``leave``: every visitor closes the tab; ``--ttl`` plus ``--settle-s`` seconds of sampling.
   ``settled`` is the median of the last 10 s.
5. ``revisit`` (unless ``--no-revisit``): one new visitor opens Home and leaves. Streamlit purges
   expired sessions from its store only when the store next changes, so memory that only comes
   back now was held by sessions that had already gone.

Measured on a 2-core machine shared with other work (load average 2-8), default settings, TTL 10 s,
``python benchmarks/server_memory.py [--app-dir /work/wt-before]`` [MB]:

    tree          baseline  after load (peak)  training (tree)  Stop (tree peak)  settled server
    f32db80       706       3259               4389             8283              8283 (+7577)
    main 71ca77a  704       3158 (anon 713)    5718             10665 (workers)   3067 (+2363, anon 622)

That was 71ca77a: the decoded data sets stayed mapped into the server (file RSS 2.4 GB for 8 of
them) until a full garbage collection ran, and a stopped run's evaluation (predict at batch 256 on
150x150 pictures) took each worker to about 3.5 GB. Since then (the closing notes of issue 17 give
each step): 2830613 peaked at 1000 MB in the server, 2867 MB tree PSS, settled +144 MB; with the
workers reading rows instead of mapping the data set and the decoding window (3db958e, then
e75c48d), 976-992 MB in the server, 2424-2450 MB tree PSS (3196-3227 summed RSS), settled
+145-147 MB (three runs, load 0.4-2.1).

Sampled every ``--interval`` s from /proc: the server process's RSS (and its anonymous and file-backed
parts: main's decoded data sets are memory-mapped files, whose pages count as file RSS), the summed
RSS of its descendants (main's training workers), the tree's summed PSS, and the size of the
server's temporary folder (``TMPDIR``, a fresh one per run: uploads unpacked, data sets decoded to
disk). Printed per phase: peak and end figures; then the targets: server <= 1.0 GB, tree <= 2.5 GB,
settled server within 150 MB of the baseline; and what was left behind (worker processes, data
folders). The tree's target is judged on its summed PSS: the server and a worker map the same
decoded pictures and the same libraries, and summed RSS would count each of those pages once per
process, where a deployment's memory limit counts it once; both sums are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from protocol_client import StreamlitClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.server import stop_server

ROOT = Path(__file__).resolve().parent.parent
PAGE, PAGE_URL = "Train on image folders", "folder_training"
MB = 1024 * 1024
SERVER_TARGET, TREE_TARGET, RETURN_TARGET = 1024 * MB, 2560 * MB, 150 * MB
BATCH = re.compile(r"batch (\d+) of")


# The zip ----------------------------------------------------------------------------------------


def make_zip(images: int, size: int = 64, seed: int = 0) -> bytes:
    """A zip of ``images`` JPEGs, half in ``cats/`` (warm blobs) and half in ``dogs/`` (cool stripes)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    out = io.BytesIO()
    yy, xx = np.mgrid[0:size, 0:size]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:  # JPEGs do not deflate.
        for i in range(images):
            cls = "cats" if i % 2 == 0 else "dogs"
            noise = rng.integers(0, 60, (size, size, 3))
            if cls == "cats":
                cx, cy = rng.integers(10, size - 10, 2)
                blob = ((xx - cx) ** 2 + (yy - cy) ** 2 < rng.integers(80, 300))[..., None]
                pixels = noise + blob * np.array([190, 110, 40])
            else:
                stripes = ((xx + yy * rng.integers(0, 3)) // rng.integers(3, 9) % 2)[..., None]
                pixels = noise + stripes * np.array([40, 110, 190])
            buffer = io.BytesIO()
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=85)
            archive.writestr(f"{cls}/{cls}_{i // 2:05d}.jpg", buffer.getvalue())
    return out.getvalue()


# The server and what it holds -------------------------------------------------------------------


def launch(app_dir: Path, tmp: Path, ttl: float, env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` in ``app_dir`` on a free port with its own TMPDIR; waits for its health check."""
    sys.path.insert(0, str(ROOT))
    from tests.support.server import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--server.disconnectedSessionTTL", f"{ttl:g}"]  # fmt: skip
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TMPDIR": str(tmp), **env}
    process = subprocess.Popen(command, cwd=app_dir, env=full_env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        try:
            with opener.open(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not come up; see {log}")


def status_kb(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon, RssFile and RssShmem of a process, in bytes (empty once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            found[key] = int(value.split()[0]) * 1024
    return found


def pss(pid: int) -> int:
    """The process's proportional set size in bytes (/proc/PID/smaps_rollup): a page shared by n
    processes counts 1/n in each, so the tree's sum counts a page once, as its memory limit does.
    Summed RSS counts a data set's file pages once per process that maps it (the server and each
    worker reading the same decoded pictures)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def descendants(root: int) -> list[int]:
    """Every live process below ``root``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def mapped_files(pid: int, folder: Path) -> int:
    """How many distinct files under ``folder`` the process has mapped (deleted ones too)."""
    prefix = str(folder) + "/"
    try:
        lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    except OSError:
        return 0
    return len({line.split(None, 5)[5] for line in lines if line.count(" ") >= 5 and prefix in line})


def process_state(pid: int) -> str:
    """The state letter of /proc/PID/stat: R, S, D, Z (a zombie: ended, never waited for)..."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def folder_bytes(folder: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    return total


@dataclass
class Sample:
    t: float
    phase: str
    server: int
    anon: int
    file: int
    workers: int
    nworkers: int
    tmp: int
    mapped: int  # Data files under TMPDIR mapped into the server (decoded data sets).
    tree_pss: int = 0  # The server's and its descendants' proportional set sizes, summed.

    @property
    def tree(self) -> int:
        return self.server + self.workers


@dataclass(eq=False)
class Sampler(threading.Thread):
    """Samples the server, its descendants and its TMPDIR every ``interval`` s, tagged with the phase."""

    pid: int
    tmp: Path
    interval: float
    phase: str = "idle"
    samples: list[Sample] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def __post_init__(self):
        super().__init__(daemon=True)
        self._halt = threading.Event()
        self._tmp_bytes, self._tmp_at = 0, 0.0

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.samples.append(self.sample())

    def sample(self) -> Sample:
        own = status_kb(self.pid)
        below = descendants(self.pid)
        workers = [status_kb(pid).get("VmRSS", 0) for pid in below]
        tree_pss = pss(self.pid) + sum(pss(pid) for pid in below)
        if time.time() - self._tmp_at > 1.0:  # Walking the folder costs more than reading /proc.
            self._tmp_bytes, self._tmp_at = folder_bytes(self.tmp), time.time()
        return Sample(time.time() - self.started, self.phase, own.get("VmRSS", 0), own.get("RssAnon", 0),
                      own.get("RssFile", 0) + own.get("RssShmem", 0), sum(workers), len(workers),
                      self._tmp_bytes, mapped_files(self.pid, self.tmp), tree_pss)  # fmt: skip

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def of(self, *phases: str) -> list[Sample]:
        return [s for s in self.samples if s.phase in phases]


# The visitors -----------------------------------------------------------------------------------


def loaded(client: StreamlitClient) -> bool:
    return any(text.startswith("Loaded ") for text in client.texts.values())


def can_start(client: StreamlitClient) -> bool:
    return any(w.matches("Start training") and not w.proto.disabled for w in client.widgets.values())


def run_ended(client: StreamlitClient) -> bool:
    """The run's results are on the page: "Start training" is offered again, or, when the budget has
    released this visitor's data set since (a stopped run's model joins the budget), the trained model
    is announced for Activation maps."""
    done = any("is now available on the Activation maps page" in t for t in client.texts.values())
    return not progress(client) and (can_start(client) or done)


def progress(client: StreamlitClient) -> str:
    return next((t for t in client.texts.values() if BATCH.search(t) or t.startswith("Starting")), "")


def alerts(client: StreamlitClient) -> list[str]:
    return [t for t in client.texts.values() if t and not BATCH.search(t)]


async def load_zip(client: StreamlitClient, zip_bytes: bytes, per_class: int, index: int) -> float:
    """Open the folder page, take the whole zip, upload it and press Load; returns the load's seconds."""
    await client.connect()
    await client.open_page(PAGE, PAGE_URL)
    await client.change_widget("folder_max_per_class", per_class)
    await client.upload("folder_zip", f"class_{index}.zip", zip_bytes)
    run = await client.press("Load this zip")
    if run.errors or not loaded(client):
        raise RuntimeError(f"visitor {index} did not load the zip: {run.errors or alerts(client)}")
    return run.seconds


async def start_training(client: StreamlitClient, epochs: int) -> str:
    """Start a run; loads the zip again first when the budget released this visitor's data.

    Returns "started", "reloaded" (started after loading again) or why it could not start.
    """
    reloaded = False
    if not can_start(client):
        await client.press("Load this zip")
        reloaded = True
    await client.change_widget("folder_epochs", epochs)
    if not can_start(client):
        return f"no Start training button (data released again?): {alerts(client)}"
    run = await client.press("Start training")
    if run.errors:
        return f"Start training failed: {run.errors}"
    return "reloaded" if reloaded else "started"


async def wait_for(predicate, timeout: float, poll: float = 0.5) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(poll)
    return predicate()


async def wait_for_rerun(clients: list[StreamlitClient], predicate, timeout: float, every: float = 5.0) -> bool:
    """Rerun each client's page every ``every`` s until ``predicate`` holds for all of them."""
    deadline = time.time() + timeout
    while True:
        for client in clients:
            if not predicate(client):
                await client.rerun()
        if all(predicate(c) for c in clients) or time.time() > deadline:
            return all(predicate(c) for c in clients)
        await asyncio.sleep(every)


# The scenario -----------------------------------------------------------------------------------


async def scenario(args, url: str, sampler: Sampler, zip_bytes: bytes, notes: list[str]) -> None:
    def phase(name: str) -> None:
        sampler.phase = name
        print(f"[{time.time() - sampler.started:6.1f} s] {name}", flush=True)

    await asyncio.sleep(5)
    phase("warm")
    visitor = StreamlitClient(url)
    await visitor.connect()
    run = await visitor.open_page(PAGE, PAGE_URL)
    notes.append(f"first open of the folder page: {run.seconds:.1f} s")
    await visitor.close()
    await asyncio.sleep(args.ttl + 5)
    phase("baseline")
    await asyncio.sleep(5)

    phase("load")
    clients = [StreamlitClient(url) for _ in range(args.sessions)]
    per_class = (args.images + 1) // 2
    results = await asyncio.gather(
        *(load_zip(c, zip_bytes, per_class, i) for i, c in enumerate(clients)), return_exceptions=True
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    seconds = [r for r in results if not isinstance(r, BaseException)]
    notes.append(
        f"load: {len(seconds)} of {len(clients)} visitors loaded their zip"
        + (f" ({min(seconds):.0f}-{max(seconds):.0f} s each)" if seconds else "")
        + (f"; failures: {[str(f)[:200] for f in failed]}" if failed else "")
    )
    phase("loaded")
    await asyncio.sleep(5)
    for client in clients:  # A rerun shows each visitor the budget's notice, if their data went.
        await client.rerun()
    released = sum(any("was released" in t for t in c.texts.values()) for c in clients)
    notes.append(f"visitors told their data was released, after all loaded: {released} of {len(clients)}")

    trainers = clients[: args.trainings]
    if trainers:
        phase("train")
        outcomes = [await start_training(client, args.epochs) for client in trainers]
        trainers = [c for c, outcome in zip(trainers, outcomes) if outcome in ("started", "reloaded")]
        notes.append(f"trainings: {outcomes} (reloaded: loaded the zip again first, as the budget's notice asks)")
        started = time.time()
        ok = await wait_for(lambda: all(BATCH.search(progress(c) or "") for c in trainers), 600)
        notes.append(
            f"every training at its first batch after {time.time() - started:.0f} s"
            if ok
            else f"not every training reached a batch in 600 s: {[progress(c) for c in trainers]}"
        )
        await asyncio.sleep(args.train_s)
        notes.append("progress at the end of the hold: " + " | ".join(progress(c) or "-" for c in trainers))
        if not args.abandon:
            phase("stop")
            for client in trainers:
                try:
                    await client.press("Stop")
                except LookupError:
                    notes.append("a training had no Stop button (already ended?)")
            ok = await wait_for_rerun(trainers, run_ended, 300)
            notes.append(
                f"stopped runs ended: {ok}; "
                + " | ".join(
                    progress(c) or ("ended" if run_ended(c) else f"not ended: {alerts(c)[:3]}") for c in trainers
                )
            )

    phase("leave")
    await asyncio.gather(*(c.close() for c in clients))
    await asyncio.sleep(args.ttl + args.settle_s)
    if args.revisit:
        # Streamlit drops expired sessions from its store only when the store is next changed: a new
        # visitor's connection. What this frees was still held by sessions that had gone.
        phase("revisit")
        visitor = StreamlitClient(url)
        await visitor.connect()
        await visitor.open_page("Home", "")
        await visitor.close()
        await asyncio.sleep(args.ttl + 15)


# Report -----------------------------------------------------------------------------------------


def mb(n: float) -> str:
    return f"{n / MB:7.0f}"


def report(sampler: Sampler, notes: list[str], tmp: Path, pid: int, load_before: str, load_after: str) -> None:
    print()
    for note in notes:
        print("-", note)
    print()
    print("timeline, every 10 s [MB]: t, phase, server (anon/file), workers (processes), tmp, data files mapped")
    next_t = 0.0
    for s in sampler.samples:
        if s.t >= next_t:
            print(f"  {s.t:6.0f} s {s.phase:9} {mb(s.server)} ({mb(s.anon).strip()}/{mb(s.file).strip()}) "
                  f"{mb(s.workers)} ({s.nworkers}) {mb(s.tmp)}  mapped {s.mapped}")  # fmt: skip
            next_t = s.t + 10
    print()
    print(f"{'phase':9} {'samples':>7} {'server peak (anon/file)':>24} {'server end':>10} "
          f"{'workers peak (n)':>17} {'tree peak':>9} {'tree PSS':>8} {'tmp peak':>8}  [MB]")  # fmt: skip
    for name in ("idle", "warm", "baseline", "load", "loaded", "train", "stop", "leave", "revisit"):
        rows = sampler.of(name)
        if not rows:
            continue
        top = max(rows, key=lambda s: s.server)
        wtop = max(rows, key=lambda s: s.workers)
        split = f"{top.server / MB:.0f} ({top.anon / MB:.0f}/{top.file / MB:.0f})"
        workers = f"{wtop.workers / MB:.0f} ({wtop.nworkers})"
        print(
            f"{name:9} {len(rows):7} {split:>24} {rows[-1].server / MB:10.0f} {workers:>17} "
            f"{max(s.tree for s in rows) / MB:9.0f} {max(s.tree_pss for s in rows) / MB:8.0f} "
            f"{max(s.tmp for s in rows) / MB:8.0f}"
        )
    baseline = sampler.of("baseline")
    leave = sampler.of("leave")
    settled = [s for s in leave if s.t >= leave[-1].t - 10] if leave else []
    active = sampler.of("load", "loaded", "train", "stop", "leave")
    print()
    if baseline and settled and active:
        base = statistics.median(s.server for s in baseline)
        back = statistics.median(s.server for s in settled)
        peak_server = max(s.server for s in active)
        peak_tree = max(s.tree for s in active)
        peak_pss = max(s.tree_pss for s in active)
        print(f"baseline (idle, after one visit): server {base / MB:.0f} MB")
        print(
            f"peak with the class:              server {peak_server / MB:.0f} MB "
            f"(target <= {SERVER_TARGET / MB:.0f}: {'met' if peak_server <= SERVER_TARGET else 'MISSED'}), "
            f"tree {peak_tree / MB:.0f} MB summed RSS, {peak_pss / MB:.0f} MB summed PSS (shared pages once; "
            f"target <= {TREE_TARGET / MB:.0f}: {'met' if peak_pss <= TREE_TARGET else 'MISSED'})"
        )
        print(
            f"settled after they left:          server {back / MB:.0f} MB "
            f"(anon {statistics.median(s.anon for s in settled) / MB:.0f}, "
            f"file {statistics.median(s.file for s in settled) / MB:.0f}), "
            f"{(back - base) / MB:+.0f} MB over the baseline (target <= +{RETURN_TARGET / MB:.0f}: "
            f"{'met' if back - base <= RETURN_TARGET else 'MISSED'}); "
            f"workers {statistics.median(s.workers for s in settled) / MB:.0f} MB in "
            f"{settled[-1].nworkers} processes; tree {statistics.median(s.tree for s in settled) / MB:.0f} MB; "
            f"tmp {settled[-1].tmp / MB:.0f} MB, {settled[-1].mapped} data files still mapped"
        )
    revisit = sampler.of("revisit")
    if baseline and revisit:
        last = [s for s in revisit if s.t >= revisit[-1].t - 10]
        back = statistics.median(s.server for s in last)
        print(
            f"after one more visitor came and went: server {back / MB:.0f} MB "
            f"(anon {statistics.median(s.anon for s in last) / MB:.0f}, file {statistics.median(s.file for s in last) / MB:.0f}), "
            f"{(back - statistics.median(s.server for s in baseline)) / MB:+.0f} MB over the baseline; "
            f"{last[-1].mapped} data files still mapped"
        )
    left = descendants(pid)
    print(
        f"processes under the server at the end: {len(left)}"
        + "".join(f"\n  {p} ({process_state(p)}): {command_line(p)[:110]}" for p in left)
    )
    print(f"left in the server's TMPDIR: {sorted(p.name for p in tmp.iterdir())[:12]}")
    print(f"load average before: {load_before}")
    print(f"load average after:  {load_after}")


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return Path("/proc/loadavg").read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the tree whose app.py is served")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--images", type=int, default=4000, help="images in each visitor's zip")
    parser.add_argument("--trainings", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=100, help="each training's epochs (it is stopped anyway)")
    parser.add_argument("--train-s", type=float, default=60.0, help="how long both trainings run together")
    parser.add_argument("--ttl", type=float, default=10.0, help="server.disconnectedSessionTTL, seconds")
    parser.add_argument("--settle-s", type=float, default=45.0, help="sampling after the reconnect window")
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument(
        "--no-revisit", dest="revisit", action="store_false", help="skip the one visitor who comes after they left"
    )
    parser.add_argument("--abandon", action="store_true", help="close the tabs with the trainings running")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (CNN_LAB_*)")
    parser.add_argument("--csv", type=Path, help="write every sample here")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (server log, TMPDIR)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="server-memory-"))
    tmp = work / "tmp"
    tmp.mkdir()
    started = time.time()
    zip_bytes = make_zip(args.images)
    print(f"zip: {args.images} JPEGs, {len(zip_bytes) / MB:.1f} MB, made in {time.time() - started:.1f} s")
    print(f"app: {args.app_dir.resolve()} ({git_describe(args.app_dir)}); run folder {work}")
    env = dict(item.split("=", 1) for item in args.env)
    load_before = uptime()
    process, url = launch(args.app_dir.resolve(), tmp, args.ttl, env, work / "server.log")
    notes: list[str] = []
    try:
        sampler = Sampler(process.pid, tmp, args.interval)
        sampler.start()
        asyncio.run(scenario(args, url, sampler, zip_bytes, notes))
    except Exception as exc:
        notes.append(f"the scenario stopped early: {type(exc).__name__}: {exc}")
    finally:
        load_after = uptime()
        try:
            sampler.stop()
            report(sampler, notes, tmp, process.pid, load_before, load_after)
        finally:
            stop_server(process)
        if args.csv:
            with args.csv.open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(
                    ["t_s", "phase", "server_mb", "anon_mb", "file_mb", "workers_mb", "workers", "tmp_mb", "mapped"]
                )
                for s in sampler.samples:
                    writer.writerow([f"{s.t:.2f}", s.phase, *(f"{v / MB:.1f}" for v in (s.server, s.anon, s.file, s.workers)), s.nworkers, f"{s.tmp / MB:.1f}", s.mapped])  # fmt: skip
        errors = [line for line in (work / "server.log").read_text(errors="replace").splitlines() if "Error" in line]
        if errors:
            print(f"server log ({work / 'server.log'}): {len(errors)} lines with 'Error', e.g. {errors[:3]}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def git_describe(app_dir: Path) -> str:
    result = subprocess.run(["git", "-C", str(app_dir), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return result.stdout.strip()[:80] or "not a git tree"


if __name__ == "__main__":
    main()
