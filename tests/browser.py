"""A real browser for the page tests: headless Chromium driven by Playwright for Python.

find_browser() looks, in order, for a Chromium or Chrome already installed; then Playwright's
own download (`playwright install chromium`, given a short time: without internet it cannot
connect); then, for root on Debian (as CI runs here), Debian's `chromium` package, installed with
apt-get. It returns the executable to hand Playwright (None: Playwright's own), or raises
BrowserMissing saying how to get one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

INSTALLED = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PLAYWRIGHT_DOWNLOAD_SECONDS = 60
APT_SECONDS = 900


class BrowserMissing(RuntimeError):
    """No browser could be found or installed; the message says how to get one."""


def installed_browser() -> str | None:
    for name in INSTALLED:
        path = shutil.which(name)
        if path:
            return path
    return None


def playwright_has_its_own() -> bool:
    """Whether Playwright's own Chromium is there, or can be downloaded in a short time."""
    try:
        result = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], capture_output=True,
                                timeout=PLAYWRIGHT_DOWNLOAD_SECONDS)
    except (subprocess.TimeoutExpired, OSError):
        return False
    return result.returncode == 0


def apt_chromium() -> str | None:
    """Debian's chromium, installed with apt-get when this runs as root on a machine that has it."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            subprocess.run(command, check=True, capture_output=True, timeout=APT_SECONDS, env=environment)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        return None
    return shutil.which("chromium")


def find_browser() -> str | None:
    """The browser executable for Playwright (None: its own download); BrowserMissing if there is none."""
    path = installed_browser()
    if path:
        return path
    if playwright_has_its_own():
        return None
    path = apt_chromium()
    if path:
        return path
    raise BrowserMissing("no browser for the page tests: install Chromium or Chrome (on Debian or Ubuntu: "
                         "sudo apt-get install chromium), or run: python -m playwright install chromium")
