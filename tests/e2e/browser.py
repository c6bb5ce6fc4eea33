"""Shared headless-Chromium helpers for the browser tests (Debian's chromium driven by Playwright).

tests/e2e/conftest.py makes the `browser` fixture from `chromium()` (module scope: one launch per module) and the
`page` fixture from `open_page()` (a fresh context per test); a test that needs another window size, language or
address opens its own page with `open_page(browser, ...)`.
"""

from __future__ import annotations

import os
import random
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The WCAG 2.1 A/AA rules of axe-core: what the issue asks for, without the best-practice rules.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

skip_without_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
)


@contextmanager
def chromium():
    """Launch headless Chromium; use it for a module-scoped fixture (one launch per module)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread, so Django would refuse the ORM calls that the tests
    # themselves make (creating rows, checking what was stored). The tests are synchronous; allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def client_ip() -> str:
    """A documentation-range address per page, so that the per-IP rate limit (in a cache shared with other test
    processes when it is Redis) counts this test's posts apart from everyone else's. Needs
    settings.TRUST_X_FORWARDED_FOR = True."""
    return f"198.51.100.{random.randint(1, 254)}"


@contextmanager
def open_page(browser, *, locale: str = "sv-SE", extra_http_headers: dict | None = None, width: int = 390, **options):
    """A page in a fresh context (own cookies), phone-sized (390 pixels wide unless `width` says otherwise; 320 is
    the narrowest WCAG 1.4.10 asks pages to reflow at), sending its own X-Forwarded-For."""
    headers = {"X-Forwarded-For": client_ip(), **(extra_http_headers or {})}
    context = browser.new_context(
        locale=locale, viewport={"width": width, "height": 844}, extra_http_headers=headers, **options
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def assert_no_axe_violations(page) -> None:
    count, report = axe_violations(page)
    assert count == 0, report


def axe_violations(page) -> tuple[int, str]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page: (number of violations, a readable report)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return results.violations_count, f"{page.url}\n{results.generate_report()}"
