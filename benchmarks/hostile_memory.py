"""Peak memory the hostile files of issue 17 add to a server process, before and after the guards.

Run: nice -n 5 python benchmarks/hostile_memory.py [--before main] [--cases NAME ...]

"before" is the engine of a git ref (``cnn_core`` as committed there, unpacked to a temporary
folder with ``git archive``); "after" is this working tree's. Each case runs in a fresh Python
that imports numpy, Pillow, OpenCV and the engine, reads the file's bytes, notes its RSS, does what
the page does with the file, and reports its peak RSS (VmHWM from /proc) above that baseline,
the seconds it took and what came out:

- the 16-bit 6324x6324 PNG (79 kB) and the 40 MP RGBA PNG (158 kB), uploaded: ``load_image``
  as ``ui.uploads`` calls it (RGB, at most 1024 px);
- the 3 kB zip of eight 16-bit 4000x4000 PNGs, on the folder page: ``extract_image_zip`` then
  ``load_image_folder`` (four decoding threads);
- the zip of 2.2 million empty entries (207 MB, with local headers, as the issue's 191 MB one):
  ``extract_image_zip``.

The hostile files are made by ``tests.support.hostile_files`` in a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.hostile_files import write_many_entries, zeros_png, zip_of

CHILD = r"""
import json, sys, time, tempfile
sys.path.insert(0, {engine!r})
import numpy, PIL.Image, cv2
from cnn_core.data import folders, zips
from cnn_core.vision import images

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read() if kind == "upload" else None
base = status("VmRSS:")
start = time.perf_counter()
try:
    if kind == "upload":
        outcome = "decoded to %s" % (images.load_image(data, mode="RGB", max_side=1024).shape,)
    else:
        with tempfile.TemporaryDirectory() as dest:
            report = zips.extract_image_zip(path, dest)
            if kind == "folder page":
                loaded = folders.load_image_folder(report.root)
                outcome = "loaded %d pictures" % (len(loaded.y_train) + len(loaded.y_val))
            else:
                outcome = "unpacked %d images" % report.images
except ValueError as exc:
    outcome = "refused: " + str(exc)[:110]
print(json.dumps({{"added_peak_mb": round((status("VmHWM:") - base) / 1e6), "seconds": round(time.perf_counter() - start, 2),
                   "outcome": outcome}}))
"""


def make_cases(folder: Path) -> dict[str, tuple[str, Path]]:
    """Case name -> (what the page does with it, the file)."""

    def save(name: str, data: bytes) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    giant = zeros_png(4000, 4000, 16)
    flood = folder / "flood.zip"
    with open(flood, "wb") as out:
        write_many_entries(out, 2_200_000)
    return {
        "16-bit 6324x6324 PNG": ("upload", save("deep.png", zeros_png(6324, 6324, 16))),
        "40 MP RGBA PNG": ("upload", save("clear.png", zeros_png(7300, 5479, 8, 6))),
        "zip of eight 16-bit 4000x4000 PNGs": (
            "folder page",
            save("giants.zip", zip_of({f"{c}/{i}.png": giant for c in ("cats", "dogs") for i in range(4)})),
        ),
        "zip of 2,200,000 empty entries": ("zip", flood),
    }


def engine_of(ref: str, folder: Path) -> Path:
    """``cnn_core`` as committed at ``ref``, unpacked under ``folder``."""
    target = folder / f"engine-{ref.replace('/', '_')}"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "cnn_core"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def measure(engine: Path, kind: str, path: Path) -> dict:
    code = CHILD.format(engine=str(engine))
    out = subprocess.run([sys.executable, "-c", code, kind, str(path)], capture_output=True, text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1][:200]}
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref of the engine before (default: main)")
    parser.add_argument("--cases", nargs="*", help="only these cases (by name)")
    args = parser.parse_args()
    results = {"load_average_before": [round(x, 2) for x in os.getloadavg()], "before_ref": args.before}
    with tempfile.TemporaryDirectory(prefix="cnn_lab_hostile_") as folder:
        folder = Path(folder)
        engines = {"before": engine_of(args.before, folder), "after": ROOT}
        for case, (kind, path) in make_cases(folder).items():
            if args.cases and case not in args.cases:
                continue
            results[case] = {"file_kb": round(path.stat().st_size / 1e3, 1)}
            for variant, engine in engines.items():
                results[case][variant] = measure(engine, kind, path)
                print(f"{case:38} {variant:6} {json.dumps(results[case][variant])}", flush=True)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
