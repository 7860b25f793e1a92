"""The one way tests, tools and benchmarks start the app: ``streamlit run app.py`` on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_server(
    extra_env: dict | None = None,
    python_args: tuple = ("-m", "streamlit"),
    timeout_s: float = 60.0,
    options: tuple[str, ...] = (),
) -> tuple[subprocess.Popen, str, float, float]:
    """Start ``streamlit run app.py`` on a free port; returns (process, url, launched, seconds to healthy).

    It polls the health check every 50 ms and returns the wall-clock launch time, for timings;
    ``python_args`` can put a wrapper in front of Streamlit's command line, and ``options`` adds
    Streamlit settings as ``name=value`` (e.g. ``runner.postScriptGC=false``).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    launched = time.time()
    process = subprocess.Popen(
        [
            sys.executable,
            *python_args,
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            *(part for option in options for part in (f"--{option.split('=', 1)[0]}", option.split("=", 1)[1])),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while time.time() - launched < timeout_s and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return process, url, launched, time.time() - launched
        except OSError:
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"the Streamlit server did not answer its health check within {timeout_s:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server from ``launch_server`` and wait for it to exit."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
