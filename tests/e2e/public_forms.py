"""How a person fills in the public forms in the browser tests (tests/e2e/test_public_*_browser.py and
test_nobody_is_thanked_for_a_dropped_signup_browser.py): the forms' minimum fill time is lowered to
MIN_FILL_SECONDS for them (the `public_forms` fixture, tests/e2e/conftest.py)."""

from __future__ import annotations

import time

MIN_FILL_SECONDS = 0.5
# Structural selectors, not texts: the UI text will be translated to Swedish, the default language.
SUBMIT = "main form button[type=submit]"


def wait_min_fill_time(loaded_at: float) -> None:
    """A person takes longer than FORM_MIN_FILL_SECONDS (lowered for these tests); wait that long, plus a margin."""
    remaining = MIN_FILL_SECONDS + 0.2 - (time.monotonic() - loaded_at)
    if remaining > 0:
        time.sleep(remaining)


def submit_signup_with_errors(page, live_server) -> None:
    """Last name and a bad email only: first name, locality and consent missing."""
    page.goto(f"{live_server.url}/bli-ambassador/")
    loaded_at = time.monotonic()
    page.fill("#id_last_name", "Lindqvist")
    page.fill("#id_email", "not-an-email")
    page.fill("#id_motivation", "Jag gillar Kramfors.")
    wait_min_fill_time(loaded_at)
    page.click(SUBMIT)
    page.wait_for_selector("#error-summary")


def submit_recommend_with_errors(page, live_server) -> None:
    page.goto(f"{live_server.url}/tipsa/")
    loaded_at = time.monotonic()
    page.fill("#id_recommender_email", "nope")
    wait_min_fill_time(loaded_at)
    page.click(SUBMIT)
    page.wait_for_selector("#error-summary")
