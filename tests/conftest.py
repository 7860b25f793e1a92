"""Shared fixtures: a running app server and a headless Chromium for the real-browser tests."""

from __future__ import annotations

import os

import pytest

from tests.support.browser import CHROMIUM, launch_chromium
from tests.support.server import launch_server, stop_server

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def app_url():
    """Base URL of one app server shared by the browser tests of a run."""
    process, url, _, _ = launch_server()
    yield url
    stop_server(process)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright, with a fake camera for the digit page."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("Chromium is missing in CI: .ci/run must install Debian's chromium")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
