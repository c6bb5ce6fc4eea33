"""Every kind of email reads on a phone: each HTML part (tests/email_examples.py, a Swedish and an English reader)
in headless Chromium at 375 px has no horizontal scroll. A screenshot of one that fails is saved with the test's
files."""

from __future__ import annotations

import email
from email import policy

import pytest

from campaigns.emails import build_message
from tests.e2e.browser import skip_without_chromium
from tests.email_examples import EXAMPLES, example, named_coordinator

pytestmark = [skip_without_chromium, pytest.mark.django_db]

WIDTH = 375


def test_no_email_is_wider_than_a_phone(browser, settings, tmp_path):
    named_coordinator(settings)
    page = browser.new_page(viewport={"width": WIDTH, "height": 800})
    too_wide = []
    for template in sorted(EXAMPLES):
        for language in ("sv", "en"):
            raw = build_message(example(template, language)).message().as_bytes()
            markup = email.message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()
            page.set_content(markup)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                page.screenshot(path=str(tmp_path / f"{template}-{language}.png"), full_page=True)
                too_wide.append(f"{template}/{language}: {width} px")
    page.close()
    assert too_wide == [], f"{tmp_path}: {too_wide}"
