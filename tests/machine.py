"""What the tests need of this machine besides Python packages: a browser for the page tests
(headless Chromium, driven by Playwright for Python) and a font with Japanese and Chinese
characters for the test of names in those scripts.

The fixtures only look for them (find_browser, fonts_with). `python tests/machine.py`, which
`make test` runs first, gets what is missing where it can: Playwright's own Chromium
(`playwright install chromium`, in the user's cache), and, for root on Debian (as CI runs here),
Debian's `chromium` and CJK_PACKAGE with apt-get. A test installs nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

INSTALLED = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# A sample of the characters the tests write: Japanese and Chinese (名前, 学習率).
CJK_SAMPLE = "名前学習率"
# Debian's smallest font with them (1.6 MB to download).
CJK_PACKAGE = "fonts-wqy-microhei"
PLAYWRIGHT_DOWNLOAD_SECONDS = 300
APT_SECONDS = 900
HOW_TO_GET_A_BROWSER = ("install Chromium or Chrome (on Debian or Ubuntu: sudo apt-get install chromium), or run: "
                        "python -m playwright install chromium; `make test` does either where it can")
HOW_TO_GET_A_FONT = (f"install one (on Debian or Ubuntu: sudo apt-get install {CJK_PACKAGE}); `make test` does, "
                     "as root")


class BrowserMissing(RuntimeError):
    """No browser is there; the message says how to get one."""


def installed_browser() -> str | None:
    """A Chromium or Chrome of the system's, or None."""
    for name in INSTALLED:
        path = shutil.which(name)
        if path:
            return path
    return None


def playwright_has_its_own() -> bool:
    """Whether Playwright's own Chromium is downloaded (`playwright install chromium`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        return Path(playwright.chromium.executable_path).is_file()


def find_browser() -> str | None:
    """The browser executable to hand Playwright (None: its own download); BrowserMissing if there is none."""
    path = installed_browser()
    if path:
        return path
    if playwright_has_its_own():
        return None
    raise BrowserMissing(f"no browser for the page tests: {HOW_TO_GET_A_BROWSER}")


def fonts_with(characters: str) -> list[str]:
    """The font files of this machine that have every one of these characters, found as the pictures find them."""
    from drawing.style import candidate_fonts, font_characters

    return [path for path in candidate_fonts(characters[0]) if set(map(ord, characters)) <= font_characters(path)]


def can_apt_get() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_get_install(package: str) -> bool:
    """Install a Debian package (root only); whether it worked."""
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            subprocess.run(command, check=True, capture_output=True, timeout=APT_SECONDS, env=environment)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        return False
    return True


def download_playwrights_chromium() -> bool:
    """`playwright install chromium`, given a bounded time (without internet it cannot connect); whether it worked."""
    try:
        result = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], capture_output=True,
                                timeout=PLAYWRIGHT_DOWNLOAD_SECONDS)
    except (subprocess.TimeoutExpired, OSError):
        return False
    return result.returncode == 0


def get_a_browser() -> str | None:
    """A browser, got if none is there; None, or what is still missing and how to get it."""
    try:
        find_browser()
        return None
    except BrowserMissing:
        pass
    print("no browser for the page tests here: getting Playwright's own Chromium", flush=True)
    if download_playwrights_chromium() and playwright_has_its_own():
        return None
    if can_apt_get():
        print("  it could not be downloaded: installing Debian's chromium", flush=True)
        if apt_get_install("chromium") and installed_browser():
            return None
    return f"no browser for the page tests: {HOW_TO_GET_A_BROWSER}"


def get_a_cjk_font() -> str | None:
    """A font with CJK_SAMPLE, installed if none is there and this is root on Debian; None, or what is
    still missing and how to get it."""
    if fonts_with(CJK_SAMPLE):
        return None
    if can_apt_get():
        print(f"no font with Japanese and Chinese characters here: installing {CJK_PACKAGE}", flush=True)
        if apt_get_install(CJK_PACKAGE) and fonts_with(CJK_SAMPLE):
            return None
    return f"no font with Japanese and Chinese characters: {HOW_TO_GET_A_FONT}"


def main() -> int:
    """Get what is missing; say what could not be got (the tests that need it then fail saying so)."""
    for missing in (get_a_browser(), get_a_cjk_font()):
        if missing:
            print(f"warning: {missing}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's drawing.style, for fonts_with
    sys.exit(main())
