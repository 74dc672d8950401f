"""A real browser for the tests: headless Chromium (Debian's ``chromium``) driven by Playwright.

Pages are opened from ``file://`` with networking off: the browser context is offline and
every request that is not ``file:``, ``data:`` or ``blob:`` is aborted and recorded, so a test
can assert that a page asked for nothing from the network.  Without Chromium the test is
skipped, unless ``BORDERSCAPE_REQUIRE_PEERS=1`` (set by ``.ci/run``), in which case it fails.

Screenshots go to ``$BORDERSCAPE_SCREENSHOTS`` (default ``<repo>/out/screenshots``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
#: Chromium flags: no sandbox (containers), no GPU, and no background traffic of its own.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def screenshot_dir() -> Path:
    """Where browser tests write their screenshots."""
    path = Path(os.environ.get("BORDERSCAPE_SCREENSHOTS", REPO / "out" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium() -> str:
    """The Chromium executable; skips (or fails under BORDERSCAPE_REQUIRE_PEERS=1) without it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("BORDERSCAPE_REQUIRE_PEERS") == "1":
            pytest.fail("Chromium and playwright are required (BORDERSCAPE_REQUIRE_PEERS=1) but not installed")
        pytest.skip("chromium or playwright not installed")
    return path


@dataclass
class PageReport:
    """What happened while a page was open.

    Attributes
    ----------
    console
        ``(type, text)`` of every console message.
    errors
        Uncaught exceptions and console messages of type ``error``.
    blocked
        URLs the page tried to fetch from the network (all aborted).
    requests
        Every URL requested, local ones included.
    dialogs
        Messages of ``alert``/``confirm``/``prompt`` dialogs (dismissed): script that ran.
    """

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextlib.contextmanager
def open_page(
    path: Path, *, width: int = 1200, height: int = 800, media: str = "screen"
) -> Iterator[tuple[object, PageReport]]:
    """Open ``path`` from ``file://`` in offline headless Chromium.

    Yields ``(page, report)``: a Playwright page, already loaded (``load`` event fired), and
    the report that keeps filling while the page stays open.
    """
    exe = chromium()
    from playwright.sync_api import sync_playwright

    report = PageReport()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=FLAGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": width, "height": height})
            page = context.new_page()
            page.emulate_media(media=media)

            def route(r):
                url = r.request.url
                report.requests.append(url)
                if url.startswith(LOCAL_SCHEMES):
                    r.continue_()
                else:
                    report.blocked.append(url)
                    r.abort()

            context.route("**/*", route)
            page.on(
                "console",
                lambda m: (
                    report.console.append((m.type, m.text)),
                    report.errors.append(m.text) if m.type == "error" else None,
                ),
            )
            page.on("pageerror", lambda exc: report.errors.append(f"uncaught: {exc}"))
            page.on("dialog", lambda d: (report.dialogs.append(d.message), d.dismiss()))
            page.goto(Path(path).resolve().as_uri(), wait_until="load")
            yield page, report
        finally:
            browser.close()
