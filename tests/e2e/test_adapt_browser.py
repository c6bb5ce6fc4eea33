"""Anpassa and Lyssna in headless Chromium: every look (3 text sizes × 3 contrasts × 2 line spacings) passes axe-core
WCAG 2.1 A/AA with the Anpassa panel open and fits 320 pixels; the form works without JavaScript and, with it, at
once; Lyssna shows only where the browser has a voice in the page's language and reads the page's main text."""

from __future__ import annotations

import itertools

import pytest

from crm import adapt
from tests.e2e.browser import axe_violations, open_page, skip_without_chromium
from tests.e2e.public_forms import submit_signup_with_errors
from tests.e2e.test_public_pages_browser import horizontal_overflow

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("public_forms")]

LOOKS = list(itertools.product(*(choices for _legend, choices in adapt.AIDS.values())))
OPEN_PANEL = "() => { document.querySelector('header details.adapt').open = true; }"


def set_look(page, live_server, look) -> None:
    page.context.add_cookies([{"name": adapt.COOKIE_NAME, "value": ".".join(look), "url": live_server.url}])


def check(page, label: str, problems: dict) -> None:
    count, report = axe_violations(page)
    if count:
        problems[label] = report
    if overflow := horizontal_overflow(page):
        problems[f"{label}: sideways scroll"] = overflow


@pytest.mark.parametrize("width", [320, 1280])
def test_every_look_passes_axe_and_fits_with_the_panel_open(browser, live_server, width):
    assert len(LOOKS) == 18
    problems: dict = {}
    with open_page(browser, width=width) as page:
        for look in LOOKS:
            set_look(page, live_server, look)
            page.goto(f"{live_server.url}/")
            expected = adapt.classes(dict(zip(adapt.AIDS, look, strict=True))).split()
            assert sorted(page.evaluate("() => [...document.documentElement.classList]")) == sorted(expected)
            page.evaluate(OPEN_PANEL)
            check(page, ".".join(look), problems)
    assert not problems, problems


def test_the_signup_form_with_errors_in_the_largest_looks_at_320_pixels(browser, live_server, choices):
    problems: dict = {}
    with open_page(browser, width=320) as page:
        for contrast in adapt.AIDS["contrast"][1]:
            set_look(page, live_server, ("largest", contrast, "wide"))
            submit_signup_with_errors(page, live_server)
            assert page.locator("html.text-largest.spacing-wide").count() == 1
            check(page, f"signup with errors, {contrast}", problems)
    assert not problems, problems


def test_the_form_works_without_javascript(browser, live_server):
    with open_page(browser, java_script_enabled=False) as page:
        page.goto(f"{live_server.url}/tillganglighet/")
        page.click("header details.adapt summary")
        page.get_by_label("Hög kontrast").check()
        with page.expect_navigation():
            page.click("header .adapt-form button[type=submit]")
        assert page.url == f"{live_server.url}/tillganglighet/"
        assert page.locator("html.contrast-high").count() == 1
        assert page.locator("header input[name=contrast][value=high]").is_checked()


def test_with_javascript_a_choice_applies_at_once_and_is_kept(browser, live_server):
    with open_page(browser) as page:
        page.goto(f"{live_server.url}/tillganglighet/")
        page.click("header details.adapt summary")
        navigations = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        with page.expect_response(lambda response: response.url.endswith("/anpassa/")) as saved:
            page.get_by_label("Mörk").check()
        assert saved.value.status == 204
        assert page.locator("html.contrast-dark").count() == 1
        page.get_by_label("Störst").check()
        page.wait_for_selector("html.contrast-dark.text-largest")
        page.get_by_label("Standard").check()
        page.wait_for_selector("html.text-largest:not(.contrast-dark)")
        page.wait_for_load_state("networkidle")
        assert navigations == []
        page.reload()
        assert sorted(page.evaluate("() => [...document.documentElement.classList]")) == ["text-largest"]


FAKE_SPEECH = """
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ''; this.voice = null; };
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
    getVoices: () => [{lang: 'sv-SE', name: 'Alva', localService: true, default: true, voiceURI: 'Alva'}],
    speak: (u) => window.__spoken.push({text: u.text, lang: u.lang}),
    cancel: () => {},
    addEventListener: () => {},
}});
"""


def test_listen_is_hidden_without_a_voice(page, live_server):
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("button.listen").count() == 1
    assert not page.locator("button.listen").is_visible()


def test_listen_reads_the_main_text_with_a_swedish_voice(page, live_server):
    page.add_init_script(FAKE_SPEECH)
    requests = []
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    page.on("request", lambda request: requests.append(request.url))
    listen = page.get_by_role("button", name="Lyssna")
    assert listen.is_visible()
    listen.click()
    spoken = page.evaluate("() => window.__spoken")
    heading = page.inner_text("main h1").strip()
    assert spoken and spoken[0]["text"].startswith(heading), spoken[:2]
    assert {utterance["lang"] for utterance in spoken} == {"sv-SE"}
    assert page.get_by_role("button", name="Sluta läsa").is_visible()
    page.get_by_role("button", name="Sluta läsa").click()
    assert listen.is_visible()
    assert requests == []  # nothing leaves the browser
